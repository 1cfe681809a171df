"""Periods and scoring profiles, through the CLI and the pages: create, open, close, edit the
profile with every error named at its field, and the profile locked once a run is published."""

import datetime as dt
import json

import pytest
from sikd_simantap.models import Period, Run
from sikd_simantap.scoring.profile import PRESETS
from simantap_helpers import client_for as logged_in
from sqlalchemy import func, select

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db


@pytest.fixture
def cli(app):
    """``cli("create", "2026", ...)`` runs ``sikd simantap period ...``. Plugin commands are
    added when an app is created, and the ``app`` fixture enables plugins only afterwards, so
    the runner belongs to an app created after that, on the same database."""
    from sikd_host import create_app

    keys = ("TESTING", "DATABASE_URL", "INSTANCE_PATH", "STORAGE_DIR", "SECRET_KEY", "REDIS_URL")
    fresh = create_app({key: app.config[key] for key in keys})
    runner = fresh.test_cli_runner()
    yield lambda *args: runner.invoke(args=["simantap", "period", *args])
    with fresh.app_context():
        db.session.remove()
        db.engine.dispose()


def client_for(app, username):
    """A logged-in client reading English (the messages checked here are the msgids)."""
    client = logged_in(app, username)
    client.set_cookie("sikd_locale", "en")
    return client


def period(app, code):
    with app.app_context():
        row = db.session.scalar(select(Period).where(Period.code == code))
        if row is not None:
            db.session.expunge(row)
        return row


def audit_actions(app, prefix="simantap."):
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.action.startswith(prefix))
                .order_by(AuditEvent.id)
            )
        )


def flatten(profile):
    """The profile page's form fields for ``profile``."""
    data = {}
    for axis, weights in profile["weights"].items():
        for name, weight in weights.items():
            data[f"weights.{axis}.{name}"] = str(weight)
    for axis, (low, high) in profile["bands"].items():
        data[f"bands.{axis}.0"], data[f"bands.{axis}.1"] = str(low), str(high)
    for relation, weight in profile["groups"].items():
        data[f"groups.{relation}"] = str(weight)
    data["k"] = str(profile["k"])
    data["coverage_min"] = str(profile["coverage_min"])
    return data


# --- CLI ----------------------------------------------------------------------------------


def test_cli_creates_a_year_period_with_a_copy_of_the_preset(app, cli):
    result = cli("create", "2026", "--profile", "MK")
    assert result.exit_code == 0, result.output
    assert "Period 2026 created" in result.output
    created = period(app, "2026")
    assert (created.starts_on, created.ends_on) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert created.status == "draft" and created.profile_name == "MK"
    assert created.profile == PRESETS["MK"]
    assert sum(created.profile["weights"]["kinerja"].values()) == pytest.approx(99.8)
    assert audit_actions(app) == ["simantap.period_created"]


def test_cli_refuses_duplicates_unknown_presets_and_bad_codes(app, cli):
    assert cli("create", "2026", "--profile", "Permenpan 3/2020").exit_code == 0
    duplicate = cli("create", "2026", "--profile", "MK")
    assert duplicate.exit_code != 0 and "Period 2026 already exists" in duplicate.output
    unknown = cli("create", "2027", "--profile", "Lainnya")
    assert unknown.exit_code != 0 and "Unknown scoring profile Lainnya" in unknown.output
    assert "Permenpan 3/2020, MK" in unknown.output
    for code in ("20/26", "semester-satu-2026", "S1"):
        bad = cli("create", code, "--profile", "MK")
        assert bad.exit_code != 0 and "code:" in bad.output, code
    backwards = cli("create", "2026S1", "--profile", "MK", "--starts", "2026-06-30",
                    "--ends", "2026-01-01")  # fmt: skip
    assert backwards.exit_code != 0 and "ends_on: The last day" in backwards.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Period)) == 1


def test_cli_accepts_a_period_with_its_own_dates(app, cli):
    result = cli("create", "2026S1", "--profile", "MK", "--starts", "2026-01-01",
                 "--ends", "2026-06-30")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert period(app, "2026S1").ends_on == dt.date(2026, 6, 30)


