"""The built-in score sources (DOMAIN.md section 6): each computes its indicator values for
the whole set of employees in one SQL query, then normalises them with the pure rules of
``scoring``. They have the interface of the ``simantap_score_sources`` hook's sources, and
``all_sources`` puts them together with the sources other plugins return through it.

``period`` is a plain object with ``id``, ``code``, ``starts_on``, ``ends_on`` (the reference
date) and ``profile`` (the profile of the run: the 360 source reads its group weights and k).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import and_, case, func, select

from sikd_host.plugin_api import collect_hook, db
from sikd_simantap.models import (
    Assignment,
    Attendance,
    Competency,
    Discipline,
    EKinerja,
    Employee,
    Rating,
    Skp,
    Training,
)
from sikd_simantap.scoring import indicators
from sikd_simantap.scoring.combine import three_sixty_groups, two_years_before
from sikd_simantap.scoring.numbers import percentile_ranks

Values = dict[str, dict[int, float]]


def _execute(statement: Any) -> list[Any]:
    """Run a SELECT on the session's connection and fetch every row at once: plain Core
    rows, no ORM result layer, no per-row fetch."""
    return db.session.connection().execute(statement).all()


class Source(Protocol):
    indicators: tuple[str, ...]
    label: str

    def values(self, period: Any) -> Values: ...


@dataclass(frozen=True)
class Provided:
    """A source and the plugin it comes from ("simantap" for the built-ins)."""

    plugin: str
    source: Any


class SkpSource:
    """SKP predikat of the period's year (``tahun`` = year of the reference date)."""

    indicators = ("skp",)
    label = "SKP"

    def values(self, period: Any) -> Values:
        rows = _execute(select(Skp.user_id, Skp.predikat).where(Skp.tahun == period.ends_on.year))
        found = {user: indicators.skp(predikat) for user, predikat in rows}
        return {"skp": {user: value for user, value in found.items() if value is not None}}


class EKinerjaSource:
    """The imported e-Kinerja value of the period, used as it is (0-100)."""

    indicators = ("ekinerja",)
    label = "e-Kinerja"

    def values(self, period: Any) -> Values:
        rows = _execute(
            select(EKinerja.user_id, EKinerja.nilai).where(EKinerja.periode == period.code)
        )
        return {"ekinerja": {user: float(nilai) for user, nilai in rows if nilai is not None}}


class AttendanceSource:
    """Attendance %, overtime (percentile rank among those with data), meetings %, lateness."""

    indicators = ("kehadiran", "lembur", "rapat", "terlambat")
    label = "Kehadiran"

    def values(self, period: Any) -> Values:
        rows = _execute(
            select(
                Attendance.user_id,
                Attendance.persen_hadir,
                Attendance.jam_lembur,
                Attendance.persen_rapat,
                Attendance.menit_terlambat,
            ).where(Attendance.periode == period.code)
        )
        kehadiran: dict[int, float] = {}
        lembur: dict[int, float] = {}
        rapat: dict[int, float] = {}
        terlambat: dict[int, float] = {}
        for user, hadir, jam, persen_rapat, menit in rows:
            if hadir is not None:
                kehadiran[user] = float(hadir)
            if jam is not None:
                lembur[user] = float(jam)
            if persen_rapat is not None:
                rapat[user] = float(persen_rapat)
            if menit is not None:
                terlambat[user] = indicators.lateness(float(menit))
        return {
            "kehadiran": kehadiran,
            "lembur": percentile_ranks(lembur) if lembur else {},
            "rapat": rapat,
            "terlambat": terlambat,
        }


