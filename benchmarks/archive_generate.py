"""Generate a large archive for the search benchmark: units, people, the classification
scheme, N naskah dinas with realistic Indonesian subjects, some dispositions, and the
search index, written in bulk through SQLAlchemy Core (the schema comes from the
migrations, the index rows from the plugin's own engine code).

    .venv/bin/python benchmarks/archive_generate.py [--records 1000000]
        [--database-url sqlite:////tmp/sikd-archive-bench/sikd.db
         | --database-url postgresql+psycopg://postgres@127.0.0.1:5432/sikd_bench [--drop]]

A PostgreSQL database is created when missing (``--drop`` drops it first). The benchmark
user is ``budi`` (a pegawai of one bagian), password ``benchmark password``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text
from sqlalchemy.engine import Connection, make_url

DEFAULT_SQLITE = "sqlite:////tmp/sikd-archive-bench/sikd.db"
PASSWORD = "benchmark password"
BENCH_USER = "budi"
CHUNK = 10_000
SEED = 20_261_205

BIRO = ["Umum", "Keuangan", "Kepegawaian", "Hukum", "Perencanaan", "Humas", "Organisasi"]
BAGIAN = ["Tata Usaha", "Rumah Tangga", "Perlengkapan", "Protokol", "Arsip", "Program"]
OPENERS = [
    "Undangan rapat",
    "Permohonan",
    "Laporan",
    "Pemberitahuan",
    "Penyampaian",
    "Usulan",
    "Surat tugas",
    "Nota dinas",
    "Pengiriman",
    "Tanggapan atas",
    "Penetapan",
    "Pengajuan",
    "Konfirmasi",
    "Permintaan data",
    "Hasil evaluasi",
    "Rencana kegiatan",
    "Undangan",
]
TOPICS = [
    "koordinasi anggaran",
    "pengadaan barang",
    "perjalanan dinas",
    "kenaikan pangkat",
    "cuti tahunan",
    "pelatihan pegawai",
    "penyusunan rencana kerja",
    "laporan keuangan",
    "pemeliharaan gedung",
    "inventarisasi aset",
    "rekrutmen pegawai",
    "evaluasi kinerja",
    "sosialisasi peraturan",
    "penilaian angka kredit",
    "mutasi jabatan",
    "pensiun pegawai",
    "audit internal",
    "pengelolaan arsip",
    "penyusutan arsip",
    "layanan informasi publik",
    "kerja sama daerah",
    "penanganan pengaduan",
    "rapat kerja nasional",
    "upacara hari besar",
    "penyediaan kendaraan dinas",
    "pembayaran tunjangan",
    "revisi anggaran",
    "monitoring program",
]
PLACES = [
    "Jakarta",
    "Bandung",
    "Surabaya",
    "Medan",
    "Makassar",
    "Semarang",
    "Yogyakarta",
    "Palembang",
    "Denpasar",
    "Banjarmasin",
    "Pontianak",
    "Manado",
    "Kupang",
    "Jayapura",
    "Ambon",
    "Padang",
]
SENDERS = [
    "Kementerian Keuangan",
    "Kementerian Dalam Negeri",
    "Badan Kepegawaian Negara",
    "Arsip Nasional Republik Indonesia",
    "Sekretariat Daerah",
    "Inspektorat Jenderal",
    "Badan Pemeriksa Keuangan",
    "Kementerian PANRB",
    "Pemerintah Provinsi",
    "Dinas Pendidikan",
]
FILLER = [
    "dengan",
    "hormat",
    "sehubungan",
    "dengan",
    "hal",
    "tersebut",
    "di",
    "atas",
    "kami",
    "sampaikan",
    "bahwa",
    "kegiatan",
    "akan",
    "dilaksanakan",
    "pada",
    "hari",
    "tanggal",
    "tempat",
    "acara",
    "mohon",
    "kehadiran",
    "bapak",
    "ibu",
    "tepat",
    "waktu",
    "atas",
    "perhatian",
    "dan",
    "kerja",
    "samanya",
    "diucapkan",
    "terima",
    "kasih",
    "sebagai",
    "tindak",
    "lanjut",
    "berdasarkan",
    "peraturan",
    "menteri",
    "nomor",
    "tahun",
    "tentang",
    "pedoman",
    "pelaksanaan",
    "bersama",
    "ini",
    "dilampirkan",
    "daftar",
    "nama",
    "peserta",
    "jadwal",
    "dokumen",
    "pendukung",
    "yang",
    "diperlukan",
    "untuk",
    "diproses",
    "lebih",
    "lanjut",
]
SYLLABLES = [
    "ba",
    "be",
    "bi",
    "bu",
    "da",
    "di",
    "du",
    "ga",
    "gi",
    "ja",
    "ka",
    "ki",
    "ku",
    "la",
    "li",
    "ma",
    "mi",
    "mu",
    "na",
    "ni",
    "pa",
    "pi",
    "ra",
    "ri",
    "sa",
    "si",
    "ta",
    "ti",
    "wa",
]
KINDS = ["surat_masuk"] * 5 + ["surat_keluar"] * 3 + ["nota_dinas", "surat_undangan", "memo"]
KIND_ALL = KINDS + ["surat_edaran", "surat_keputusan"]
KODES = {"surat_masuk": "SM", "surat_keluar": "SK", "nota_dinas": "ND"}


def rare_word(rng: random.Random) -> str:
    """A made-up word of 4 syllables: 30^4 of them, so each appears a handful of times."""
    return "".join(rng.choice(SYLLABLES) for _ in range(4))


def prepare(url: str, drop: bool) -> str:
    """Create the database (PostgreSQL) or its folder (SQLite); the URL to use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database)
        if drop and path.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return url
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if drop:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        exists = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
        )
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return url


