"""Load benchmark: SIKD under gunicorn on PostgreSQL with 1,000,000 records and 100,000
employees, driven by wrk, against two ceilings served with the same gunicorn settings: a bare
Flask hello-world (``bare_hello.py``) and a bare login-required page (``bare_login.py``).

The data: ``simantap_generate.py`` builds the institution (100,000 employees, their source
data and the 360 ratings of period 2026, which stays open), then ``archive_generate.py``'s
record generator adds 1,000,000 records with their dispositions and search index into the
same organisation, and a scoring run of 2026 is made and published. Generating takes a
while; ``--reuse`` keeps a database that an earlier run completed.

The load user is ``p0`` (head of Bagian 1.1: a pegawai who receives dispositions, sees the
records of the bagian and rates its staff in the 360), and HR is ``sdm``; both log in
through the real login form and wrk sends their session cookies. Scenarios, each a
closed-loop wrk run with ``--connections`` connections:

- hello, bare login: the ceilings;
- sikd frame (``/jobs/``, the user's job list): what every SIKD page costs before its own
  work (session and user, plugin state, menus, notifications, the layout);
- inbox (``/arsip/kotak-masuk``), search rare and search common (``/arsip/cari?q=...``: a
  word of a few records of p0's bagian; a word of about one record in ten),
  letter (``/arsip/naskah/<id>``: records p0 may see), result (``/simantap/hasil/<run>/<id>``
  as HR, over many employees), 360 (a POST of a whole 360 form by p0, 303 expected);
- mixed: inbox 3, letter 3, search rare 1, search common 1, result 2, 360 1, interleaved,
  without pause;
- mixed users: the same with a think time (``--think``, default 5000 ms, uniform from half
  to one and a half times it) between a connection's requests, three times as long: 50
  users clicking, rather than 50 connections firing back to back. It goes through nginx, as
  in production (docs/deploy.md): wrk's thinking users hold idle connections, which a sync
  gunicorn worker would sit on (nginx is then needed; without it the run is skipped).

SIKD runs with ``sikd serve`` (PostgreSQL, Redis for the rate limits), a fresh server per
scenario; the ceilings with ``python -m gunicorn`` and the same workers and threads. Any
answer other than 200 (or the 303 of a saved form) counts as an error, as do socket errors
and timeouts. Goals: inbox and result reach 40% of the bare login page's requests per
second; 0 errors; p95 <= 100 ms at 50 connections. wrk, gunicorn and PostgreSQL share the
machine; the table gives, for each run, the share of the machine's CPU time that other
processes used meanwhile (everything but this script, its children and the PostgreSQL
backends of its database), so that a run disturbed by other work shows as such.

A machine shared with others runs faster and slower by turns (seen here: the same page from
330 to 540 req/s in runs minutes apart). ``--rounds N`` runs every chosen scenario N times
in turn and reports, for each, the median of its rounds; its share of the bare login page is
the median of its rounds' shares of the same round's ceiling (the range in brackets).

    .venv/bin/python benchmarks/load.py [--database-url URL] [--reuse] [--records 1000000]
        [--employees 100000] [--workers 4] [--threads 1] [--connections 50] [--duration 20]
        [--wrk-threads 2] [--think 1000] [--scenarios inbox,result] [--rounds 3]
        [--redis-url redis://127.0.0.1:6379/14] [--json results.json]

The default URL is postgresql+psycopg://postgres@127.0.0.1:5432/sikd_load.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import archive_generate  # noqa: E402
import simantap_generate  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/sikd_load"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
PASSWORD = simantap_generate.PASSWORD
LOAD_USER = "p0"
HR_USER = simantap_generate.HR_USER
ARCHIVIST = "arsip"
INSTANCE = Path("/tmp/sikd-load-bench/instance")
LUA = HERE / "load.lua"
SCENARIOS = (
    "hello",
    "bare login",
    "sikd frame",
    "inbox",
    "search rare",
    "search common",
    "letter",
    "result",
    "360",
    "mixed",
    "mixed users",
)
MIX = {"inbox": 3, "letter": 3, "search rare": 1, "search common": 1, "result": 2, "360": 1}
# words in about one record in ten: a user who sees few records makes the search check many
COMMON_WORDS = ("rapat", "laporan keuangan", "anggaran", "pengadaan barang")
GOAL_SHARE = 0.40
GOAL_P95_MS = 100.0


# --- the data --------------------------------------------------------------------------


def complete(url: str, records: int, employees: int) -> bool:
    """Whether the database holds a finished set-up of (at least) this size."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            )
    finally:
        admin.dispose()
    if not exists:
        return False
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM archive_record),"
                    " (SELECT count(*) FROM simantap_employee),"
                    " (SELECT count(*) FROM simantap_run WHERE published)"
                )
            ).one()
    except Exception:  # noqa: BLE001 - a half-made database is not complete
        return False
    finally:
        engine.dispose()
    return found[0] >= records and found[1] >= employees and found[2] >= 1


