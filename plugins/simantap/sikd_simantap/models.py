"""Tables of Simantap; every name starts with ``simantap_``.

Source data is kept as imported (raw 360 rows included), so every result can be
reproduced. A scoring run is immutable once written: its profile snapshot, input
fingerprint, results and each indicator value stay as they were computed.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sikd_host.plugin_api import db, utcnow


class Employee(db.Model):
    """Talent data of a host user: what the host does not keep (golongan, education...)."""

    __tablename__ = "simantap_employee"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    golongan: Mapped[str | None] = mapped_column(String(6))
    pendidikan: Mapped[str | None] = mapped_column(String(10))
    tmt_jabatan: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Skp(db.Model):
    __tablename__ = "simantap_skp"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    tahun: Mapped[int] = mapped_column(Integer, primary_key=True)
    predikat: Mapped[str] = mapped_column(String(20))


class Competency(db.Model):
    """An assessment: JPM and the assessment centre's potential score, both 0-100."""

    __tablename__ = "simantap_competency"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    tanggal: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    jpm: Mapped[float | None] = mapped_column(Float)
    skor_potensi: Mapped[float | None] = mapped_column(Float)


class Training(db.Model):
    __tablename__ = "simantap_training"
    __table_args__ = (
        UniqueConstraint("user_id", "tanggal", "nama", name="uq_simantap_training_row"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    tanggal: Mapped[dt.date] = mapped_column(Date)
    nama: Mapped[str] = mapped_column(String(200))
    jp: Mapped[float] = mapped_column(Float)


class Discipline(db.Model):
    __tablename__ = "simantap_discipline"
    __table_args__ = (
        UniqueConstraint("user_id", "tanggal", "tingkat", name="uq_simantap_discipline_row"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    tanggal: Mapped[dt.date] = mapped_column(Date)
    tingkat: Mapped[str] = mapped_column(String(10))
    keterangan: Mapped[str] = mapped_column(Text, default="")


class Attendance(db.Model):
    """Kehadiran figures of a period."""

    __tablename__ = "simantap_attendance"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    periode: Mapped[str] = mapped_column(String(10), primary_key=True)
    persen_hadir: Mapped[float | None] = mapped_column(Float)
    jam_lembur: Mapped[float | None] = mapped_column(Float)
    persen_rapat: Mapped[float | None] = mapped_column(Float)
    menit_terlambat: Mapped[float | None] = mapped_column(Float)


class EKinerja(db.Model):
    __tablename__ = "simantap_ekinerja"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    periode: Mapped[str] = mapped_column(String(10), primary_key=True)
    nilai: Mapped[float] = mapped_column(Float)


class Period(db.Model):
    """An assessment period (a year unless the profile says otherwise)."""

    __tablename__ = "simantap_period"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(10), unique=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)  # the reference date
    status: Mapped[str] = mapped_column(String(10), default="draft")  # draft, open, closed
    profile_name: Mapped[str] = mapped_column(String(60))
    profile: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def reference_date(self) -> dt.date:
        return self.ends_on


class Assignment(db.Model):
    """Who rates whom in a period's 360 assessment, and in which relation."""

    __tablename__ = "simantap_assignment"
    __table_args__ = (
        UniqueConstraint("period_id", "rater_id", "ratee_id", name="uq_simantap_assignment"),
        Index("ix_simantap_assignment_ratee", "period_id", "ratee_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("simantap_period.id"))
    rater_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    ratee_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    relation: Mapped[str] = mapped_column(String(10))  # atasan, rekan, bawahan, diri
    submitted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    comment: Mapped[str] = mapped_column(Text, default="")


class Rating(db.Model):
    """One raw 360 item rating (1-5), as the form or the import gave it."""

    __tablename__ = "simantap_rating"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("simantap_assignment.id"), primary_key=True
    )
    butir: Mapped[int] = mapped_column(SmallInteger, primary_key=True)  # 1-7, BerAKHLAK
    nilai: Mapped[int] = mapped_column(SmallInteger)


class Run(db.Model):
    """A scoring run: immutable once done; at most one published per period."""

    __tablename__ = "simantap_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("simantap_period.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="running")  # running, done, failed
    profile: Mapped[dict] = mapped_column(JSON)
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    code_version: Mapped[str] = mapped_column(String(40), default="")
    sources: Mapped[list] = mapped_column(JSON, default=list)
    run_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    seconds: Mapped[float | None] = mapped_column(Float)
    employees: Mapped[int] = mapped_column(Integer, default=0)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    published_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    publish_reason: Mapped[str] = mapped_column(Text, default="")
    superseded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    period: Mapped[Period] = relationship()


class Result(db.Model):
    """An employee's axis scores, bands and box in a run (box None: not mapped), with the
    value (0-100) of every indicator that had data, for the explanation. One column per
    indicator key of ``scoring.profile.INDICATORS`` (``i_<key>``; None: no data)."""

    __tablename__ = "simantap_result"
    __table_args__ = (Index("ix_simantap_result_box", "run_id", "box"),)

    run_id: Mapped[int] = mapped_column(ForeignKey("simantap_run.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("position.id"))
    kinerja: Mapped[float | None] = mapped_column(Float)
    potensial: Mapped[float | None] = mapped_column(Float)
    coverage_kinerja: Mapped[float] = mapped_column(Float, default=0)
    coverage_potensial: Mapped[float] = mapped_column(Float, default=0)
    kinerja_band: Mapped[str | None] = mapped_column(String(10))
    potensial_band: Mapped[str | None] = mapped_column(String(10))
    box: Mapped[int | None] = mapped_column(SmallInteger)
    missing: Mapped[list] = mapped_column(JSON, default=list)
    i_skp: Mapped[float | None] = mapped_column(Float)
    i_ekinerja: Mapped[float | None] = mapped_column(Float)
    i_kehadiran: Mapped[float | None] = mapped_column(Float)
    i_lembur: Mapped[float | None] = mapped_column(Float)
    i_rapat: Mapped[float | None] = mapped_column(Float)
    i_terlambat: Mapped[float | None] = mapped_column(Float)
    i_beban_kerja: Mapped[float | None] = mapped_column(Float)
    i_respons: Mapped[float | None] = mapped_column(Float)
    i_penilaian360: Mapped[float | None] = mapped_column(Float)
    i_kompetensi: Mapped[float | None] = mapped_column(Float)
    i_potensi: Mapped[float | None] = mapped_column(Float)
    i_rekam_jejak: Mapped[float | None] = mapped_column(Float)

    @property
    def indicators(self) -> dict[str, float]:
        """The indicators with data: key -> value."""
        return {
            column[2:]: value
            for column in INDICATOR_COLUMNS
            if (value := getattr(self, column)) is not None
        }


INDICATOR_COLUMNS = tuple(c.name for c in Result.__table__.columns if c.name.startswith("i_"))


class CompetencyLevel(db.Model):
    """An employee's level (1-5) in one competency at an assessment, for comparing them
    with a position's standard competency by competency."""

    __tablename__ = "simantap_competency_level"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    tanggal: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    kompetensi: Mapped[str] = mapped_column(String(80), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger)


class CriticalPosition(db.Model):
    """A position in the register of critical positions (jabatan kritikal): why and since
    when it is flagged, and its competency standard (levels 1-5 of the 8 managerial and 1
    socio-cultural competencies, plus technical competencies as free items)."""

    __tablename__ = "simantap_critical_position"

    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    flagged_on: Mapped[dt.date] = mapped_column(Date)
    standard: Mapped[dict] = mapped_column(JSON, default=dict)  # competency key -> level
    technical: Mapped[list] = mapped_column(JSON, default=list)  # [{"name", "level"}]
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class SuccessionOverride(db.Model):
    """HR's manual change to a computed candidate list: nominate someone outside it, or
    remove someone from it, always with a written reason. Lifting one keeps the row."""

    __tablename__ = "simantap_succession_override"
    __table_args__ = (Index("ix_simantap_override_position", "position_id", "active"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    action: Mapped[str] = mapped_column(String(10))  # nominate, remove
    reason: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    lifted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    lift_reason: Mapped[str] = mapped_column(Text, default="")


class SuccessionPlan(db.Model):
    """A frozen (published) succession plan of a position for a period: the ranked list as
    it stood, kept unchanged whatever happens to the data afterwards."""

    __tablename__ = "simantap_succession_plan"
    __table_args__ = (
        UniqueConstraint("position_id", "period_id", name="uq_simantap_plan_position_period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("position.id"))
    period_id: Mapped[int] = mapped_column(ForeignKey("simantap_period.id"))
    run_id: Mapped[int] = mapped_column(ForeignKey("simantap_run.id"))
    snapshot: Mapped[dict] = mapped_column(JSON)
    frozen_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    frozen_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
