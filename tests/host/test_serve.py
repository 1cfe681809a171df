"""``sikd serve``: refuses what cannot serve, warns about SQLite and a missing Redis, and runs
exactly the plain gunicorn command line (app factory, no --preload)."""

from __future__ import annotations

import pytest

from sikd_host import create_app, serve
from sikd_host.extensions import db


def test_serve_refuses_a_database_without_schema(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
            "INSTANCE_PATH": str(tmp_path / "instance"),
            "SECRET_KEY": "x",
            "REDIS_URL": "",
        }
    )
    try:
        result = app.test_cli_runner().invoke(args=["serve", "--dry-run"])
    finally:
        with app.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert "has no schema yet: run `sikd init`" in result.output


def test_serve_runs_the_documented_gunicorn_command(app, runner, monkeypatch):
    started = []
    monkeypatch.setattr(serve.os, "execv", lambda path, argv: started.append((path, argv)))
    result = runner.invoke(
        args=["serve", "--workers", "3", "--bind", "127.0.0.1:9999", "--", "--keep-alive", "5"]
    )
    assert result.exit_code == 0, result.output
    [(path, argv)] = started
    assert argv[0] == path and argv[1:3] == ["-m", "gunicorn"]
    assert argv[3:] == [
        "--workers", "3", "--threads", "1", "--bind", "127.0.0.1:9999",
        "--timeout", "60", "--graceful-timeout", "30", "--keep-alive", "5",
        "sikd_host:create_app()",
    ]  # fmt: skip
    assert "--preload" not in argv
    assert "SIKD_REDIS_URL is not set" in result.output
    with app.app_context():
        sqlite = db.engine.dialect.name == "sqlite"
    assert ("SQLite is for a single machine" in result.output) is sqlite


def test_dry_run_only_prints(app, runner, monkeypatch):
    monkeypatch.setattr(serve.os, "execv", pytest.fail)
    result = runner.invoke(args=["serve", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"--workers {serve.default_workers()} " in result.output


def test_serve_refuses_when_redis_does_not_answer(app, runner, monkeypatch):
    monkeypatch.setattr(serve.os, "execv", pytest.fail)
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = runner.invoke(args=["serve", "--dry-run"])
    assert result.exit_code == 1
    assert "Redis does not answer" in result.output