def generate(url: str, records: int, employees: int) -> None:
    """The institution, then the records into its organisation, then a published run."""
    started = time.perf_counter()
    INSTANCE.mkdir(parents=True, exist_ok=True)
    simantap_generate.prepare(url, drop=True)
    simantap_generate.generate(url, employees, INSTANCE)
    app = simantap_generate.build_app(url, INSTANCE)
    with app.app_context():
        from sikd_archive.klasifikasi import load_default_scheme
        from sikd_archive.models import Klasifikasi

        from sikd_host.auth import accounts
        from sikd_host.auth.models import User
        from sikd_host.extensions import db
        from sikd_host.org.models import Position, Unit

        if db.session.scalar(select(Klasifikasi.id).limit(1)) is None:
            load_default_scheme()
        load_user = db.session.scalar(select(User).where(User.username == LOAD_USER))
        staff = db.session.scalar(
            select(Position.id).where(Position.code == f"{load_user.position.code}-S")
        )
        archivist = accounts.create_user(
            "bench", ARCHIVIST, "Arsiparis", PASSWORD, roles=["pegawai", "arsiparis"],
            position_id=staff,
        )  # fmt: skip
        db.session.flush()
        recipients = db.session.scalars(
            select(User.id).where(User.username.like("p%")).order_by(User.id).limit(300)
        ).all()
        world = {
            "units": db.session.execute(select(Unit.id, Unit.code).order_by(Unit.id)).all(),
            "budi": load_user.id,
            "arsip": archivist.id,
            "users": [load_user.id, archivist.id, *recipients],
            "codes": [
                row
                for row in db.session.execute(select(Klasifikasi.id, Klasifikasi.code)).all()
                if row.code.count(".") >= 1
            ],
        }
        db.session.commit()
        engine = db.engine
    print(f"records into {len(world['units'])} units ...", flush=True)
    with engine.connect() as connection:
        archive_generate.fill(connection, world, records, archive_generate.SEED)
        archive_generate.finish(connection)
    with app.app_context():
        from sikd_simantap import runs
        from sikd_simantap.models import Period

        period = db.session.scalar(select(Period).where(Period.code == simantap_generate.PERIOD))
        run = runs.score(period, None)
        runs.publish(run, None)
        db.session.commit()
        print(f"scoring run {run.id} published ({run.employees} employees)", flush=True)
        db.engine.dispose()
    print(f"set-up done in {time.perf_counter() - started:.0f} s", flush=True)


def upgrade(url: str) -> None:
    """``sikd db upgrade`` of the reused database."""
    from sikd_host.cli import upgrade_all

    app = simantap_generate.build_app(url, INSTANCE)
    with app.app_context():
        from sikd_host.extensions import db

        upgrade_all()
        db.session.commit()
        db.engine.dispose()


