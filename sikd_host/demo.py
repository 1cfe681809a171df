"""The demo institution: a Sekretariat Jenderal with biro, bagian and subbagian, about 150
employees with valid NIPs, and positions from Eselon I to IV plus functional and staff ones.

Built from a fixed seed so every start looks the same. Plugins add their own demo data.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy import select

from sikd_host.auth.accounts import find_user, roles_named, set_password
from sikd_host.auth.models import User
from sikd_host.auth.passwords import hash_password
from sikd_host.extensions import db
from sikd_host.org.models import Position, Unit

SEED = 20260101

BIRO = {
    "UMUM": (
        "Biro Umum",
        [
            ("TU", "Bagian Tata Usaha", ["Subbagian Persuratan", "Subbagian Kearsipan"]),
            ("RT", "Bagian Rumah Tangga", ["Subbagian Perlengkapan", "Subbagian Protokol"]),
            (
                "PBJ",
                "Bagian Pengadaan",
                ["Subbagian Perencanaan Pengadaan", "Subbagian Pelaksanaan Pengadaan"],
            ),
        ],
    ),
    "KEPEG": (
        "Biro Kepegawaian",
        [
            ("MUT", "Bagian Mutasi", ["Subbagian Pengangkatan", "Subbagian Pemindahan"]),
            (
                "BKT",
                "Bagian Pengembangan Kompetensi",
                ["Subbagian Pelatihan", "Subbagian Penilaian Kinerja"],
            ),
            ("KSJ", "Bagian Kesejahteraan", ["Subbagian Gaji", "Subbagian Disiplin"]),
        ],
    ),
    "RENKEU": (
        "Biro Perencanaan dan Keuangan",
        [
            ("REN", "Bagian Perencanaan", ["Subbagian Program", "Subbagian Anggaran"]),
            ("KEU", "Bagian Keuangan", ["Subbagian Perbendaharaan", "Subbagian Akuntansi"]),
            ("EVA", "Bagian Evaluasi", ["Subbagian Evaluasi Program", "Subbagian Pelaporan"]),
        ],
    ),
    "HUKHUM": (
        "Biro Hukum dan Hubungan Masyarakat",
        [
            (
                "PUU",
                "Bagian Peraturan Perundang-undangan",
                ["Subbagian Penyusunan", "Subbagian Telaah"],
            ),
            ("BHK", "Bagian Bantuan Hukum", ["Subbagian Litigasi", "Subbagian Nonlitigasi"]),
            (
                "HMS",
                "Bagian Hubungan Masyarakat",
                ["Subbagian Publikasi", "Subbagian Layanan Informasi"],
            ),
        ],
    ),
}

FIRST_NAMES = [
    ("Agus", 1),
    ("Budi", 1),
    ("Dedi", 1),
    ("Eko", 1),
    ("Fajar", 1),
    ("Hendra", 1),
    ("Irfan", 1),
    ("Joko", 1),
    ("Rudi", 1),
    ("Slamet", 1),
    ("Teguh", 1),
    ("Wahyu", 1),
    ("Yusuf", 1),
    ("Arif", 1),
    ("Bambang", 1),
    ("Dimas", 1),
    ("Gilang", 1),
    ("Hadi", 1),
    ("Rizky", 1),
    ("Surya", 1),
    ("Ani", 2),
    ("Dewi", 2),
    ("Fitri", 2),
    ("Indah", 2),
    ("Lestari", 2),
    ("Maya", 2),
    ("Nurul", 2),
    ("Putri", 2),
    ("Rina", 2),
    ("Sari", 2),
    ("Siti", 2),
    ("Tuti", 2),
    ("Wulan", 2),
    ("Yuni", 2),
    ("Ratna", 2),
    ("Intan", 2),
    ("Ayu", 2),
    ("Kartika", 2),
    ("Mega", 2),
    ("Diah", 2),
]
LAST_NAMES = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kusuma",
    "Pratama",
    "Setiawan",
    "Nugroho",
    "Rahmawati",
    "Lestari",
    "Siregar",
    "Nasution",
    "Harahap",
    "Simanjuntak",
    "Sitompul",
    "Hasibuan",
    "Wibowo",
    "Purnomo",
    "Susanto",
    "Gunawan",
    "Halim",
    "Permana",
    "Utami",
    "Maharani",
    "Syahputra",
]


@dataclass(frozen=True)
class DemoPerson:
    username: str
    full_name: str
    nip: str


def make_nip(rng: random.Random, birth_year: int, gender: int, used: set[str]) -> str:
    while True:
        birth = dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28))
        start_year = min(birth.year + rng.randint(22, 30), 2024)
        nip = f"{birth:%Y%m%d}{start_year}{rng.randint(1, 12):02d}{gender}{rng.randint(1, 999):03d}"
        if nip not in used:
            used.add(nip)
            return nip


class _People:
    def __init__(self, rng: random.Random):
        self.rng, self.usernames, self.nips = rng, set(), set()

    def new(self, birth_year: int) -> DemoPerson:
        first, gender = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        base = f"{first}.{last}".lower()
        username, n = base, 2
        while username in self.usernames:
            username, n = f"{base}{n}", n + 1
        self.usernames.add(username)
        return DemoPerson(
            username, f"{first} {last}", make_nip(self.rng, birth_year, gender, self.nips)
        )


def _unit(code: str, name: str, parent: Unit | None) -> Unit:
    unit = Unit(code=code, name=name, parent=parent)
    db.session.add(unit)
    return unit


def _position(
    code: str,
    name: str,
    unit: Unit,
    superior: Position | None,
    kind: str = "struktural",
    eselon: str | None = None,
    jenjang: str | None = None,
    critical: bool = False,
) -> Position:
    position = Position(
        code=code,
        name=name,
        unit=unit,
        superior=superior,
        kind=kind,
        eselon=eselon,
        jenjang=jenjang,
        critical=critical,
    )
    db.session.add(position)
    return position


def build_organisation() -> list[tuple[Position, int]]:
    """Units and positions; returns (position, number of holders) for staffing."""
    staffing: list[tuple[Position, int]] = []
    root = _unit("SETJEN", "Sekretariat Jenderal", None)
    sekjen = _position("J-SETJEN", "Sekretaris Jenderal", root, None, eselon="I.a", critical=True)
    staffing.append((sekjen, 1))
    staffing.append(
        (
            _position(
                "J-SETJEN-TA",
                "Tenaga Ahli Sekretaris Jenderal",
                root,
                sekjen,
                kind="fungsional",
                jenjang="ahli utama",
            ),
            1,
        )
    )
    for biro_code, (biro_name, bagians) in BIRO.items():
        biro = _unit(biro_code, biro_name, root)
        kabiro = _position(
            f"J-{biro_code}", f"Kepala {biro_name}", biro, sekjen, eselon="II.a", critical=True
        )
        staffing.append((kabiro, 1))
        for bagian_code, bagian_name, subbagians in bagians:
            code = f"{biro_code}.{bagian_code}"
            bagian = _unit(code, bagian_name, biro)
            kabag = _position(
                f"J-{code}",
                f"Kepala {bagian_name}",
                bagian,
                kabiro,
                eselon="III.a",
                critical=bagian_code in {"TU", "MUT", "KEU", "PUU"},
            )
            staffing.append((kabag, 1))
            analis = _position(
                f"J-{code}-AN",
                f"Analis {bagian_name.removeprefix('Bagian ')} Ahli Muda",
                bagian,
                kabag,
                kind="fungsional",
                jenjang="ahli muda",
            )
            staffing.append((analis, 3))
            for index, subbagian_name in enumerate(subbagians, start=1):
                sub_code = f"{code}.{index}"
                subbagian = _unit(sub_code, subbagian_name, bagian)
                kasubbag = _position(
                    f"J-{sub_code}", f"Kepala {subbagian_name}", subbagian, kabag, eselon="IV.a"
                )
                staffing.append((kasubbag, 1))
                staff_name = (
                    "Arsiparis Terampil" if "Arsip" in subbagian_name else "Pengadministrasi Umum"
                )
                staff_kind, jenjang = (
                    ("fungsional", "terampil") if "Arsip" in staff_name else ("pelaksana", None)
                )
                staff = _position(
                    f"J-{sub_code}-PL",
                    staff_name,
                    subbagian,
                    kasubbag,
                    kind=staff_kind,
                    jenjang=jenjang,
                )
                staffing.append((staff, 3))
    db.session.flush()
    return staffing


BIRTH_YEARS = {
    "I.a": (1966, 1970),
    "II.a": (1968, 1975),
    "III.a": (1972, 1982),
    "IV.a": (1978, 1988),
}


def load_demo(admin_password: str) -> str:
    """Load the demo institution once; later calls only reset the admin password."""
    admin = find_user("admin")
    if admin is not None:
        set_password("sikd demo", admin, admin_password)
    if db.session.scalar(select(Unit.id).where(Unit.code == "SETJEN")) is not None:
        return "Demo data already loaded."
    rng = random.Random(SEED)
    people = _People(rng)
    shared_hash = hash_password(admin_password)  # one hash: argon2 per user would take minutes
    roles = {role.name: role for role in roles_named(["pegawai", "pimpinan", "arsiparis", "sdm"])}
    count = 0
    for position, holders in build_organisation():
        low, high = BIRTH_YEARS.get(position.eselon or "", (1970, 1999))
        for _ in range(holders):
            person = people.new(rng.randint(low, high))
            user = User(
                username=person.username,
                full_name=person.full_name,
                nip=person.nip,
                email=f"{person.username}@setjen.go.id",
                password_hash=shared_hash,
                position=position,
                active=True,
            )
            user.roles = [roles["pegawai"]]
            if position.kind == "struktural":
                user.roles.append(roles["pimpinan"])
            if "Arsip" in position.name or position.unit.code.startswith("UMUM.TU"):
                user.roles.append(roles["arsiparis"])
            if position.unit.code.startswith("KEPEG"):
                user.roles.append(roles["sdm"])
            db.session.add(user)
            count += 1
    db.session.flush()
    units = db.session.scalar(select(db.func.count()).select_from(Unit))
    positions = db.session.scalar(select(db.func.count()).select_from(Position))
    return f"Demo institution loaded: {units} units, {positions} positions, {count} employees."


def load_plugin_demos() -> list[str]:
    """Each active plugin's demo data, in dependency order, in the current transaction."""
    from sikd_host.pluginmanager import current_host

    results = current_host().collect("sikd_demo_data", guard=db.session.begin_nested, seed=SEED)
    return [summary for _plugin, summary in results if summary]
