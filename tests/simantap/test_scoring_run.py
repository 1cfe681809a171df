"""The scoring run end to end (DOMAIN.md section 6), publication, comparison, what-if,
atomicity, the fingerprint and the CLI chain. Data: ``test_sources.load_tiny``.

With the Permenpan preset (kinerja SKP 60, 360 40; potensial kompetensi 40, potensi 30,
rekam jejak 30):

- tu1: kinerja (80 * 60 + 73.469388 * 40) / 100 = 77.387755 -> 77.39 sesuai; potensial
  (85 * 40 + 75 * 30 + 70 * 30) / 100 = 77.5 rendah -> box 2.
- kabag_tu: kinerja (100 * 60 + 25 * 40) / 100 = 70.00 sesuai (the lower bound counts);
  potensial (95 * 40 + 92 * 30 + 66.666667 * 30) / 100 = 85.6 menengah -> box 5.
- tu2: no SKP of 2026 and no 360 -> kinerja coverage 0 %; potensial (80 * 40 + 40 * 30) / 70
  = 62.86 with coverage 70 % -> not mapped; missing penilaian360, potensi, skp.
"""

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sikd_simantap import runs
from sikd_simantap.models import Period, Result, Run, Skp
from sikd_simantap.scoring.indicators import SKP_VALUES
from sqlalchemy import delete, func, select
from test_sources import load_tiny, make_period

from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db


def score(app, period_id, **kwargs):
    with app.app_context():
        run = runs.score(db.session.get(Period, period_id), None, **kwargs)
        return run.id


def results_of(app, run_id):
    with app.app_context():
        return {
            r.user_id: r for r in db.session.scalars(select(Result).where(Result.run_id == run_id))
        }


@pytest.fixture
def tiny(app, institution):
    return load_tiny(app, institution)


def test_results_match_the_hand_computation(app, institution, tiny):
    u = institution.users
    run_id = score(app, tiny)
    found = results_of(app, run_id)
    assert len(found) == len(u)  # every employee with a NIP has a result
    tu1, kabag, tu2 = found[u["tu1"]], found[u["kabag_tu"]], found[u["tu2"]]
    assert (tu1.kinerja, tu1.potensial, tu1.kinerja_band, tu1.potensial_band, tu1.box) == (
        77.39, 77.5, "sesuai", "rendah", 2,
    )  # fmt: skip
    assert (tu1.coverage_kinerja, tu1.coverage_potensial, tu1.missing) == (100.0, 100.0, [])
    assert (kabag.kinerja, kabag.potensial, kabag.box) == (70.0, 85.6, 5)
    assert kabag.kinerja_band == "sesuai" and kabag.potensial_band == "menengah"
    assert tu2.box is None and tu2.kinerja is None and tu2.potensial == 62.86
    assert (tu2.coverage_kinerja, tu2.coverage_potensial) == (0.0, 70.0)
    assert tu2.missing == ["penilaian360", "potensi", "skp"]
    assert tu2.kinerja_band is None and tu2.potensial_band is None
    with app.app_context():
        run = db.session.get(Run, run_id)
        assert run.status == "done" and run.employees == len(u) and not run.published
        assert run.profile["weights"]["kinerja"] == {"skp": 60, "penilaian360": 40}
        assert run.code_version and len(run.fingerprint) == 64 and run.seconds is not None
        values = db.session.get(Result, (run_id, u["tu1"])).indicators
        # every indicator a source gave is stored, weighted or not (the what-if needs them)
        assert values["skp"] == 80.0 and values["ekinerja"] == 87.5 and values["lembur"] == 50.0
        assert values["penilaian360"] == pytest.approx(73.469387755)
        audit = db.session.scalar(
            select(AuditEvent).where(AuditEvent.action == "simantap.run_scored")
        )
        assert audit.object_id == str(run_id)


def test_archive_disabled_its_indicators_are_absent_and_weights_redistribute(
    app, institution, enabled_plugins
):
    u = institution.users
    period_id = load_tiny(app, institution, profile_name="MK")
    with_archive = score(app, period_id)
    enabled_plugins("simantap")
    without = score(app, period_id)
    with app.app_context():
        plugins = {s["plugin"] for s in db.session.get(Run, with_archive).sources}
        assert "archive" in plugins
        assert {s["plugin"] for s in db.session.get(Run, without).sources} == {"simantap"}
        rows = db.session.scalars(select(Result).where(Result.run_id == without)).all()
        names = {name for row in rows for name in row.indicators}
        assert names and not names & {"beban_kerja", "respons"}
    tu1 = results_of(app, without)[u["tu1"]]
    # present: skp 80 (26.5), ekinerja 87.5 (26.5), kehadiran 95 (26.5), lembur 50 (3.5),
    # rapat 80 (2.7), terlambat 100 (5.3): 7877.25 / 91 = 86.5632 over 91 of 99.8
    assert tu1.kinerja == 86.56 and tu1.coverage_kinerja == 91.18
    assert "beban_kerja" in tu1.missing and "respons" in tu1.missing