def targets(url: str) -> dict[str, Any]:
    """Ids and words for the requests, read straight from the database."""
    engine = create_engine(url)
    from sikd_archive.models import Disposition, Record
    from sikd_simantap.models import Assignment, Result, Run

    from sikd_host.auth.models import User
    from sikd_host.org.models import Position

    with engine.connect() as c:
        user_id, unit_id = c.execute(
            select(User.id, Position.unit_id)
            .join(Position, Position.id == User.position_id)
            .where(User.username == LOAD_USER)
        ).one()
        visible = (Record.status != "musnah") & (Record.keamanan.in_(("B", "T")))
        newest = c.execute(
            select(Record.id, Record.perihal)
            .where(Record.unit_id == unit_id, visible)
            .order_by(Record.id.desc())
            .limit(150)
        ).all()
        own = [row.id for row in newest]
        routed = c.scalars(
            select(Disposition.record_id)
            .join(Record, Record.id == Disposition.record_id)
            .where(Disposition.recipient_id == user_id, visible)
            .order_by(Disposition.id.desc())
            .limit(50)
        ).all()
        perihal = [row.perihal for row in newest[:20]]
        run_id = c.scalar(select(Run.id).where(Run.published.is_(True)).order_by(Run.id.desc()))
        ratees = c.scalars(
            select(Result.user_id).where(Result.run_id == run_id).order_by(func.random()).limit(500)
        ).all()
        assignments = c.scalars(
            select(Assignment.id)
            .where(Assignment.rater_id == user_id)
            .order_by(Assignment.id)
            .limit(200)
        ).all()
    engine.dispose()
    rare = [line.split()[-1] for line in perihal]
    return {
        "records": list(dict.fromkeys([*own, *routed])),
        "rare": rare[:10],
        "run": run_id,
        "ratees": ratees,
        "assignments": assignments,
    }


# --- HTTP helpers ------------------------------------------------------------------------


