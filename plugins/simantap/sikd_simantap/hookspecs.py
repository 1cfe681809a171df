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
