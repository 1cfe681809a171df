"""End-to-end tests: a real SIKD server with the demo institution, driven by a real browser.

One server and one browser serve the whole session; every test gets a fresh browser context
(no cookies shared between tests). Playwright for Python drives Debian's Chromium by its path
(``/usr/bin/chromium``, or ``SIKD_CHROMIUM``); no browser is ever downloaded. Without
Playwright or without Chromium the whole folder is skipped with the reason.

The server runs on 127.0.0.1 from a fresh instance folder: SQLite there by default, or a
throw-away database on the PostgreSQL server named by ``SIKD_TEST_DATABASE_URL`` (created
and dropped with the helpers of ``sikd_host.testing``). Every page a test checks is saved as
a full-page screenshot in ``test-artifacts/e2e/<test>-<step>.png``.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from sikd_host.testing import _create_postgres_database, _drop_postgres_database

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("SIKD_CHROMIUM") or "/usr/bin/chromium"
# Without the background-networking switches Chromium dials out at start-up, and a closed
# network refuses it (slowly); QUIC and the GPU are of no use to a headless test either.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
DEMO_LETTERS = "40"  # keeps `sikd demo` at a few seconds
TIMEOUT_MS = 15_000


def _unavailable() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return PLAYWRIGHT_MISSING
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (
            f"e2e: no Chromium at {CHROMIUM} "
            "(apt-get install chromium, or point SIKD_CHROMIUM at one)"
        )
    return None


PLAYWRIGHT_MISSING = "e2e: Playwright is not installed (pip install -e '.[test]')"
UNAVAILABLE = _unavailable()
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a browser to drive, every test of this folder is skipped, with the reason."""
    if UNAVAILABLE is None:
        return
    skip = pytest.mark.skip(reason=UNAVAILABLE)
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(skip)


# --- the demo users each journey needs, found in the database ---------------------------------


@dataclass
class Demo:
    """Who plays which part, chosen once from the demo data before any test runs."""

    password: str
    admin: str
    inbox_user: str  # a pegawai with an unread, open disposition
    inbox_disposition: int
    inbox_subject: str
    arsiparis: str  # an arsiparis with subordinates (may send dispositions)
    sdm: str
    rater: str  # a pegawai with an unsubmitted 360 form in an open period
    rater_assignment: int
    rater_period: str
    ratee_name: str
    language_user: str
    taken: set[str] = field(default_factory=set)


def _roles_of(role: str) -> str:
    return (
        'SELECT ur.user_id FROM user_role ur JOIN "role" r ON r.id = ur.role_id '
        f"WHERE r.name = '{role}'"
    )


def _pick(connection: Any, sql: str, taken: set[str], what: str) -> Any:
    for row in connection.execute(text(sql)).mappings():
        if row["username"] not in taken:
            taken.add(row["username"])
            return row
    raise AssertionError(f"the demo data has no {what}")


def find_demo_users(database_url: str, password: str) -> Demo:
    engine = create_engine(database_url)
    taken = {"admin"}
    try:
        with engine.connect() as connection:
            inbox = _pick(
                connection,
                "SELECT u.username, d.id, r.perihal FROM archive_disposition d "
                'JOIN "user" u ON u.id = d.recipient_id '
                "JOIN archive_record r ON r.id = d.record_id "
                "WHERE d.done_at IS NULL AND d.read_at IS NULL AND u.active "
                f"AND u.id IN ({_roles_of('pegawai')}) "
                f"AND u.id NOT IN ({_roles_of('pimpinan')}) "
                "AND (SELECT count(*) FROM archive_disposition o JOIN archive_record orec "
                "ON orec.id = o.record_id WHERE o.recipient_id = u.id "
                "AND orec.perihal = r.perihal) = 1 "
                "ORDER BY d.id",
                taken,
                "pegawai with an unread disposition",
            )
            arsiparis = _pick(
                connection,
                'SELECT u.username FROM "user" u '
                f"WHERE u.active AND u.id IN ({_roles_of('arsiparis')}) AND EXISTS ("
                'SELECT 1 FROM position p JOIN "user" s ON s.position_id = p.id '
                "WHERE p.superior_id = u.position_id AND s.active) ORDER BY u.username",
                taken,
                "arsiparis with subordinates",
            )
            sdm = _pick(
                connection,
                f'SELECT u.username FROM "user" u WHERE u.active AND u.id IN ({_roles_of("sdm")}) '
                "ORDER BY u.username",
                taken,
                "sdm user",
            )
            rater = _pick(
                connection,
                "SELECT u.username, a.id, p.code, e.full_name FROM simantap_assignment a "
                "JOIN simantap_period p ON p.id = a.period_id "
                'JOIN "user" u ON u.id = a.rater_id JOIN "user" e ON e.id = a.ratee_id '
                "WHERE p.status = 'open' AND a.submitted_at IS NULL AND a.rater_id <> a.ratee_id "
                f"AND u.active AND u.id NOT IN ({_roles_of('sdm')}) "
                f"AND u.id NOT IN ({_roles_of('pimpinan')}) "
                f"AND u.id NOT IN ({_roles_of('arsiparis')}) "
                'AND (SELECT count(*) FROM simantap_assignment o JOIN "user" oe '
                "ON oe.id = o.ratee_id WHERE o.rater_id = a.rater_id "
                "AND o.period_id = a.period_id AND oe.full_name = e.full_name) = 1 "
                "ORDER BY a.id",
                taken,
                "open 360 form",
            )
            language = _pick(
                connection,
                'SELECT u.username FROM "user" u WHERE u.active AND u.locale IS NULL '
                f"AND u.id IN ({_roles_of('pegawai')}) ORDER BY u.username",
                taken,
                "pegawai for the language switch",
            )
    finally:
        engine.dispose()
    return Demo(
        password=password,
        admin="admin",
        inbox_user=inbox["username"],
        inbox_disposition=inbox["id"],
        inbox_subject=inbox["perihal"],
        arsiparis=arsiparis["username"],
        sdm=sdm["username"],
        rater=rater["username"],
        rater_assignment=rater["id"],
        rater_period=rater["code"],
        ratee_name=rater["full_name"],
        language_user=language["username"],
        taken=taken,
    )