class Client:
    """A tiny cookie-keeping HTTP client (standard library only), redirects not followed."""

    def __init__(self, base: str):
        parsed = urllib.parse.urlsplit(base)
        self.host, self.port = parsed.hostname, parsed.port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, data

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def csrf(self, path: str) -> str:
        status, data = self.request("GET", path)
        match = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', data)
        if status != 200 or not match:
            raise SystemExit(f"no CSRF token on {path} (status {status})")
        return match.group(1).decode()

    def log_in(self, username: str, password: str) -> None:
        token = self.csrf("/login")
        form = {"username": username, "password": password, "csrf_token": token}
        status, _ = self.request("POST", "/login", form)
        if status != 302:
            raise SystemExit(f"login of {username} failed with {status}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, path: str, process: subprocess.Popen, seconds: float = 60) -> None:
    client = Client(base)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped with {process.returncode}")
        try:
            status, _ = client.request("GET", path)
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{base} did not come up within {seconds} s")


class Server:
    """A gunicorn process (``sikd serve`` or plain gunicorn) on a free port."""

    def __init__(
        self, command: list[str], env: dict[str, str], health: str, log: Path, cwd: Path = HERE
    ):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [part.replace("{bind}", f"127.0.0.1:{self.port}") for part in command]
        self.env, self.health, self.log, self.cwd = env, health, log, cwd

    def __enter__(self) -> Server:
        self.output = self.log.open("ab")
        self.process = subprocess.Popen(
            self.command, env=self.env, stdout=self.output, stderr=subprocess.STDOUT, cwd=self.cwd
        )
        try:
            wait_until_up(self.base, self.health, self.process)
        except BaseException:  # __exit__ is not called when __enter__ fails: stop it here
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


NGINX = """
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 51m;
        location / {{
            proxy_pass {upstream};
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
        }}
    }}
}}
"""


class Proxy:
    """nginx in front of a server, as in production (docs/deploy.md): it keeps the idle
    connections of users who think, which a sync gunicorn worker would sit on."""

    def __init__(self, upstream: str, folder: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.folder = folder / f"nginx-{self.port}"
        self.folder.mkdir()
        user = "user root;" if os.geteuid() == 0 else ""  # its temporary files are ours
        config = NGINX.format(folder=self.folder, user=user, port=self.port, upstream=upstream)
        (self.folder / "nginx.conf").write_text(config)

    def __enter__(self) -> Proxy:
        self.process = subprocess.Popen(
            ["nginx", "-c", str(self.folder / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_up(self.base, "/healthz", self.process)
        return self

    def __exit__(self, *_exc: Any) -> None:
        self.process.terminate()
        self.process.wait(30)


# --- wrk ---------------------------------------------------------------------------------


def write_requests(path: Path, rows: list[tuple[str, str, str, str]]) -> None:
    """One request a line for load.lua: method, path, cookie, form body (tab separated)."""
    with path.open("w") as handle:
        for row in rows:
            assert not any("\t" in part or "\n" in part for part in row)
            handle.write("\t".join(row) + "\n")


def _ticks(pid: str) -> int:
    """CPU ticks of a process and of its children it has waited for."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return sum(int(value) for value in fields[11:15])  # utime stime cutime cstime


def cpu_sample(database_url: str) -> tuple[int, int]:
    """(busy ticks of the whole machine, ticks of this benchmark): this process and its
    descendants (gunicorn, wrk) and the PostgreSQL backends of the benchmark's database."""
    times = Path("/proc/stat").read_text().split()[1:9]  # user nice system idle iowait ...
    busy = sum(int(value) for i, value in enumerate(times) if i not in (3, 4))
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[entry.name] = (entry / "stat").read_text().rsplit(")", 1)[1].split()[1]
            except OSError:
                continue
    mine, grown = {str(os.getpid())}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in mine} - mine
        mine |= more
        grown = bool(more)
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            backends = connection.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).all()
    finally:
        engine.dispose()
    mine |= {str(pid) for pid in backends}
    return busy, sum(_ticks(pid) for pid in mine)


def run_wrk(
    base: str,
    requests: Path,
    args: argparse.Namespace,
    duration: int,
    think_ms: int = 0,
    connections: int | None = None,
) -> dict[str, Any]:
    connections = connections or args.connections
    command = [
        "wrk",
        f"-t{min(args.wrk_threads, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        base,
        "--",
        str(requests),
    ]
    env = {**os.environ, "LOAD_THINK_MS": str(think_ms)}
    before, started = cpu_sample(args.database_url), time.monotonic()
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    after, elapsed = cpu_sample(args.database_url), time.monotonic() - started
    for line in output.splitlines():
        if line.startswith("LOADJSON "):
            summary = json.loads(line[len("LOADJSON ") :])
            others = (after[0] - before[0]) - (after[1] - before[1])
            capacity = os.sysconf("SC_CLK_TCK") * (os.cpu_count() or 1) * elapsed
            summary["others_cpu"] = max(0.0, others / capacity)
            return summary
    raise SystemExit(f"no summary from wrk:\n{output}")


def measure(
    base: str,
    rows: list[tuple[str, str, str, str]],
    args: argparse.Namespace,
    think_ms: int = 0,
    duration: int | None = None,
) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="sikd-load-"))
    path = folder / "requests.tsv"
    write_requests(path, rows)
    # warm up with one connection per worker thread: requests that wrk leaves in the listen
    # backlog when it stops would still be served, into the measured run
    run_wrk(base, path, args, args.warmup, think_ms, connections=args.workers * args.threads)
    result = run_wrk(base, path, args, duration or args.duration, think_ms)
    shutil.rmtree(folder)
    seconds = result["duration_us"] / 1e6
    errors = result["socket_errors"] + result["unexpected"]
    return {
        "requests": result["requests"],
        "rps": result["requests"] / seconds,
        "p50": result["p50_us"] / 1000,
        "p95": result["p95_us"] / 1000,
        "p99": result["p99_us"] / 1000,
        "errors": errors,
        "statuses": result["statuses"],
        # the share of the machine's CPU time used by processes other than the benchmark's
        # (wrk, gunicorn, its PostgreSQL backends): other work on a shared machine
        "others": result["others_cpu"],
    }


# --- the scenarios -----------------------------------------------------------------------


def gunicorn_settings(args: argparse.Namespace) -> list[str]:
    return ["--workers", str(args.workers), "--threads", str(args.threads), "--bind", "{bind}"]


def sikd_requests(base: str, found: dict[str, Any]) -> dict[str, list[tuple[str, str, str, str]]]:
    user, hr = Client(base), Client(base)
    user.log_in(LOAD_USER, PASSWORD)
    hr.log_in(HR_USER, PASSWORD)
    token = user.csrf(f"/simantap/360/{found['assignments'][0]}")
    cookie, hr_cookie = user.cookie_header(), hr.cookie_header()
    rng = random.Random(11)
    forms = []
    for assignment in found["assignments"]:
        form = {f"butir_{item}": str(rng.randint(2, 5)) for item in range(1, 8)}
        form.update(comment="", csrf_token=token)
        forms.append(("POST", f"/simantap/360/{assignment}", cookie, urllib.parse.urlencode(form)))
    return {
        "sikd frame": [("GET", "/jobs/", cookie, "")],
        "inbox": [("GET", "/arsip/kotak-masuk", cookie, "")],
        "search rare": [
            ("GET", "/arsip/cari?" + urllib.parse.urlencode({"q": word}), cookie, "")
            for word in found["rare"]
        ],
        "search common": [
            ("GET", "/arsip/cari?" + urllib.parse.urlencode({"q": word}), cookie, "")
            for word in COMMON_WORDS
        ],
        "letter": [("GET", f"/arsip/naskah/{record}", cookie, "") for record in found["records"]],
        "result": [
            ("GET", f"/simantap/hasil/{found['run']}/{ratee}", hr_cookie, "")
            for ratee in found["ratees"]
        ],
        "360": forms,
    }


def mixed(
    requests: dict[str, list[tuple[str, str, str, str]]], mix: dict[str, int] = MIX
) -> list[tuple[str, ...]]:
    """The pages interleaved by weight, each kind cycling through its own requests."""
    rows, position = [], dict.fromkeys(mix, 0)
    for _round in range(200):
        for kind, weight in mix.items():
            for _ in range(weight):
                pool = requests[kind]
                rows.append(pool[position[kind] % len(pool)])
                position[kind] += 1
    random.Random(5).shuffle(rows)
    return rows


def parse_mix(text: str) -> dict[str, int]:
    mix = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        if name.strip() not in MIX or not weight.strip().isdigit():
            raise argparse.ArgumentTypeError(f"not a page=weight of {', '.join(MIX)}: {part}")
        mix[name.strip()] = int(weight)
    return mix


def server_env(args: argparse.Namespace, prefix: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIKD_")}
    env.update(
        SIKD_DATABASE_URL=args.database_url,
        SIKD_REDIS_URL=args.redis_url,
        SIKD_RATELIMIT_KEY_PREFIX=prefix,
        SIKD_JOBS_QUEUE=prefix,
        SIKD_INSTANCE_PATH=str(folder / "instance"),
        SIKD_STORAGE_DIR=str(folder / "files"),
        SIKD_SECRET_KEY="load benchmark " + prefix,
        BARE_DATABASE_URL=args.database_url,
        BARE_SECRET_KEY="load benchmark " + prefix,
        PYTHONUNBUFFERED="1",
    )
    return env


def run_scenarios(args: argparse.Namespace, chosen: list[str]) -> dict[str, dict]:
    folder = Path(tempfile.mkdtemp(prefix="sikd-load-servers-"))
    prefix = f"sikd-load-{uuid.uuid4().hex[:8]}"
    env = server_env(args, prefix, folder)
    log = folder / "servers.log"
    gunicorn = [sys.executable, "-m", "gunicorn", *gunicorn_settings(args)]
    sikd = [sys.executable, "-c", "from sikd_host.cli import main; main()", "serve"]
    sikd += ["--workers", str(args.workers), "--threads", str(args.threads), "--bind", "{bind}"]
    results: dict[str, dict] = {}
    try:
        if "hello" in chosen:
            with Server([*gunicorn, "bare_hello:app"], env, "/", log) as server:
                results["hello"] = measure(server.base, [("GET", "/", "", "")], args)
                report("hello", results["hello"])
        if "bare login" in chosen:
            with Server([*gunicorn, "bare_login:app"], env, "/healthz", log) as server:
                client = Client(server.base)
                status, _ = client.request("POST", "/login", {"username": LOAD_USER})
                assert status == 200, status
                rows = [("GET", "/page", client.cookie_header(), "")]
                results["bare login"] = measure(server.base, rows, args)
                report("bare login", results["bare login"])
        pages = [name for name in chosen if name not in ("hello", "bare login")]
        found = targets(args.database_url) if pages else {}
        requests: dict[str, list[tuple[str, str, str, str]]] = {}
        for name in pages:
            # a fresh server per scenario: requests that wrk left queued in the listen
            # backlog of the previous one are not served into this one's time
            with Server(sikd, env, "/healthz", log) as server:
                if not requests:  # the cookies stay valid: same secret key, same database
                    requests = sikd_requests(server.base, found)
                    requests["mixed"] = requests["mixed users"] = mixed(requests, args.mix)
                if name != "mixed users":
                    results[name] = measure(server.base, requests[name], args)
                elif shutil.which("nginx") is None:
                    print("mixed users: skipped, it needs nginx in front", flush=True)
                    continue
                else:
                    with Proxy(server.base, folder) as proxy:
                        rows, think = requests[name], args.think
                        results[name] = measure(proxy.base, rows, args, think, args.duration * 3)
                report(name, results[name])
    except BaseException:
        print(f"server log: {log}", file=sys.stderr)
        raise
    finally:
        clean_redis(args.redis_url, prefix)
    shutil.rmtree(folder, ignore_errors=True)
    return results


def combine(rounds: list[dict[str, dict]]) -> dict[str, dict]:
    """One row per scenario from several rounds: the median of each round's requests per
    second, percentiles and share of the same round's bare login page (so that the machine
    running faster or slower during one round moves a scenario and its ceiling together),
    with the requests, errors and answers of every round added up."""
    combined: dict[str, dict] = {}
    for name in rounds[0]:
        rows = [results[name] for results in rounds if name in results]
        row = {key: statistics.median(r[key] for r in rows) for key in ("rps", "p50", "p95", "p99")}
        statuses: dict[str, int] = {}
        for r in rows:
            for status, count in r["statuses"].items():
                statuses[status] = statuses.get(status, 0) + count
        row.update(
            requests=sum(r["requests"] for r in rows),
            errors=sum(r["errors"] for r in rows),
            statuses=statuses,
            others=max(r["others"] for r in rows),
            rounds=len(rows),
        )
        shares = [
            results[name]["rps"] / results["bare login"]["rps"]
            for results in rounds
            if name in results and results.get("bare login", {}).get("rps")
        ]
        if shares:
            row["share"] = statistics.median(shares)
            row["shares"] = shares
        combined[name] = row
    return combined


def clean_redis(url: str, prefix: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    except redis.RedisError:
        pass


def report(name: str, row: dict[str, Any]) -> None:
    print(
        f"{name:<11} {row['rps']:8.1f} req/s  p50 {row['p50']:7.1f}  p95 {row['p95']:7.1f}  "
        f"p99 {row['p99']:7.1f} ms  errors {row['errors']}  {row['statuses']}  "
        f"others {row['others']:.0%}",
        flush=True,
    )


def table(results: dict[str, dict], args: argparse.Namespace) -> str:
    bare = results.get("bare login", {}).get("rps")
    lines = [
        "| scenario | requests | req/s | share of bare login | p50 ms | p95 ms | p99 ms | errors "
        "| others' CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in SCENARIOS:
        if name not in results:
            continue
        row = results[name]
        share = f"{_share(row, bare) * 100:.0f}%" if bare else "-"
        if len(row.get("shares", ())) > 1:
            share += f" ({min(row['shares']):.0%}-{max(row['shares']):.0%})"
        lines.append(
            f"| {name} | {row['requests']} | {row['rps']:.1f} | {share} | {row['p50']:.1f} | "
            f"{row['p95']:.1f} | {row['p99']:.1f} | {row['errors']} | {row['others']:.0%} |"
        )
    goals = []
    if bare:
        for name in ("inbox", "result"):
            if name in results:
                share = _share(results[name], bare)
                verdict = "met" if share >= GOAL_SHARE and results[name]["requests"] else "missed"
                goals.append(
                    f"- {name} at {share:.0%} of the bare login page (goal 40%): {verdict}"
                )
    errors = sum(row["errors"] for row in results.values())
    silent = [name for name, row in results.items() if not row["requests"]]
    verdict = "met" if errors == 0 and not silent else "missed"
    note = f"; no answer at all within the run: {', '.join(silent)}" if silent else ""
    goals.append(f"- errors: {errors} (goal 0){note}: {verdict}")
    for name in ("mixed", "mixed users", *MIX):
        if name in results:
            p95 = results[name]["p95"]
            verdict = "met" if p95 <= GOAL_P95_MS and results[name]["requests"] else "missed"
            goals.append(
                f"- p95 of {name} at {args.connections} connections: {p95:.1f} ms "
                f"(goal <= {GOAL_P95_MS:.0f}): {verdict}"
            )
    return "\n".join(lines + [""] + goals)


def _share(row: dict[str, Any], bare: float) -> float:
    """The row's share of the bare login page: the median of its rounds' when it has them."""
    return row.get("share", row["rps"] / bare)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    import gunicorn

    return (
        f"{os.cpu_count()} CPU ({cpu}), {memory:.0f} GiB RAM, {platform.platform()}, "
        f"Python {platform.python_version()}, gunicorn {gunicorn.__version__}, "
        f"{(wrk.stdout or wrk.stderr).split(chr(10))[0].strip()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--reuse", action="store_true", help="Keep a completed database.")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--employees", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--duration", type=int, default=20, help="Seconds per scenario.")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds before each scenario.")
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="Run every scenario this many times, in turn, and report the medians.",
    )
    parser.add_argument(
        "--think", type=int, default=5000, help="Think time (ms) of the 'mixed users' run."
    )
    parser.add_argument("--redis-url", default=DEFAULT_REDIS)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument(
        "--mix",
        type=parse_mix,
        default=MIX,
        help="Weights of the mixed runs, e.g. 'inbox=3,letter=3,search rare=1,result=2,360=1'.",
    )
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="Write the results here.")
    args = parser.parse_args(argv)
    if make_url(args.database_url).get_backend_name() != "postgresql":
        parser.error("the load benchmark runs on PostgreSQL")
    if shutil.which("wrk") is None and not args.generate_only:
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    chosen = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = set(chosen) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    if args.reuse and complete(args.database_url, args.records, args.employees):
        print(f"reusing {args.database_url}", flush=True)
        upgrade(args.database_url)  # the code may have new migrations since it was made
    else:
        generate(args.database_url, args.records, args.employees)
    if args.generate_only:
        return 0
    print(machine(), flush=True)
    print(
        f"gunicorn: {args.workers} workers x {args.threads} thread(s); wrk: {args.wrk_threads} "
        f"threads, {args.connections} connections, {args.duration} s per scenario",
        flush=True,
    )
    rounds = []
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f"round {number} of {args.rounds}", flush=True)
        rounds.append(run_scenarios(args, chosen))
    results = combine(rounds) if args.rounds > 1 else rounds[0]
    print()
    print(table(results, args))
    if args.json:
        settings = {key: str(value) for key, value in vars(args).items()}
        report_data = {
            "machine": machine(),
            "settings": settings,
            "results": results,
            "rounds": rounds,
        }
        args.json.write_text(json.dumps(report_data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
