"""Succession through its real entry points: the register with its red flags, a plan with
its failing pool members, written overrides (audited), freezing, the talent pool, the
candidate comparison and decision sheet, exports, the command line and access.

The published run of 2026 is written directly (boxes and scores chosen by hand):

- kabag_tu: III.a, IV/c, box 9, kinerja 92, potensial 94, JPM 91 -> eligible for J-BU
  (II.a, minimum IV/c), score 0.5 * 93 + 0.5 * 91 = 92.00, Siap sekarang;
- kabag_kp: III.a, IV/b, box 8, JPM 85 -> fails golongan for J-BU;
- tu1: pelaksana, box 7 -> fails tier; kp1: fungsional, box 9 -> fails tier;
- kabiro: II.a, IV/d, box 9, JPM 95, holds J-BU (fails holder); eligible for J-SJ;
- sekretaris: holds J-SJ and retires on 2026-09-01 (born 1966-08-01, BUP 60) -> red flag.
"""

import csv
import datetime as dt
import io

import pytest
from sikd_simantap.models import (
    Competency,
    CompetencyLevel,
    CriticalPosition,
    Discipline,
    Employee,
    Result,
    Run,
    SuccessionOverride,
    SuccessionPlan,
)
from sikd_simantap.succession import COMPETENCY_KEYS
from simantap_helpers import client_for
from sqlalchemy import func, select
from test_sources import make_period

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db

PEOPLE = {
    # name: (golongan, box, kinerja, potensial, jpm)
    "kabag_tu": ("IV/c", 9, 92.0, 94.0, 91.0),
    "kabag_kp": ("IV/b", 8, 80.0, 95.0, 85.0),
    "tu1": ("III/a", 7, 95.0, 80.0, 80.0),
    "kp1": ("III/d", 9, 95.0, 95.0, 95.0),
    "kabiro": ("IV/d", 9, 93.0, 93.0, 95.0),
    "sekretaris": ("IV/e", 5, 80.0, 80.0, 88.0),
    "tu2": ("II/c", 2, 75.0, 60.0, 70.0),
}


@pytest.fixture
def published(app, institution):
    u, p = institution.users, institution.positions
    with app.app_context():
        period = make_period()
        run = Run(period_id=period.id, status="done", profile=period.profile, published=True,
                  published_at=dt.datetime(2026, 12, 20))  # fmt: skip
        db.session.add(run)
        db.session.flush()
        for name, (golongan, box, kinerja, potensial, jpm) in PEOPLE.items():
            db.session.add(Employee(user_id=u[name], golongan=golongan, pendidikan="S2"))
            db.session.add(Result(run_id=run.id, user_id=u[name], box=box, kinerja=kinerja,
                                  potensial=potensial, coverage_kinerja=100,
                                  coverage_potensial=100, missing=[]))  # fmt: skip
            db.session.add(Competency(user_id=u[name], tanggal=dt.date(2026, 3, 1), jpm=jpm))
        db.session.add(Discipline(user_id=u["tu2"], tanggal=dt.date(2026, 2, 1), tingkat="berat"))
        for key in COMPETENCY_KEYS:
            db.session.add(CompetencyLevel(user_id=u["kabag_tu"], tanggal=dt.date(2026, 3, 1),
                                           kompetensi=key, level=4))  # fmt: skip
        db.session.add(CriticalPosition(position_id=p["J-BU"], reason="Kunci layanan",
                                        flagged_on=dt.date(2026, 1, 2),
                                        standard=dict.fromkeys(COMPETENCY_KEYS, 4)
                                        | {"integritas": 5}))  # fmt: skip
        db.session.commit()
        return run.id


def plan_page(client, institution, code="J-BU"):
    return client.get(f"/simantap/suksesi/{institution.positions[code]}")