def test_cli_opens_and_closes_in_order(app, cli):
    cli("create", "2026", "--profile", "MK")
    assert cli("close", "2026").exit_code != 0  # a draft cannot be closed
    opened = cli("open", "2026")
    assert opened.exit_code == 0 and "is open" in opened.output
    again = cli("open", "2026")
    assert again.exit_code != 0 and "Only a draft period can be opened" in again.output
    assert cli("close", "2026").exit_code == 0
    assert period(app, "2026").status == "closed"
    missing = cli("open", "1999")
    assert missing.exit_code != 0 and "no period 1999" in missing.output
    assert "2026\t2026-01-01\t2026-12-31\tclosed\tMK" in cli("list").output


# --- pages --------------------------------------------------------------------------------


def test_hr_creates_opens_and_closes_a_period_on_the_page(app, institution):
    hr = client_for(app, "hr")
    response = hr.post("/simantap/periods", data={"code": "2026", "profile": "Permenpan 3/2020"})
    assert response.status_code == 303
    created = period(app, "2026")
    assert created.profile == PRESETS["Permenpan 3/2020"] and created.status == "draft"
    page = hr.get("/simantap/periods").get_data(as_text=True)
    assert 'data-period="2026"' in page and "Permenpan 3/2020" in page
    assert hr.post(f"/simantap/periods/{created.id}/open").status_code == 303
    assert period(app, "2026").status == "open"
    refused = hr.post(f"/simantap/periods/{created.id}/open")
    assert refused.status_code == 409
    assert "Only a draft period can be opened" in refused.get_data(as_text=True)
    assert hr.post(f"/simantap/periods/{created.id}/close").status_code == 303
    assert period(app, "2026").status == "closed"
    assert audit_actions(app) == [
        "simantap.period_created",
        "simantap.period_open",
        "simantap.period_closed",
    ]


def test_the_page_refuses_duplicates_unknown_presets_and_bad_codes(app, institution):
    hr = client_for(app, "hr")
    hr.post("/simantap/periods", data={"code": "2026", "profile": "MK"})
    duplicate = hr.post("/simantap/periods", data={"code": "2026", "profile": "MK"})
    assert duplicate.status_code == 409
    assert "Period 2026 already exists." in duplicate.get_data(as_text=True)
    unknown = hr.post("/simantap/periods", data={"code": "2027", "profile": "Lainnya"})
    assert unknown.status_code == 422 and "Not a valid choice" in unknown.get_data(as_text=True)
    bad = hr.post("/simantap/periods", data={"code": "dua ribu", "profile": "MK"})
    assert bad.status_code == 422 and "letters, digits" in bad.get_data(as_text=True)
    no_dates = hr.post("/simantap/periods", data={"code": "S1", "profile": "MK"})
    assert no_dates.status_code == 422 and "give its dates" in no_dates.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Period)) == 1


def test_period_pages_need_the_manage_permission(app, institution, cli):
    cli("create", "2026", "--profile", "MK")
    pegawai = client_for(app, "tu1")
    pid = period(app, "2026").id
    assert pegawai.get("/simantap/periods").status_code == 403
    assert (
        pegawai.post("/simantap/periods", data={"code": "2027", "profile": "MK"}).status_code == 403
    )
    assert pegawai.get(f"/simantap/periods/{pid}/profile").status_code == 403
    assert pegawai.post(f"/simantap/periods/{pid}/open").status_code == 403
    assert period(app, "2026").status == "draft"


def test_the_profile_page_shows_each_weight_with_its_share_of_the_axis(app, institution, cli):
    cli("create", "2026", "--profile", "MK")
    page = client_for(app, "hr").get(f"/simantap/periods/{period(app, '2026').id}/profile")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    # kinerja weights add up to 99.8: SKP 26.5 is 26.55%, response time 4.4 is 4.41%
    assert 'data-share="weights.kinerja.skp">26.6%' in text
    assert 'data-share="weights.kinerja.respons">4.4%' in text
    assert 'data-share="weights.potensial.rekam_jejak">30.4%' in text  # 30.4 of 100
    assert 'name="weights.kinerja.skp" id="weights.kinerja.skp" value="26.5"' in text
    assert 'data-share="weights.potensial.skp"></td>' in text  # not in that axis


