"""The sikd command: each subcommand works, and failures exit non-zero with a message."""

import subprocess
import sys

import pytest
from sqlalchemy import select

from sikd_host.auth.models import User
from sikd_host.extensions import db


def test_init_creates_the_first_admin_once(app, runner):
    result = runner.invoke(args=["init", "--password", "a good password"])
    assert result.exit_code == 0 and "Admin user: admin" in result.output
    again = runner.invoke(args=["init"])
    assert again.exit_code == 0 and "already exists" in again.output


def test_users_create_set_password_disable_list(app, runner):
    created = runner.invoke(
        args=[
            "users",
            "create",
            "Siti",
            "--name",
            "Siti Aminah",
            "--nip",
            "19900101 201503 2 001",
            "--role",
            "pegawai",
            "--role",
            "sdm",
            "--password",
            "a good password",
        ]
    )
    assert created.exit_code == 0, created.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "siti"))
        assert user.nip == "199001012015032001" and user.role_names == {"pegawai", "sdm"}
    assert (
        runner.invoke(
            args=["users", "set-password", "siti", "--password", "another password"]
        ).exit_code
        == 0
    )
    assert runner.invoke(args=["users", "disable", "siti"]).exit_code == 0
    listing = runner.invoke(args=["users", "list"])
    assert "siti\tSiti Aminah\t199001012015032001\tpegawai,sdm\tdisabled" in listing.output


def test_user_errors_exit_non_zero(app, runner):
    bad_nip = runner.invoke(
        args=[
            "users",
            "create",
            "x",
            "--name",
            "X",
            "--nip",
            "123",
            "--password",
            "a good password",
        ]
    )
    assert bad_nip.exit_code == 1 and "18" in bad_nip.output
    weak = runner.invoke(args=["users", "create", "y", "--name", "Y", "--password", "short"])
    assert weak.exit_code == 1 and "10" in weak.output
    role = runner.invoke(
        args=[
            "users",
            "create",
            "z",
            "--name",
            "Z",
            "--role",
            "nope",
            "--password",
            "a good password",
        ]
    )
    assert role.exit_code == 1 and "nope" in role.output
    missing = runner.invoke(args=["users", "disable", "ghost"])
    assert missing.exit_code == 1 and "ghost" in missing.output
    with app.app_context():
        assert db.session.scalar(select(User).where(User.username.in_(["x", "y", "z"]))) is None


def test_db_current_reports_head(app, runner):
    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0 and "host:" in result.output and "ok" in result.output


def test_console_script_runs_init_and_demo(tmp_path):
    env = {
        "SIKD_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "SIKD_ARCHIVE_DEMO_LETTERS": "40",
    }
    sikd = [sys.executable, "-m", "sikd_host.cli"]
    init = subprocess.run([*sikd, "init"], env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    assert "Password:" in init.stdout
    demo = subprocess.run(
        [*sikd, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=120
    )
    assert demo.returncode == 0, demo.stderr
    assert "150 employees" in demo.stdout and "Archive: 40 letters" in demo.stdout
    assert "Simantap demo: period" in demo.stdout and "published" in demo.stdout
    again = subprocess.run(
        [*sikd, "demo", "--no-serve"], env=env, capture_output=True, text=True, timeout=120
    )
    assert again.returncode == 0 and "already loaded" in again.stdout
    verify = subprocess.run([*sikd, "audit", "verify"], env=env, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stderr


def test_console_script_reports_a_bad_database(tmp_path):
    env = {
        "SIKD_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "SIKD_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
    }
    result = subprocess.run(
        [sys.executable, "-m", "sikd_host.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "upgrade failed" in result.stderr


def test_sikd_demo_serves_the_portal(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        "SIKD_INSTANCE_PATH": str(tmp_path),
        "PATH": "/usr/bin:/bin",
        "SIKD_ARCHIVE_DEMO_LETTERS": "40",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "sikd_host.cli", "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert b'"ok"' in r.read()
                    break
            except OSError:
                time.sleep(0.3)
        else:
            raise AssertionError("sikd demo did not serve")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as page:
            assert b"SIKD" in page.read()
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "Admin user: admin" in output and "Password:" in output


@pytest.mark.parametrize(
    "args",
    [
        ["plugins", "list"],
        ["plugins", "disable", "archive"],
        ["users", "list"],
        ["users", "disable", "budi"],
        ["audit", "verify"],
    ],
)
def test_commands_before_init_say_so_in_one_line(tmp_path, args):
    env = {"SIKD_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "sikd_host.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, (args, result.stdout, result.stderr)
    assert "The database has no schema yet: run sikd init." in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) <= 3, result.stderr