def test_the_plan_ranks_the_eligible_and_lists_who_fails_which_rule(app, institution, published):
    page = plan_page(client_for(app, "hr"), institution)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    candidates = html[html.index('id="candidates"') : html.index('id="failing"')]
    assert institution.nips["kabag_tu"] in candidates and "92.00" in candidates
    assert "Ready now" in candidates
    assert institution.nips["kabag_kp"] not in candidates
    failing = html[html.index('id="failing"') :]
    for name, rule in (("kabag_kp", "golongan"), ("tu1", "tier"), ("kp1", "tier"),
                       ("kabiro", "holder")):  # fmt: skip
        row = failing[failing.index(f'data-nip="{institution.nips[name]}"') :]
        row = row[: row.index("</tr>")]
        assert f'data-rule="{rule}"' in row, (name, row)
    assert institution.nips["tu2"] not in failing  # box 2 is not in the pool


def test_the_register_shows_holders_ready_successors_and_red_flags(app, institution, published):
    html = client_for(app, "hr").get("/simantap/jabatan-kritikal").get_data(as_text=True)

    def row(code):
        part = html[html.index(f'data-position="{code}"') :]
        return part[: part.index("</tr>")]

    sj, bu = row("J-SJ"), row("J-BU")
    assert "Sekretaris" in sj and "2026-09-01" in sj and 'data-red-flag="1"' in sj
    assert "The holder retires within 2 years." in sj
    assert 'data-red-flag="1"' not in bu and "Kabiro" in bu
    assert row("J-TU").count("Red flag") == 1  # no successor ready now
    assert "no standard yet" in sj and "no standard yet" not in bu


def test_overrides_need_a_reason_are_audited_and_shown(app, institution, published):
    hr = client_for(app, "hr")
    position = institution.positions["J-BU"]
    refused = hr.post(f"/simantap/suksesi/{position}/ubah",
                      data={"action": "nominate", "nip": institution.nips["kabag_kp"],
                            "reason": "  "})  # fmt: skip
    assert refused.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SuccessionOverride)) == 0
    reason = "Golongan IV/c berlaku 1 April"
    saved = hr.post(f"/simantap/suksesi/{position}/ubah",
                    data={"action": "nominate", "nip": institution.nips["kabag_kp"],
                          "reason": reason})  # fmt: skip
    assert saved.status_code == 303
    hr.post(f"/simantap/suksesi/{position}/ubah",
            data={"action": "remove", "nip": institution.nips["kabag_tu"],
                  "reason": "Sedang tugas belajar"})  # fmt: skip
    html = plan_page(hr, institution).get_data(as_text=True)
    candidates = html[html.index('id="candidates"') : html.index('id="failing"')]
    assert institution.nips["kabag_kp"] in candidates and reason in candidates
    assert institution.nips["kabag_tu"] not in candidates
    assert "Sedang tugas belajar" in html[html.index('id="removed"') :]
    with app.app_context():
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("simantap.succession_%"))
        ).all()
        assert {e.action for e in events} == {"simantap.succession_nominate",
                                              "simantap.succession_remove"}  # fmt: skip
        assert reason in str([e.details for e in events])
    unknown = hr.post(
        f"/simantap/suksesi/{position}/ubah",
        data={"action": "nominate", "nip": "199901012020011999", "reason": "x"},
    )
    assert unknown.status_code == 422 and "No employee has this NIP" in unknown.get_data(True)


