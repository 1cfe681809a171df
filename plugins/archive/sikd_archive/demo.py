"""Demo data in Indonesian: the classification scheme, about 2,000 letters over eight years
with small generated PDFs, some in berkas, and dispositions with realistic delays.

Everything goes through the real services (register, attach, close_berkas), so agenda
numbers, retention dates, the search index, stored blobs and audit entries are what a real
institution would have. Disposition timestamps are set in the past directly, since the
send/act services stamp "now".
"""

from __future__ import annotations

import datetime as dt
import io
import math
import random
import zlib
from typing import Any

from sqlalchemy import select

from sikd_archive import records, search
from sikd_archive.instructions import DEFAULT_INSTRUCTIONS
from sikd_archive.klasifikasi import load_default_scheme
from sikd_archive.models import Berkas, Disposition, DispositionAction, Klasifikasi, Record
from sikd_host.plugin_api import Position, Unit, User, audit, db, org, settings, utcnow

FIRST_YEAR = 2019

SUBJECTS = {
    "UM.01.01": ["Undangan rapat koordinasi", "Permohonan data", "Penyampaian informasi"],
    "UM.03": ["Undangan upacara peringatan hari besar", "Penyelenggaraan acara pelantikan"],
    "KP.01.01": ["Usulan formasi pegawai", "Analisis kebutuhan pegawai"],
    "KP.02.01": ["Usulan kenaikan pangkat", "Penyampaian berkas kenaikan pangkat"],
    "KP.02.02": ["Usulan mutasi jabatan", "Pemberitahuan pelantikan pejabat"],
    "KP.03": ["Pemanggilan peserta pelatihan", "Laporan hasil diklat kepemimpinan"],
    "KP.04": ["Penyampaian SKP pegawai", "Rekapitulasi penilaian kinerja"],
    "KU.01.01": ["Penyampaian DIPA", "Permohonan pencairan anggaran"],
    "KU.01.02": ["Usulan revisi anggaran", "Persetujuan revisi DIPA"],
    "KU.02": ["Laporan pertanggungjawaban bendahara", "Tindak lanjut temuan audit"],
    "PR.02": ["Penyusunan rencana kerja tahunan", "Evaluasi capaian kinerja triwulan"],
}
SENDERS = [
    "Kementerian Keuangan",
    "Badan Kepegawaian Negara",
    "Kementerian PANRB",
    "Arsip Nasional Republik Indonesia",
    "Lembaga Administrasi Negara",
    "Badan Pemeriksa Keuangan",
    "Pemerintah Provinsi DKI Jakarta",
    "Kementerian Dalam Negeri",
]
KINDS = [("surat_masuk", 55), ("nota_dinas", 20), ("surat_keluar", 15), ("surat_undangan", 10)]
SIFAT = [("biasa", 80), ("segera", 15), ("sangat_segera", 5)]


def load_demo(seed: int) -> str | None:
    """Load once; a database that already has letters is left alone."""
    if db.session.scalar(select(Record.id).limit(1)) is not None:
        return None
    if db.session.scalar(select(Klasifikasi.id).limit(1)) is None:
        load_default_scheme()
    units = _units_with_staff()
    if not units:
        return None
    letters, routed = DemoArchive(random.Random(seed), dt.date.today(), units).load()
    audit.record("demo", "archive.demo_loaded", "archive_record", "", {"letters": letters})
    return f"Archive: {letters} letters with PDF attachments, {routed} dispositions."


def _units_with_staff() -> list[tuple[Any, Any, Any]]:
    """(unit, its leader or None, a clerk who registers its letters) for staffed units."""
    rows = []
    for unit in db.session.scalars(select(Unit).order_by(Unit.code)):
        staff = list(
            db.session.scalars(
                select(User)
                .join(Position, User.position_id == Position.id)
                .where(Position.unit_id == unit.id, User.active)
                .order_by(User.id)
            )
        )
        if not staff:
            continue
        leaders = [u for u in staff if u.position.kind == "struktural"]
        clerks = [u for u in staff if u.position.kind != "struktural"] or staff
        rows.append((unit, leaders[0] if leaders else None, clerks[0]))
    return rows


def _weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _w in choices], weights=[w for _c, w in choices])[0]


def _hours(rng: random.Random, median: float) -> float:
    """A log-normal delay: most are quick, a few take days."""
    return median * math.exp(rng.gauss(0, 0.9))


