"""SIKD activity for Simantap's scoring (DOMAIN.md section 6 item 7), offered through
Simantap's ``simantap_score_sources`` hook: the archive never imports Simantap."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from typing import Any

from sikd_archive.disposition import period_figures
from sikd_host.plugin_api import db

FAST_HOURS, SLOW_HOURS = 8.0, 120.0


def workload_scores(received: dict[int, int]) -> dict[int, float]:
    """Percentile rank (0-100) of dispositions received, among those who received any."""
    counts = sorted(n for n in received.values() if n > 0)
    return {
        user: bisect_right(counts, n) / len(counts) * 100 for user, n in received.items() if n > 0
    }


def response_score(median_hours: float) -> float:
    """100 at <= 8 hours, 0 at >= 120 hours, linear between."""
    if median_hours <= FAST_HOURS:
        return 100.0
    if median_hours >= SLOW_HOURS:
        return 0.0
    return (SLOW_HOURS - median_hours) / (SLOW_HOURS - FAST_HOURS) * 100


class SikdActivity:
    """Workload and response time of each employee in the period, from one SQL query."""

    indicators = ("beban_kerja", "respons")
    label = "SIKD"

    def values(self, period: Any) -> dict[str, dict[int, float]]:
        start = dt.datetime.combine(period.starts_on, dt.time.min)
        end = dt.datetime.combine(period.ends_on + dt.timedelta(days=1), dt.time.min)
        rows = db.session.execute(period_figures(start, end)).all()
        received = {row.user_id: int(row.received) for row in rows}
        respons = {
            row.user_id: response_score(float(row.median_hours))
            for row in rows
            if row.median_hours is not None
        }
        return {"beban_kerja": workload_scores(received), "respons": respons}