def test_fingerprint_same_inputs_same_fingerprint_changed_input_different(app, institution, tiny):
    first, second = score(app, tiny), score(app, tiny)
    with app.app_context():
        fingerprint = db.session.get(Run, first).fingerprint
        assert db.session.get(Run, second).fingerprint == fingerprint
        skp = db.session.get(Skp, (institution.users["tu1"], 2026))
        skp.predikat = "Sangat Baik"
        db.session.commit()
    third = score(app, tiny)
    with app.app_context():
        assert db.session.get(Run, third).fingerprint != fingerprint
    assert results_of(app, third)[institution.users["tu1"]].kinerja == 89.39


def test_publish_requires_a_reason_to_supersede_and_keeps_one_published(app, tiny):
    first, second = score(app, tiny), score(app, tiny)
    with app.app_context():
        runs.publish(db.session.get(Run, first), None)  # the first needs no reason
        with pytest.raises(runs.RunError) as refused:
            runs.publish(db.session.get(Run, second), None, "  ")
        assert "reason" in refused.value.message
        db.session.rollback()
        with pytest.raises(runs.RunError):
            runs.publish(db.session.get(Run, first), None, "again")
        db.session.rollback()
        runs.publish(db.session.get(Run, second), None, "corrected SKP import")
        published = db.session.scalars(select(Run.id).where(Run.published.is_(True))).all()
        assert published == [second]
        old = db.session.get(Run, first)
        assert old.superseded_at is not None and not old.published
        new = db.session.get(Run, second)
        assert new.publish_reason == "corrected SKP import" and new.published_at
        events = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "simantap.run_published")
        ).all()
        assert len(events) == 2 and f'"superseded": {first}' in events[1].details


def counts(app):
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Run)),
            db.session.scalar(select(func.count()).select_from(Result)),
            db.session.scalar(
                select(func.count()).select_from(Result).where(Result.i_skp.is_not(None))
            ),
        )


def test_a_run_failing_halfway_leaves_nothing_and_a_rerun_succeeds(
    app, institution, tiny, monkeypatch
):
    real = runs.bulk_insert
    calls = []

    def results_then_crash(table, columns, rows):
        calls.append(table.name)
        real(table, columns, rows)  # the results are written...
        raise RuntimeError("killed halfway")  # ...then the run dies, before it is marked done

    monkeypatch.setattr(runs, "bulk_insert", results_then_crash)
    with pytest.raises(RuntimeError):
        score(app, tiny)
    assert calls == ["simantap_result"]
    assert counts(app) == (0, 0, 0)
    monkeypatch.setattr(runs, "bulk_insert", real)

    class Broken:
        indicators = ("skp",)
        label = "broken"

        def values(self, period):
            raise RuntimeError("source down")

    with app.app_context(), pytest.raises(RuntimeError):
        runs.score(db.session.get(Period, tiny), None, provided=[runs.Provided("x", Broken())])
    assert counts(app) == (0, 0, 0)
    run_id = score(app, tiny)
    assert results_of(app, run_id)[institution.users["tu1"]].box == 2


def test_compare_lists_who_moved_and_why(app, institution, tiny):
    u = institution.users
    before = score(app, tiny)
    with app.app_context():
        db.session.get(Skp, (u["tu1"], 2026)).predikat = "Sangat Kurang"
        db.session.commit()
    after = score(app, tiny)
    with app.app_context():
        comparison = runs.compare(db.session.get(Run, before), db.session.get(Run, after))
        assert comparison.compared == len(u) and comparison.profile_changes == []
        [mover] = comparison.movers
        assert (mover.user_id, mover.box_before, mover.box_after) == (u["tu1"], 2, 1)
        assert mover.kinerja == (77.39, 41.39) and mover.axes == ("kinerja",)
        assert [(c.indicator, c.before, c.after) for c in mover.changes] == [("skp", 80.0, 20.0)]