def test_profile_errors_are_named_at_their_fields_and_nothing_is_saved(app, institution, cli):
    cli("create", "2026", "--profile", "Permenpan 3/2020")
    pid = period(app, "2026").id
    data = flatten(PRESETS["Permenpan 3/2020"])
    data.update({
        "weights.kinerja.skp": "banyak",
        "weights.potensial.potensi": "-5",
        "bands.kinerja.0": "95",
        "groups.rekan": "",
        "k": "2.5",
        "coverage_min": "150",
    })  # fmt: skip
    response = client_for(app, "hr").post(f"/simantap/periods/{pid}/profile", data=data)
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    expected = {
        "weights.kinerja.skp": "Enter a number.",
        "weights.potensial.potensi": "A weight cannot be negative.",
        "bands.kinerja": "The thresholds must rise, between 0 and 100.",
        "groups.rekan": "Enter a number.",
        "k": "Enter a whole number of at least 1.",
        "coverage_min": "Enter a percentage between 0 and 100.",
    }
    for field, message in expected.items():
        assert f'data-error-for="{field}">{message}</div>' in text, field
    assert 'value="banyak"' in text  # what was typed is shown again
    assert period(app, "2026").profile == PRESETS["Permenpan 3/2020"]
    assert "simantap.profile_updated" not in audit_actions(app)


def test_an_axis_without_positive_weight_is_named(app, institution, cli):
    cli("create", "2026", "--profile", "Permenpan 3/2020")
    pid = period(app, "2026").id
    data = flatten(PRESETS["Permenpan 3/2020"])
    data.update({"weights.kinerja.skp": "0", "weights.kinerja.penilaian360": ""})
    response = client_for(app, "hr").post(f"/simantap/periods/{pid}/profile", data=data)
    assert response.status_code == 422
    assert 'data-error-for="weights.kinerja">Each axis needs' in response.get_data(as_text=True)


def test_a_valid_profile_is_saved_and_audited(app, institution, cli):
    cli("create", "2026", "--profile", "Permenpan 3/2020")
    pid = period(app, "2026").id
    data = flatten(PRESETS["Permenpan 3/2020"])
    data.update({"weights.kinerja.skp": "50", "weights.kinerja.ekinerja": "12,5", "k": "4"})
    hr = client_for(app, "hr")
    response = hr.post(f"/simantap/periods/{pid}/profile", data=data)
    assert response.status_code == 303
    saved = period(app, "2026").profile
    assert saved["weights"]["kinerja"] == {"skp": 50, "penilaian360": 40, "ekinerja": 12.5}
    assert saved["k"] == 4 and saved["bands"] == PRESETS["Permenpan 3/2020"]["bands"]
    text = hr.get(f"/simantap/periods/{pid}/profile").get_data(as_text=True)
    assert 'data-share="weights.kinerja.skp">48.8%' in text  # 50 / 102.5
    with app.app_context():
        event = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "simantap.profile_updated")
        )
        changes = json.loads(event.details)["changes"]
    assert changes["weights.kinerja.skp"] == [60, 50]
    assert changes["weights.kinerja.ekinerja"] == [None, 12.5]
    assert changes["k"] == [3, 4]


def test_the_profile_is_locked_once_a_run_of_the_period_is_published(app, institution, cli):
    cli("create", "2026", "--profile", "MK")
    cli("create", "2027", "--profile", "MK")
    pid, other = period(app, "2026").id, period(app, "2027").id
    with app.app_context():
        db.session.add(Run(period_id=pid, status="done", profile=PRESETS["MK"], published=False))
        db.session.add(Run(period_id=other, status="done", profile=PRESETS["MK"], published=True))
        db.session.commit()
    hr = client_for(app, "hr")
    data = flatten(PRESETS["MK"])
    data["k"] = "5"
    assert hr.post(f"/simantap/periods/{pid}/profile", data=data).status_code == 303  # unpublished
    refused = hr.post(f"/simantap/periods/{other}/profile", data=data)
    assert refused.status_code == 409
    assert "can no longer change" in refused.get_data(as_text=True)
    assert period(app, "2027").profile == PRESETS["MK"]
    page = hr.get(f"/simantap/periods/{other}/profile").get_data(as_text=True)
    assert 'id="profile-locked"' in page and "Save profile" not in page