def build_app(url: str, instance: Path) -> Any:
    from sikd_host import create_app

    return create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "SECRET_KEY": "bench"})


def organisation(rng: random.Random) -> dict[str, Any]:
    """Units, positions and people through the ORM (a few hundred rows); ids for the rest."""
    from sikd_archive.klasifikasi import load_default_scheme
    from sikd_archive.models import Klasifikasi

    from sikd_host.auth import accounts
    from sikd_host.auth.models import Role, User, user_role
    from sikd_host.extensions import db
    from sikd_host.org.models import Position, Unit

    root = Unit(code="S", name="Sekretariat Jenderal")
    top = Position(code="P-S", name="Sekretaris Jenderal", unit=root, kind="struktural")
    units, staff_positions = [root], []
    for b, biro_name in enumerate(BIRO, start=1):
        biro = Unit(code=f"S.{b}", name=f"Biro {biro_name}", parent=root)
        head = Position(
            code=f"P-S.{b}",
            name=f"Kepala Biro {biro_name}",
            unit=biro,
            superior=top,
            kind="struktural",
        )
        units.append(biro)
        for g, bagian_name in enumerate(BAGIAN, start=1):
            bagian = Unit(code=f"S.{b}.{g}", name=f"Bagian {bagian_name}", parent=biro)
            kabag = Position(
                code=f"P-S.{b}.{g}",
                name=f"Kepala Bagian {bagian_name}",
                unit=bagian,
                superior=head,
                kind="struktural",
            )
            staf = Position(
                code=f"P-S.{b}.{g}-S",
                name=f"Staf {bagian_name}",
                unit=bagian,
                superior=kabag,
                kind="pelaksana",
            )
            units.append(bagian)
            staff_positions.append(staf)
    db.session.add_all(units)
    db.session.flush()
    load_default_scheme()
    budi = accounts.create_user(
        "bench",
        BENCH_USER,
        "Budi Santoso",
        PASSWORD,
        roles=["pegawai"],
        position_id=staff_positions[0].id,
    )
    arsip = accounts.create_user(
        "bench",
        "arsip",
        "Arsiparis",
        PASSWORD,
        roles=["pegawai", "arsiparis"],
        position_id=staff_positions[1].id,
    )
    db.session.flush()
    pegawai = db.session.scalar(select(Role.id).where(Role.name == "pegawai"))
    people = [
        {
            "username": f"pegawai{i}",
            "full_name": f"Pegawai {i}",
            "email": "",
            "active": True,
            "password_hash": budi.password_hash,
            "session_version": 1,
            "position_id": rng.choice(staff_positions).id,
            "created_at": dt.datetime(2026, 1, 1),
        }
        for i in range(300)
    ]
    db.session.execute(insert(User), people)
    ids = db.session.scalars(select(User.id).where(User.username.like("pegawai%"))).all()
    db.session.execute(insert(user_role), [{"user_id": i, "role_id": pegawai} for i in ids])
    db.session.commit()
    leaf = db.session.execute(select(Klasifikasi.id, Klasifikasi.code)).all()
    return {
        "units": [(u.id, u.code) for u in units],
        "budi_unit": staff_positions[0].unit_id,
        "users": [budi.id, arsip.id, *ids],
        "budi": budi.id,
        "arsip": arsip.id,
        "codes": [row for row in leaf if row.code.count(".") >= 1],
    }


