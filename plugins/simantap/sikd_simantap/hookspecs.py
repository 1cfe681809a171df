"""Hooks Simantap offers to other plugins (published through ``sikd_hookspecs``)."""

from __future__ import annotations

from typing import Any

from sikd_host.plugin_api import hookspec


@hookspec
def simantap_score_sources() -> list[Any]:
    """Score sources: where indicator values come from.

    Called once per scoring run (and by the profile page, to know which indicators exist).
    Collector: return a list of source objects. Each source has

    - ``indicators``: a tuple of indicator keys it provides (for example
      ``("beban_kerja", "respons")``); the keys a profile can weigh are listed in
      ``sikd_simantap.scoring.profile.INDICATORS``;
    - ``label``: a short human name of the source;
    - ``values(period)``: the values for the whole set of employees, computed in one query
      (or one per indicator), as ``{indicator: {user_id: value}}`` with every value already
      normalised to 0-100. An employee without data is simply absent: a missing value is
      never a zero. ``period`` has ``code``, ``starts_on`` and ``ends_on`` (the reference
      date) as plain attributes.

    A source of a disabled plugin is not called, so its indicators are missing for everyone
    and their weight is redistributed over the indicators that have data.
    """


@hookspec
def simantap_unit_activity(periods: list[Any]) -> dict[str, dict[int, Any]]:
    """SIKD disposition figures per work unit, for the unit performance page (kinerja unit
    kerja) and its exports.

    Called once per page, export or command, with every period it shows (the chosen one, or
    all those with a published run for the trend). Collector: return
    ``{period code: {unit id: figures}}``; a unit with nothing to count may be absent. The
    unit is that of the recipient's position. ``periods`` are objects with ``code``,
    ``starts_on`` and ``ends_on`` as plain attributes; a disposition counts in a period when
    it was sent on one of its days. Each ``figures`` object has

    - ``received``: dispositions received (copies, tembusan, do not count);
    - ``with_due_date``: those with a due date;
    - ``due``: those with a due date that are done or whose due date has passed, the ones
      that can be judged; an item without a due date is neither on time nor late, so it
      counts in neither ``due`` nor ``done_on_time``;
    - ``done_on_time``: those done on or before their due date;
    - ``done``: those done;
    - ``response_minutes``: ``{minutes: count}``, a histogram of the whole minutes from a
      disposition reaching the recipient to their first action, over those acted on.

    Every figure adds up over units, so Simantap sums them over a unit's subtree (and over
    several implementations): the percentage done on time is ``done_on_time / due`` and the
    median response hours is the exact median of the summed histogram, divided by 60.
    Compute them with a few set-based (GROUP BY) queries for all units and periods at once,
    never per unit or per disposition. A disabled plugin's implementation is not called, and
    the page then leaves the disposition figures out.
    """