def test_lifting_an_override_needs_a_reason_too(app, institution, published):
    hr = client_for(app, "hr")
    position = institution.positions["J-BU"]
    hr.post(
        f"/simantap/suksesi/{position}/ubah",
        data={"action": "remove", "nip": institution.nips["kabag_tu"], "reason": "cuti"},
    )
    with app.app_context():
        override_id = db.session.scalar(select(SuccessionOverride.id))
    assert (
        hr.post(
            f"/simantap/suksesi/{position}/cabut", data={"override_id": override_id, "reason": ""}
        ).status_code
        == 422
    )
    assert (
        hr.post(
            f"/simantap/suksesi/{position}/cabut", data={"override_id": 99999, "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        hr.post(
            f"/simantap/suksesi/{position}/cabut",
            data={"override_id": override_id, "reason": "kembali"},
        ).status_code
        == 303
    )
    with app.app_context():
        lifted = db.session.get(SuccessionOverride, override_id)
        assert not lifted.active and lifted.lift_reason == "kembali"
    html = plan_page(hr, institution).get_data(as_text=True)
    assert institution.nips["kabag_tu"] in html[html.index('id="candidates"') :]


def test_freezing_keeps_the_plan_once_per_period(app, institution, published):
    hr = client_for(app, "hr")
    position = institution.positions["J-BU"]
    assert hr.get(f"/simantap/suksesi/{position}/beku").status_code == 404
    frozen = hr.post(f"/simantap/suksesi/{position}/bekukan", data={"note": "Rapat"})
    assert frozen.status_code == 303
    again = hr.post(f"/simantap/suksesi/{position}/bekukan", data={})
    assert again.status_code == 409
    with app.app_context():
        frozen = db.session.scalar(select(SuccessionPlan))
        assert frozen.snapshot["candidates"][0]["nip"] == institution.nips["kabag_tu"]
        assert frozen.snapshot["candidates"][0]["score"] == 92.0
        assert db.session.scalar(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.action == "simantap.succession_frozen")
        ) == 1  # fmt: skip
    frozen_page = hr.get(f"/simantap/suksesi/{position}/beku").get_data(as_text=True)
    assert institution.nips["kabag_tu"][:8] in frozen_page and "Rapat" in frozen_page


def test_the_register_entry_is_validated_saved_and_audited(app, institution, published):
    hr = client_for(app, "hr")
    position = institution.positions["J-TU"]
    form = {f"std_{key}": "3" for key in COMPETENCY_KEYS}
    form.update(reason="", flagged_on="2026-02-01", tech_name_1="Kearsipan", tech_level_1="")
    assert hr.post(f"/simantap/jabatan-kritikal/{position}/ubah", data=form).status_code == 422
    form.update(reason="Layanan inti")
    assert hr.post(f"/simantap/jabatan-kritikal/{position}/ubah", data=form).status_code == 422
    form.update(tech_level_1="4", std_integritas="9")
    assert hr.post(f"/simantap/jabatan-kritikal/{position}/ubah", data=form).status_code == 422
    form.update(std_integritas="5")
    assert hr.post(f"/simantap/jabatan-kritikal/{position}/ubah", data=form).status_code == 303
    with app.app_context():
        entry = db.session.get(CriticalPosition, position)
        assert entry.reason == "Layanan inti" and entry.standard["integritas"] == 5
        assert entry.technical == [{"name": "Kearsipan", "level": 4}]
        assert db.session.scalar(
            select(func.count()).select_from(AuditEvent)
            .where(AuditEvent.action == "simantap.critical_saved")
        ) == 1  # fmt: skip
    staff = institution.positions["P-TU"]
    form.update(reason="x")
    refused = hr.post(f"/simantap/jabatan-kritikal/{staff}/ubah", data=form)
    assert refused.status_code == 422 and "Eselon I to III" in refused.get_data(True)
    assert hr.get("/simantap/jabatan-kritikal/99999999999999999999/ubah").status_code == 404


def test_the_talent_pool_and_its_history(app, institution, published):
    html = client_for(app, "hr").get("/simantap/talent-pool").get_data(as_text=True)
    pool = html[html.index('id="pool"') :]
    for name in ("kabag_tu", "kabag_kp", "tu1", "kp1", "kabiro"):
        assert f'data-nip="{institution.nips[name]}"' in pool
    assert institution.nips["tu2"] not in pool and "joined 2026" in pool


