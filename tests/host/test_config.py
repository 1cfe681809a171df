"""Settings layers, the generated secret key, and the SQLite pragmas."""

from sqlalchemy import text

from sikd_host import create_app
from sikd_host.config import load_settings
from sikd_host.extensions import db


def test_layers_defaults_then_toml_then_environment(tmp_path):
    (tmp_path / "sikd.toml").write_text('idle_timeout_minutes = 20\ninstitution_name = "Biro X"\n')
    settings = load_settings(tmp_path, {"SIKD_IDLE_TIMEOUT_MINUTES": "10"})
    assert settings["IDLE_TIMEOUT_MINUTES"] == 10
    assert settings["INSTITUTION_NAME"] == "Biro X"
    assert settings["MAX_UPLOAD_MB"] == 50
    assert settings["DATABASE_URL"] == f"sqlite:///{tmp_path / 'sikd.db'}"


def test_secret_key_is_generated_once_into_the_instance(tmp_path):
    first = load_settings(tmp_path, {})["SECRET_KEY"]
    second = load_settings(tmp_path, {})["SECRET_KEY"]
    assert first == second and len(first) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
    assert load_settings(tmp_path, {"SIKD_SECRET_KEY": "given"})["SECRET_KEY"] == "given"


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
            assert connection.execute(text("PRAGMA mmap_size")).scalar() == 1024 * 1024 * 1024
        db.engine.dispose()


def test_sqlite_memory_mapping_follows_its_setting(tmp_path):
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SQLITE_MMAP_MB": 0})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA mmap_size")).scalar() == 0
        db.engine.dispose()


def test_postgres_urls_go_through_psycopg3(tmp_path):
    app = create_app(
        {"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "postgresql://u@127.0.0.1:1/x"}
    )
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