def test_what_if_counts_moves_against_the_published_run_without_writing(app, tiny):
    with app.app_context():
        period = db.session.get(Period, tiny)
        with pytest.raises(runs.RunError):  # nothing published yet
            runs.what_if(period, period.profile)
    run_id = score(app, tiny)
    with app.app_context():
        runs.publish(db.session.get(Run, run_id), None)
    before = counts(app)
    with app.app_context():
        period = db.session.get(Period, tiny)
        same = runs.what_if(period, period.profile)
        assert same.moved == 0 and same.compared == before[1]
        draft = dict(period.profile, bands={"kinerja": [80, 90], "potensial": [78, 90]})
        outcome = runs.what_if(period, draft)
        # tu1 77.39 and kabag_tu 70.00 fall under 80: 2 -> 1 and 5 -> 3
        assert outcome.moved == 2 and dict(outcome.moves) == {(2, 1): 1, (5, 3): 1}
        assert outcome.after[1] == 1 and outcome.before[2] == 1
        with pytest.raises(runs.RunError) as invalid:
            runs.what_if(period, dict(draft, k=0))
        assert "k" in invalid.value.errors
    assert counts(app) == before


def test_what_if_route_takes_form_fields_and_json(app, institution, tiny):
    from simantap_helpers import client_for

    run_id = score(app, tiny)
    with app.app_context():
        runs.publish(db.session.get(Run, run_id), None)
    hr = client_for(app, "hr")
    form = {"period": "2026", "k": "3", "coverage_min": "60"}
    form.update({"weights.kinerja.skp": "60", "weights.kinerja.penilaian360": "40"})
    form.update({"weights.potensial.kompetensi": "40", "weights.potensial.potensi": "30"})
    form.update({"weights.potensial.rekam_jejak": "30"})
    form.update({"bands.kinerja.low": "80", "bands.kinerja.high": "90"})
    form.update({"bands.potensial.low": "78", "bands.potensial.high": "90"})
    form.update({"groups.atasan": "40", "groups.rekan": "30", "groups.bawahan": "30"})
    page = hr.post("/simantap/whatif", data=form)
    assert page.status_code == 200
    assert "2 of 13 employees would move" in page.get_data(as_text=True)
    bad = hr.post("/simantap/whatif", data=dict(form, k="three"))
    assert bad.status_code == 422
    with app.app_context():
        draft = db.session.get(Period, tiny).profile
    answer = hr.post("/simantap/whatif", json={"period": "2026", "profile": draft})
    assert answer.status_code == 200 and answer.get_json()["moved"] == 0
    invalid = hr.post("/simantap/whatif", json={"period": "2026", "profile": {"k": 1}})
    assert invalid.status_code == 422 and "weights.kinerja" in invalid.get_json()["errors"]
    assert hr.post("/simantap/whatif", json={"period": "1999", "profile": {}}).status_code == 404
    assert client_for(app, "tu1").get("/simantap/whatif").status_code == 403


def test_runs_pages_run_publish_with_reason_and_compare(app, institution, tiny):
    from simantap_helpers import client_for

    hr = client_for(app, "hr")
    assert hr.get("/simantap/runs?period=2026").status_code == 200
    assert hr.get("/simantap/runs?period=nope").status_code == 404
    assert hr.post("/simantap/runs/score", data={"period": "2026"}).status_code == 303
    assert hr.post("/simantap/runs/score", data={"period": "2026"}).status_code == 303
    with app.app_context():
        first, second = db.session.scalars(select(Run.id).order_by(Run.id)).all()
    assert hr.post(f"/simantap/runs/{first}/publish", data={"reason": ""}).status_code == 303
    refused = hr.post(f"/simantap/runs/{second}/publish", data={}, follow_redirects=True)
    assert "give a reason" in refused.get_data(as_text=True)
    hr.post(f"/simantap/runs/{second}/publish", data={"reason": "rerun"})
    with app.app_context():
        assert db.session.get(Run, second).published and not db.session.get(Run, first).published
    page = hr.get(f"/simantap/runs/compare?a={first}&b={second}")
    assert page.status_code == 200 and "Nobody moved" in page.get_data(as_text=True)
    assert hr.get(f"/simantap/runs/{second}").status_code == 200
    assert hr.get("/simantap/runs/999").status_code == 404
    assert client_for(app, "tu1").get("/simantap/runs").status_code == 403


