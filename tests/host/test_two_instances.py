"""Two real `sikd serve` instances (gunicorn) on different ports, sharing one PostgreSQL
database, one Redis, one storage directory and one secret key, as two hosts behind a load
balancer would: a session from one works on the other, a plugin disabled on one is gone from
the other within 2 seconds (and back when enabled there), and failed logins on both count
against the same limit.

Needs PostgreSQL (``SIKD_TEST_DATABASE_URL``, else postgres@127.0.0.1:5432), Redis on
127.0.0.1:6379 and gunicorn; skipped with the reason when one is missing.
"""

from __future__ import annotations

import http.client
import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sikd_host.testing import TEST_PASSWORD

SERVER_URL = os.environ.get(
    "SIKD_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = "redis://127.0.0.1:6379/15"
STARTUP_SECONDS = 40
PROPAGATION_SECONDS = 2.0


def _missing() -> str | None:
    if importlib.util.find_spec("gunicorn") is None:
        return "gunicorn is not installed"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return "no Redis answers on 127.0.0.1:6379"
    url = make_url(SERVER_URL).set(drivername="postgresql+psycopg")
    engine = create_engine(url, connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means no PostgreSQL for this test
        return f"no PostgreSQL answers at {url.render_as_string(hide_password=True)}"
    finally:
        engine.dispose()
    return None


MISSING = _missing()
pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


class Browser:
    """Cookies kept by hand, redirects not followed: every answer is seen as it is."""

    def __init__(self, cookies: dict[str, str] | None = None):
        self.cookies = dict(cookies or {})

    def request(self, base: str, method: str, path: str, form: dict | None = None) -> Any:
        parsed = urllib.parse.urlsplit(base)
        connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=15)
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response

    def get(self, base: str, path: str) -> Any:
        return self.request(base, "GET", path)

    def token(self, base: str, path: str) -> str:
        page = self.get(base, path)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        assert page.status == 200 and match, f"no form on {base}{path} ({page.status})"
        return match.group(1)

    def log_in(self, base: str, username: str, password: str = TEST_PASSWORD) -> Any:
        token = self.token(base, "/login")
        form = {"username": username, "password": password, "csrf_token": token}
        return self.request(base, "POST", "/login", form)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prepare_database(url: str, folder: Path) -> None:
    """Schema, roles, plugins enabled, an admin and a pegawai (as `sikd init` would)."""
    from sikd_host import create_app
    from sikd_host.auth import accounts
    from sikd_host.cli import run_init
    from sikd_host.extensions import db

    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SECRET_KEY": "setup", "REDIS_URL": ""}
    )
    with app.app_context():
        run_init("admin", TEST_PASSWORD)
        accounts.create_user("test", "budi", "Budi", TEST_PASSWORD, roles=["pegawai"])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


class Instance:
    def __init__(self, name: str, workers: int, env: dict[str, str], folder: Path):
        self.name, self.port = name, _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**env, "SIKD_INSTANCE_PATH": str(folder / name)}
        self.log = (folder / f"{name}.log").open("wb")
        command = [sys.executable, "-c", "from sikd_host.cli import main; main()", "serve"]
        command += ["--workers", str(workers), "--bind", f"127.0.0.1:{self.port}"]
        self.process = subprocess.Popen(
            command, env=env, cwd=folder, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_until_up(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"instance {self.name} stopped: see {self.log.name}")
            try:
                if Browser().get(self.base, "/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"instance {self.name} did not start: see {self.log.name}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Instance, Instance]]:
    from sikd_host.testing import _create_postgres_database, _drop_postgres_database

    folder = tmp_path_factory.mktemp("two-instances")
    prefix = f"sikd-two-{uuid.uuid4().hex[:12]}"
    url = _create_postgres_database(SERVER_URL)
    instances: list[Instance] = []
    try:
        _prepare_database(url, folder / "setup")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SIKD_")}
        env.update(
            SIKD_DATABASE_URL=url,
            SIKD_REDIS_URL=REDIS_URL,
            SIKD_RATELIMIT_KEY_PREFIX=prefix,
            SIKD_JOBS_QUEUE=prefix,
            SIKD_STORAGE_DIR=str(folder / "files"),
            SIKD_SECRET_KEY=f"shared secret {prefix}",
        )
        instances = [Instance("a", 2, env, folder), Instance("b", 1, env, folder)]
        deadline = time.monotonic() + STARTUP_SECONDS
        for instance in instances:
            instance.wait_until_up(deadline)
        yield instances[0], instances[1]
    finally:
        for instance in instances:
            instance.stop()
        _drop_postgres_database(SERVER_URL, url)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)


def _wait_for(instance: Instance, browser: Browser, path: str, status: int, since: float) -> float:
    """Poll until ``path`` answers ``status`` several times in a row (every worker has seen
    the change); the seconds it took from ``since``."""
    in_a_row = 0
    while True:
        answered = browser.get(instance.base, path).status
        in_a_row = in_a_row + 1 if answered == status else 0
        if in_a_row >= 4:
            return time.monotonic() - since
        elapsed = time.monotonic() - since
        assert elapsed < PROPAGATION_SECONDS, (
            f"{instance.name}{path} still answers {answered} after {elapsed:.1f} s"
        )
        time.sleep(0.05)


def act(instance: Instance, admin: Browser, action: str) -> Any:
    """Press the Disable or Enable button of Simantap on the admin Plugins page."""
    token = admin.token(instance.base, "/admin/plugins/")
    form = {"csrf_token": token}
    return admin.request(instance.base, "POST", f"/admin/plugins/simantap/{action}", form)


def test_a_session_from_one_instance_works_on_the_other(pair):
    a, b = pair
    assert Browser().get(b.base, "/").status == 302  # anonymous: to the login page
    browser = Browser()
    assert browser.log_in(a.base, "budi").status == 302
    page = browser.get(b.base, "/")
    assert page.status == 200
    assert "Budi" in page.text
    assert browser.get(b.base, "/login").status == 302  # already logged in, on B too


def test_a_plugin_disabled_on_one_is_gone_from_the_other_within_two_seconds(pair):
    a, b = pair
    admin = Browser()
    assert admin.log_in(a.base, "admin").status == 302
    assert admin.get(a.base, "/simantap/").status == 200
    assert admin.get(b.base, "/simantap/").status == 200
    assert act(a, admin, "disable").status in (302, 303)
    since = time.monotonic()
    gone = (
        _wait_for(b, admin, "/simantap/", 404, since),
        _wait_for(a, admin, "/simantap/", 404, since),
    )

    assert act(b, admin, "enable").status in (302, 303)
    since = time.monotonic()
    back = (
        _wait_for(a, admin, "/simantap/", 200, since),
        _wait_for(b, admin, "/simantap/", 200, since),
    )
    print(f"disabled on A: gone from B after {gone[0]:.2f} s, from A after {gone[1]:.2f} s")
    print(f"enabled on B: back on A after {back[0]:.2f} s, on B after {back[1]:.2f} s")


def test_failed_logins_on_both_instances_count_against_one_limit(pair):
    a, b = pair
    for number in range(5):  # LOGIN_LIMIT_PER_ACCOUNT: 5 per 15 minutes
        instance = a if number % 2 else b
        assert Browser().log_in(instance.base, "budi", "wrong password").status == 200
    assert Browser().log_in(a.base, "budi", "wrong password").status == 429
    assert Browser().log_in(b.base, "budi", "wrong password").status == 429
    assert Browser().log_in(b.base, "budi").status == 429  # even the right password, for now