class DemoArchive:
    """One loading run: the random source, the staffed units and what was created."""

    def __init__(self, rng: random.Random, today: dt.date, units: list[tuple[Any, Any, Any]]):
        self.rng, self.today, self.units = rng, today, units
        self.now = utcnow()
        self.codes = dict(
            db.session.execute(
                select(Klasifikasi.code, Klasifikasi.id).where(Klasifikasi.code.in_(SUBJECTS))
            ).all()
        )
        self.berkas: dict[tuple[int, int], tuple[Berkas, Any]] = {}
        self.subordinates: dict[int, list[Any]] = {}

    def load(self) -> tuple[int, int]:
        letters = routed = 0
        for tanggal in self.dates():
            unit, leader, clerk = self.rng.choice(self.units)
            record = records.register(clerk, unit.id, self.letter(tanggal, unit))
            if self.rng.random() < 0.3 and tanggal.year < self.today.year:
                berkas = self.berkas_for(unit, clerk, tanggal.year, record)
                records.edit(clerk, record, {"berkas_id": berkas.id})
            records.attach(clerk, record, io.BytesIO(demo_pdf(record)), "naskah.pdf")
            if record.kind == "surat_masuk" and leader is not None:
                routed += self.route(record, leader)
                search.index_record(record)  # its recipients join its scope
            letters += 1
        for berkas, clerk in self.berkas.values():
            records.close_berkas(clerk, berkas, dt.date(berkas.opened_on.year, 12, 31))
        return letters, routed

    def dates(self) -> list[dt.date]:
        """ARCHIVE_DEMO_LETTERS working days from FIRST_YEAR to today, denser lately."""
        start = dt.date(FIRST_YEAR, 1, 2)
        span = (self.today - start).days
        days = []
        for _ in range(int(settings("ARCHIVE_DEMO_LETTERS", 2000))):
            day = start + dt.timedelta(days=int(span * math.sqrt(self.rng.random())))
            while day.weekday() >= 5:
                day -= dt.timedelta(days=1)
            days.append(max(day, start))
        return sorted(days)

    def letter(self, tanggal: dt.date, unit: Any) -> dict[str, Any]:
        rng = self.rng
        code = rng.choice(list(self.codes))
        subject = rng.choice(SUBJECTS[code])
        kind = _weighted(rng, KINDS)
        outside = rng.choice(SENDERS)
        return {
            "kind": kind,
            "nomor": f"B-{rng.randint(1, 999)}/{code.replace('.', '')}/"
            f"{tanggal.month:02d}/{tanggal.year}",
            "tanggal": tanggal,
            "perihal": f"{subject} {tanggal.year}",
            "asal": outside if kind == "surat_masuk" else unit.name,
            "tujuan": unit.name if kind == "surat_masuk" else outside,
            "ringkasan": f"{subject} dari {outside}. Mohon ditindaklanjuti sesuai ketentuan.",
            "klasifikasi_id": self.codes[code],
            "sifat": _weighted(rng, SIFAT),
            "keamanan": "R" if code == "KP.04" and rng.random() < 0.5 else "B",
            "media": "elektronik",
        }

    def berkas_for(self, unit: Any, clerk: Any, year: int, record: Any) -> Berkas:
        key = (unit.id, year)
        if key not in self.berkas:
            berkas = Berkas(
                number=f"BRK/{unit.code}/{year}",
                title=f"Berkas surat-menyurat {unit.name} {year}",
                unit_id=unit.id,
                klasifikasi_id=record.klasifikasi_id,
                opened_on=dt.date(year, 1, 2),
                created_by_id=clerk.id,
            )
            db.session.add(berkas)
            db.session.flush()
            self.berkas[key] = (berkas, clerk)
        return self.berkas[key][0]

    def staff_under(self, user: Any) -> list[Any]:
        if user.id not in self.subordinates:
            self.subordinates[user.id] = org.subordinates_of(user)
        return self.subordinates[user.id]

    def route(self, record: Any, leader: Any) -> int:
        """The unit head disposes the letter to one or two staff; some forward it on."""
        staff = self.staff_under(leader)
        if not staff:
            return 0
        sent = dt.datetime.combine(record.tanggal, dt.time(8)) + dt.timedelta(
            hours=self.rng.random() * 8
        )
        chosen = self.rng.sample(staff, k=min(len(staff), self.rng.choice((1, 1, 2))))
        return sum(self.disposition(record, leader, person, sent) for person in chosen)

    def disposition(
        self, record: Any, sender: Any, recipient: Any, sent: dt.datetime, parent: Any = None
    ) -> int:
        rng = self.rng
        row = Disposition(
            record_id=record.id,
            parent_id=parent.id if parent else None,
            kind="disposisi" if parent is None else "teruskan",
            sender_id=sender.id,
            recipient_id=recipient.id,
            instruction=rng.choice(DEFAULT_INSTRUCTIONS),
            note="Mohon ditindaklanjuti.",
            due_on=(sent + dt.timedelta(days=rng.choice((3, 5, 7)))).date(),
            sent_at=sent,
        )
        self.life(row, sent)
        db.session.add(row)
        db.session.flush()
        if row.done_at is not None:
            db.session.add(
                DispositionAction(
                    disposition_id=row.id,
                    user_id=recipient.id,
                    action="selesai",
                    note="Sudah ditindaklanjuti.",
                    acted_at=row.done_at,
                )
            )
        count = 1
        if parent is None and row.first_action_at is not None and rng.random() < 0.25:
            further = self.staff_under(recipient)
            if further:
                count += self.disposition(
                    record, recipient, rng.choice(further), row.first_action_at, row
                )
        return count

    def life(self, row: Disposition, sent: dt.datetime) -> None:
        """Read after hours, acted on after more, done later; recent ones still open."""
        read = sent + dt.timedelta(hours=_hours(self.rng, 3))
        acted = read + dt.timedelta(hours=_hours(self.rng, 10))
        finished = acted + dt.timedelta(hours=_hours(self.rng, 20))
        if read >= self.now or self.rng.random() < 0.02:
            return
        row.read_at = read
        if acted >= self.now or self.rng.random() < 0.05:
            return
        row.first_action_at = acted
        row.response_hours = round((acted - sent).total_seconds() / 3600, 4)
        if finished < self.now:
            row.done_at = finished


def demo_pdf(record: Any) -> bytes:
    """A small one-page PDF of the letter, with text that search can find."""
    lines = [record.nomor, record.perihal, record.asal, record.ringkasan]
    text = " ".join(f"({_pdf_text(line)}) Tj 0 -16 Td" for line in lines if line)
    stream = f"BT /F1 11 Tf 72 720 Td {text} ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(zlib.compress(stream))
        + zlib.compress(stream)
        + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pdf_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