def test_cli_scores_publishes_and_exports_the_exact_columns(app, institution, tiny, tmp_path):
    runner = app.test_cli_runner()
    scored = runner.invoke(
        args=["simantap", "score", "--period", "2026", "--publish", "--reason", "x"]
    )
    assert scored.exit_code == 0, scored.output
    assert "published" in scored.output
    again = runner.invoke(args=["simantap", "score", "--period", "2026", "--publish"])
    assert again.exit_code != 0 and "reason" in again.output
    with app.app_context():
        unpublished = db.session.scalar(select(Run.id).where(Run.published.is_(False)))
    assert runner.invoke(args=["simantap", "publish", str(unpublished)]).exit_code != 0
    published = runner.invoke(args=["simantap", "publish", str(unpublished), "--reason", "y"])
    assert published.exit_code == 0, published.output
    output = tmp_path / "ninebox.csv"
    exported = runner.invoke(
        args=["simantap", "export", "ninebox", "--period", "2026", "--format", "csv",
              "--output", str(output)]
    )  # fmt: skip
    assert exported.exit_code == 0, exported.output
    rows = list(csv.reader(io.StringIO(output.read_text(encoding="utf-8"))))
    assert rows[0] == [
        "nip", "nama", "unit", "jabatan", "skor_kinerja", "skor_potensial",
        "kategori_kinerja", "kategori_potensial", "kotak", "cakupan",
    ]  # fmt: skip
    by_nip = {row[0]: row for row in rows[1:]}
    tu1 = by_nip[institution.nips["tu1"]]
    assert tu1[4:] == ["77.39", "77.5", "sesuai ekspektasi", "rendah", "2", "100.0"]
    tu2 = by_nip[institution.nips["tu2"]]
    assert tu2[4:] == ["", "62.86", "", "", "", "0.0"]
    stdout = runner.invoke(args=["simantap", "export", "ninebox", "--period", "2026"])
    assert stdout.output.splitlines()[0].startswith("nip,nama,unit,jabatan")
    xlsx = tmp_path / "ninebox.xlsx"
    runner.invoke(
        args=["simantap", "export", "ninebox", "--period", "2026", "--format", "xlsx",
              "--output", str(xlsx)]
    )  # fmt: skip
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[1]][:3] == ["nip", "nama", "unit"]
    assert runner.invoke(args=["simantap", "score", "--period", "1999"]).exit_code != 0


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(sorted(SKP_VALUES)),
            st.floats(min_value=0, max_value=100, allow_nan=False),
            st.floats(min_value=0, max_value=100, allow_nan=False),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_property_same_inputs_same_fingerprint_and_results(app, institution, data):
    from sikd_simantap.models import Competency, Employee

    users = list(institution.users.values())[: len(data)]
    results = []
    with app.app_context():
        for table in (Result, Run, Skp, Competency, Employee, Period):
            db.session.execute(delete(table))
        db.session.commit()
        period_id = make_period().id
        db.session.commit()
    for order in (list(range(len(data))), list(reversed(range(len(data))))):
        with app.app_context():
            for table in (Skp, Competency, Employee):
                db.session.execute(delete(table))
            import datetime as dt

            for index in order:
                predikat, jpm, potensi = data[index]
                user = users[index]
                db.session.add(Skp(user_id=user, tahun=2026, predikat=predikat))
                db.session.add(
                    Competency(
                        user_id=user, tanggal=dt.date(2026, 5, 1), jpm=jpm, skor_potensi=potensi
                    )
                )
                db.session.add(Employee(user_id=user, pendidikan="S1"))
            db.session.commit()
        run_id = score(app, period_id)
        with app.app_context():
            fingerprint = db.session.get(Run, run_id).fingerprint
        rows = {
            user: (r.kinerja, r.potensial, r.box, r.missing)
            for user, r in results_of(app, run_id).items()
        }
        results.append((fingerprint, rows))
    assert results[0] == results[1]


def test_the_run_button_is_a_job_with_progress_and_one_run_per_period_at_a_time(
    app, institution, tiny
):
    import uuid

    from simantap_helpers import client_for

    from sikd_host.jobs.models import Job

    hr = client_for(app, "hr")
    done = hr.post("/simantap/runs/score", data={"period": "2026"})
    with app.app_context():
        job = db.session.scalar(select(Job))
        run_id = db.session.scalar(select(Run.id))
        assert job.status == "done" and job.total == job.done and job.total >= 4
        assert done.headers["Location"].endswith(f"/simantap/runs/{run_id}")
        assert job.result_link == f"/simantap/runs/{run_id}"
        period_id = db.session.scalar(select(Run.period_id))
        busy = Job(id=uuid.uuid4().hex, function="sikd_simantap.jobs:score", title="t",
                   key=f"simantap.score:{period_id}", status="running",
                   user_id=job.user_id)  # fmt: skip
        db.session.add(busy)
        db.session.commit()
        busy_id = busy.id
    refused = hr.post("/simantap/runs/score", data={"period": "2026"})
    assert refused.headers["Location"].endswith(f"/jobs/{busy_id}")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Run)) == 1
    watching = hr.get(f"/jobs/{busy_id}")
    assert watching.status_code == 200
    assert 'http-equiv="refresh"' in watching.get_data(as_text=True)
