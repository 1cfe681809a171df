"""Simantap's own migrations move data, not only tables: 0003 moves each indicator value
of a result into the result row, and its downgrade moves it back."""

from sqlalchemy import text

from sikd_host import migrations
from sikd_host.extensions import db
from sikd_host.pluginmanager import current_host


def test_indicator_values_survive_the_move_to_result_columns_and_back(app, institution):
    user = institution.users["tu1"]
    with app.app_context():
        db.session.execute(text(
            "INSERT INTO simantap_period (id, code, starts_on, ends_on, status, profile_name,"
            " profile, created_at) VALUES (1, '2026', '2026-01-01', '2026-12-31', 'open',"
            " 'MK', '{}', '2026-01-01 00:00:00')"
        ))  # fmt: skip
        db.session.execute(text(
            "INSERT INTO simantap_run (id, period_id, status, profile, fingerprint, code_version,"
            " sources, started_at, employees, published, publish_reason)"
            " VALUES (1, 1, 'done', '{}', '', '', '[]', '2026-01-01 00:00:00', 1, false, '')"
        ))  # fmt: skip
        db.session.execute(text(
            "INSERT INTO simantap_result (run_id, user_id, coverage_kinerja, coverage_potensial,"
            " missing, i_skp, i_respons) VALUES (1, :user, 0, 0, '[]', 80.0, 12.5)"
        ), {"user": user})  # fmt: skip
        db.session.commit()
        track = migrations.plugin_track(current_host(), current_host().records["simantap"])
        db.session.remove()
        migrations.downgrade(db.engine, track, "simantap_0002")
        with db.engine.connect() as connection:
            moved_back = connection.execute(text(
                "SELECT indicator, value FROM simantap_indicator_value ORDER BY indicator"
            )).all()  # fmt: skip
        assert [tuple(row) for row in moved_back] == [("respons", 12.5), ("skp", 80.0)]
        migrations.upgrade(db.engine, track)
        with db.engine.connect() as connection:
            row = connection.execute(text(
                "SELECT i_skp, i_respons, i_potensi FROM simantap_result WHERE user_id = :user"
            ), {"user": user}).one()  # fmt: skip
        assert tuple(row) == (80.0, 12.5, None)