# --- the server ---------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    env: dict[str, str]
    database_url: str
    demo: Demo
    log: Path

    def sikd(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a ``sikd`` command against the server's instance."""
        return subprocess.run(
            [sys.executable, "-m", "sikd_host.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def query(self, sql: str, **params: Any) -> list[Any]:
        """Rows of a read-only SQL query on the server's database (to check what it stored)."""
        engine = create_engine(self.database_url)
        try:
            with engine.connect() as connection:
                return list(connection.execute(text(sql), params))
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz in 60 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = tmp_path_factory.mktemp("e2e-instance")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIKD_")}
    env.update(
        SIKD_INSTANCE_PATH=str(instance),
        SIKD_ARCHIVE_DEMO_LETTERS=DEMO_LETTERS,
        SIKD_REDIS_URL="",  # jobs (the scoring run) run inline
        SIKD_STRICT_PLUGINS="1",
        PYTHONUNBUFFERED="1",
    )
    postgres = os.environ.get("SIKD_TEST_DATABASE_URL")
    if postgres:
        database_url = _create_postgres_database(postgres)
        env["SIKD_DATABASE_URL"] = database_url
    else:
        database_url = f"sqlite:///{instance / 'sikd.db'}"
    process = None
    try:
        # `sikd demo` runs `sikd init` first (schema, roles, admin), then loads the demo
        demo = subprocess.run(
            [sys.executable, "-m", "sikd_host.cli", "demo", "--no-serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert demo.returncode == 0, demo.stderr
        # every demo employee shares the admin's password, printed last
        passwords = re.findall(r"^Password:\s+(\S+)$", demo.stdout, re.MULTILINE)
        assert passwords, demo.stdout
        users = find_demo_users(database_url, passwords[-1])

        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = instance / "server.log"
        with log.open("w") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "sikd_host.cli", "run", "--host", "127.0.0.1",
                 "--port", str(port), "--no-reload", "--no-debugger"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        _wait_healthy(url, process, log)
        yield Server(url=url, env=env, database_url=database_url, demo=users, log=log)
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if postgres:
            _drop_postgres_database(postgres, database_url)


@pytest.fixture(scope="session")
def demo(server: Server) -> Demo:
    return server.demo


# --- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    if ARTIFACTS.exists():
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_FAILED] = report.failed
    return report


_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: Browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies from other tests) on the server."""
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 900}, locale="id-ID"
    )
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    if request.node.stash.get(_FAILED, False):
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}-FAILED.png"), full_page=True)
    context.close()
    assert not errors, f"JavaScript errors on the pages: {errors}"


@pytest.fixture
def shot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """``shot("inbox")`` saves the page as test-artifacts/e2e/<test name>-inbox.png."""

    def save(step: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save


@pytest.fixture
def login(page: Page, demo: Demo) -> Callable[[str], Page]:
    """``login("budi.utami")`` logs in through the login form and lands on the dashboard."""

    def do_login(username: str, password: str | None = None) -> Page:
        page.goto("/login")
        page.locator("#username").fill(username)
        page.locator("#password").fill(password or demo.password)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        if urlsplit(page.url).path == "/login":
            alerts = " ".join(page.get_by_role("alert").all_inner_texts())
            pytest.fail(f"{username} could not log in: {alerts or 'no message'}")
        assert page.locator("#user-menu").is_visible(), f"{username} is not logged in"
        return page

    return do_login


def load_archive_helpers() -> Any:
    """tests/archive/archive_helpers.py (its PDF builder), without touching sys.path."""
    path = ROOT / "tests" / "archive" / "archive_helpers.py"
    spec = importlib.util.spec_from_file_location("e2e_archive_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def make_pdf() -> Callable[[str], bytes]:
    return load_archive_helpers().make_pdf