class Generator:
    """Records, one chunk at a time, deterministic for a seed."""

    def __init__(self, rng: random.Random, world: dict[str, Any]):
        self.rng, self.world = rng, world
        self.seq: dict[tuple[int, int], int] = {}
        self.start = dt.date(2015, 1, 1).toordinal()
        self.span = dt.date(2026, 11, 30).toordinal() - self.start
        # budi's unit gets its fair share; every unit appears
        self.units = world["units"]

    def record(self, record_id: int) -> dict[str, Any]:
        rng = self.rng
        unit_id, unit_code = rng.choice(self.units)
        tanggal = dt.date.fromordinal(self.start + rng.randrange(self.span))
        key = (unit_id, tanggal.year)
        self.seq[key] = seq = self.seq.get(key, 0) + 1
        kind = rng.choice(KIND_ALL)
        code_id, code = rng.choice(self.world["codes"])
        perihal = (
            f"{rng.choice(OPENERS)} {rng.choice(TOPICS)} {rng.choice(PLACES)} {rare_word(rng)}"
        )
        ringkasan = " ".join(rng.choice(FILLER) for _ in range(rng.randint(12, 30)))
        incoming = kind == "surat_masuk"
        status = rng.choices(("aktif", "inaktif", "musnah"), (85, 14, 1))[0]
        return {
            "id": record_id,
            "kind": kind,
            "agenda_year": tanggal.year,
            "agenda_seq": seq,
            "agenda_number": f"{seq:05d}/{unit_code}/{tanggal.year}",
            "nomor": f"{rng.randint(1, 999)}/{KODES.get(kind, 'UM')}/{code}/{tanggal.year}",
            "tanggal": tanggal,
            "perihal": perihal,
            "asal": rng.choice(SENDERS) if incoming else "",
            "tujuan": "" if incoming else rng.choice(SENDERS),
            "ringkasan": f"{ringkasan} {rare_word(rng)}",
            "klasifikasi_id": code_id,
            "sifat": rng.choices(("biasa", "segera", "sangat_segera"), (80, 15, 5))[0],
            "keamanan": rng.choices(("B", "T", "R", "SR"), (900, 70, 25, 5))[0],
            "tingkat": "asli",
            "media": "elektronik",
            "unit_id": unit_id,
            "created_by_id": self.world["arsip"],
            "created_at": dt.datetime.combine(tanggal, dt.time(9)),
            "status": status,
            "legal_hold": False,
            "legal_hold_reason": "",
            "destroyed_at": dt.datetime(2026, 6, 1) if status == "musnah" else None,
        }

    def dispositions(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One in twenty records routed to someone (budi now and then)."""
        rows = []
        for record in records:
            if self.rng.random() < 0.05:
                recipient = (
                    self.world["budi"]
                    if self.rng.random() < 0.02
                    else self.rng.choice(self.world["users"])
                )
                sent = dt.datetime.combine(record["tanggal"], dt.time(10))
                rows.append(
                    {
                        "record_id": record["id"],
                        "kind": "disposisi",
                        "sender_id": self.world["arsip"],
                        "recipient_id": recipient,
                        "instruction": "Tindak lanjuti",
                        "note": "",
                        "sent_at": sent,
                    }
                )
        return rows


def fill(connection: Connection, world: dict[str, Any], total: int, seed: int) -> None:
    """Insert ``total`` records, their dispositions and index rows, in chunks."""
    from sikd_archive import search
    from sikd_archive.models import Disposition, Record

    engine = search.engine_for(connection.dialect.name)
    generator = Generator(random.Random(seed), world)
    first = (connection.scalar(select(func.max(Record.id))) or 0) + 1
    started = time.perf_counter()
    for low in range(first, first + total, CHUNK):
        high = min(low + CHUNK, first + total)
        rows = [generator.record(i) for i in range(low, high)]
        connection.execute(insert(Record), rows)
        routed = generator.dispositions(rows)
        if routed:
            connection.execute(insert(Disposition), routed)
        recipients: dict[int, list[int]] = {}
        for routing in routed:
            recipients.setdefault(routing["record_id"], []).append(routing["recipient_id"])
        documents = [
            search.make_document(row["id"], row, (), recipients.get(row["id"], ()))
            for row in rows
            if row["status"] != "musnah"
        ]
        engine.insert(connection, documents)
        connection.commit()
        done = high - first
        rate = done / (time.perf_counter() - started)
        print(f"\r{done:>10,} records  {rate:,.0f}/s", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def finish(connection: Connection) -> None:
    """Statistics for the planner (and, on PostgreSQL, sequences past the explicit ids)."""
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "SELECT setval(pg_get_serial_sequence('archive_record', 'id'), "
                "(SELECT max(id) FROM archive_record))"
            )
        )
        connection.commit()
        connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    else:
        connection.execute(text("ANALYZE"))
        connection.execute(text("INSERT INTO archive_fts(archive_fts) VALUES ('optimize')"))
        connection.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_SQLITE)
    parser.add_argument("--drop", action="store_true", help="Drop the database first.")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    url = prepare(args.database_url, args.drop)
    instance = Path("/tmp/sikd-archive-bench/instance")
    instance.mkdir(parents=True, exist_ok=True)
    app = build_app(url, instance)
    started = time.perf_counter()
    with app.app_context():
        from sikd_host.cli import run_init
        from sikd_host.extensions import db
        from sikd_host.org.models import Unit

        run_init("admin", PASSWORD)
        if db.session.scalar(select(Unit.id).limit(1)) is not None:
            sys.exit("the database already holds an organisation; use --drop")
        world = organisation(random.Random(args.seed))
        engine = db.engine
    with engine.connect() as connection:
        fill(connection, world, args.records, args.seed)
        finish(connection)
    print(f"{args.records:,} records in {time.perf_counter() - started:.0f} s into {url}")


if __name__ == "__main__":
    main()