def test_exports_of_the_pool_and_the_plans(app, institution, published):
    hr = client_for(app, "hr")
    position = institution.positions["J-BU"]
    pool = list(csv.reader(io.StringIO(hr.get("/simantap/talent-pool/ekspor?format=csv")
                                       .get_data(as_text=True))))  # fmt: skip
    assert pool[0][:3] == ["nip", "nama", "unit"] and len(pool) == 6
    plan = hr.get(f"/simantap/suksesi/{position}/ekspor?format=csv")
    assert plan.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(plan.get_data(as_text=True))))
    first = rows[0]
    assert first["status"] == "kandidat" and first["peringkat"] == "1"
    assert first["nip"] == institution.nips["kabag_tu"] and first["kesiapan"] == "Siap sekarang"
    assert {r["nip"]: r["aturan_tidak_terpenuhi"] for r in rows if r["status"] == "tidak_memenuhi"}[
        institution.nips["kabag_kp"]
    ] == "golongan"
    xlsx = hr.get("/simantap/suksesi/ekspor?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.data[:2] == b"PK"
    assert hr.get("/simantap/suksesi/ekspor?format=pdf").status_code == 400


def test_candidates_side_by_side_and_the_decision_sheet(app, institution, published):
    hr = client_for(app, "hr")
    position = institution.positions["J-BU"]
    u = institution.users
    suggested = hr.get(f"/simantap/kandidat?position={position}").get_data(as_text=True)
    assert f'data-candidate="{institution.nips["kabag_tu"]}"' in suggested
    chosen = f"position={position}&u={u['kabag_tu']}&u={u['kabag_kp']}"
    html = hr.get(f"/simantap/kandidat?{chosen}").get_data(as_text=True)
    table = html[html.index('id="comparison"') :]
    assert f'data-candidate="{institution.nips["kabag_kp"]}"' in table
    assert "2026: <strong>9</strong>" in table and "2026: <strong>8</strong>" in table
    assert "IV/b" in table and "IV/c" in table and "92.00" in table
    assert "Integritas (standard 5)" in table and "(-1)" in table  # level 4 against 5
    sheet = hr.get(f"/simantap/kandidat/lembar?{chosen}")
    assert sheet.status_code == 200 and "sheet.css" in sheet.get_data(as_text=True)
    many = "&".join(f"u={i}" for i in u.values())
    capped = hr.get(f"/simantap/kandidat?position={position}&{many}").get_data(as_text=True)
    assert "At most 5 candidates" in capped and capped.count("data-candidate=") == 5
    assert hr.get(f"/simantap/kandidat?position={position}&u=abc").status_code == 400
    assert hr.get("/simantap/kandidat?position=99999").status_code == 404
    assert hr.get("/simantap/kandidat/lembar").status_code == 404


def test_only_hr_and_the_committee_see_succession(app, institution, published):
    position = institution.positions["J-BU"]
    urls = [
        "/simantap/jabatan-kritikal", f"/simantap/suksesi/{position}",
        f"/simantap/suksesi/{position}/ekspor", "/simantap/suksesi/ekspor",
        "/simantap/talent-pool", "/simantap/talent-pool/ekspor",
        f"/simantap/kandidat?position={position}", f"/simantap/jabatan-kritikal/{position}/ubah",
    ]  # fmt: skip
    for name in ("kabag_tu", "tu1", "kabiro"):  # candidates and a leader
        client = client_for(app, name)
        for url in urls:
            assert client.get(url).status_code == 403, (name, url)
        assert client.post(f"/simantap/suksesi/{position}/bekukan").status_code == 403
    own = client_for(app, "kabag_tu").get("/simantap/").get_data(as_text=True)
    assert "Ready now" not in own and "ranked" not in own  # no rank of theirs or others


def test_the_command_line_prints_and_exports_plans(app, institution, published, tmp_path):
    runner = app.test_cli_runner()
    text = runner.invoke(args=["simantap", "succession", "--position", "J-BU"])
    assert text.exit_code == 0, text.output
    assert f"1. {institution.nips['kabag_tu']} Kabag_Tu: score 92.0" in text.output
    out = tmp_path / "plans.csv"
    exported = runner.invoke(args=["simantap", "export", "succession", "--output", str(out)])
    assert exported.exit_code == 0, exported.output
    assert out.read_text().startswith("kode_jabatan,jabatan,eselon,periode,status")
    pool = runner.invoke(args=["simantap", "export", "pool", "--format", "csv"])
    assert pool.exit_code == 0 and institution.nips["kp1"] in pool.output
    missing = runner.invoke(args=["simantap", "succession", "--position", "NOPE"])
    assert missing.exit_code != 0 and "no position NOPE" in missing.output
    not_critical = runner.invoke(args=["simantap", "succession", "--position", "P-TU"])
    assert not_critical.exit_code != 0 and "not a critical position" in not_critical.output