class ThreeSixtySource:
    """The 360 indicator from the raw item ratings of submitted assignments of the period:
    a rater's score is the mean of their items, a group's the mean of its raters."""

    indicators = ("penilaian360",)
    label = "360"

    def values(self, period: Any) -> Values:
        profile = period.profile
        raters = (
            select(
                Assignment.ratee_id.label("ratee_id"),
                Assignment.relation.label("relation"),
                func.avg(Rating.nilai).label("score"),
            )
            .join(Rating, Rating.assignment_id == Assignment.id)
            .where(Assignment.period_id == period.id, Assignment.submitted_at.is_not(None))
            .group_by(Assignment.id, Assignment.ratee_id, Assignment.relation)
            .subquery()
        )
        rows = _execute(
            select(
                raters.c.ratee_id, raters.c.relation, func.avg(raters.c.score), func.count()
            ).group_by(raters.c.ratee_id, raters.c.relation)
        )
        groups: dict[int, dict[str, tuple[float, int]]] = {}
        for ratee, relation, group_mean, count in rows:
            groups.setdefault(ratee, {})[relation] = (float(group_mean), int(count))
        weights, k = profile["groups"], int(profile["k"])
        found = {user: three_sixty_groups(g, weights, k) for user, g in groups.items()}
        return {"penilaian360": {u: v for u, v in found.items() if v is not None}}


class CompetencySource:
    """JPM and the potential score of the latest assessment dated on or before the
    reference date (an empty field of that assessment is missing)."""

    indicators = ("kompetensi", "potensi")
    label = "Kompetensi"

    def values(self, period: Any) -> Values:
        latest = (
            select(Competency.user_id, func.max(Competency.tanggal).label("tanggal"))
            .where(Competency.tanggal <= period.ends_on)
            .group_by(Competency.user_id)
            .subquery()
        )
        rows = _execute(
            select(Competency.user_id, Competency.jpm, Competency.skor_potensi).join(
                latest,
                and_(
                    Competency.user_id == latest.c.user_id, Competency.tanggal == latest.c.tanggal
                ),
            )
        )
        kompetensi: dict[int, float] = {}
        potensi: dict[int, float] = {}
        for user, jpm, skor in rows:
            if jpm is not None:
                kompetensi[user] = float(jpm)
            if skor is not None:
                potensi[user] = float(skor)
        return {"kompetensi": kompetensi, "potensi": potensi}


SEVERITY = {"ringan": 1, "sedang": 2, "berat": 3}
SEVERITY_NAMES = {rank: name for name, rank in SEVERITY.items()}


class TrackRecordSource:
    """Education, training JP dated in the period and the worst discipline penalty of the
    last 2 years; missing when education is unknown."""

    indicators = ("rekam_jejak",)
    label = "Rekam jejak"

    def values(self, period: Any) -> Values:
        training = (
            select(Training.user_id, func.sum(Training.jp).label("jp"))
            .where(Training.tanggal >= period.starts_on, Training.tanggal <= period.ends_on)
            .group_by(Training.user_id)
            .subquery()
        )
        severity = case(
            *((Discipline.tingkat == name, rank) for name, rank in SEVERITY.items()), else_=0
        )
        discipline = (
            select(Discipline.user_id, func.max(severity).label("worst"))
            .where(
                Discipline.tanggal > two_years_before(period.ends_on),
                Discipline.tanggal <= period.ends_on,
            )
            .group_by(Discipline.user_id)
            .subquery()
        )
        rows = _execute(
            select(Employee.user_id, Employee.pendidikan, training.c.jp, discipline.c.worst)
            .outerjoin(training, training.c.user_id == Employee.user_id)
            .outerjoin(discipline, discipline.c.user_id == Employee.user_id)
            .where(Employee.pendidikan.is_not(None))
        )
        found: dict[int, float] = {}
        for user, level, jp, worst in rows:
            penalties = [SEVERITY_NAMES[worst]] if worst in SEVERITY_NAMES else []
            value = indicators.track_record(level, float(jp or 0), penalties)
            if value is not None:
                found[user] = value
        return {"rekam_jejak": found}


BUILT_IN: tuple[Any, ...] = (
    SkpSource(),
    EKinerjaSource(),
    AttendanceSource(),
    ThreeSixtySource(),
    CompetencySource(),
    TrackRecordSource(),
)


def all_sources() -> list[Provided]:
    """The built-in sources, then those of the active plugins (a disabled plugin's sources
    are absent, so their indicators are missing and their weight is redistributed)."""
    provided = [Provided("simantap", source) for source in BUILT_IN]
    for plugin, found in collect_hook("simantap_score_sources"):
        provided.extend(Provided(plugin, source) for source in found or ())
    return provided
