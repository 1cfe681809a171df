"""Cost per request of the plugin machinery (state check + menu, widget and slot hooks).

Serves the dashboard and the profile page (which renders a slot) through the whole Flask
stack, in process, for a logged-in user, with both first-party plugins enabled and with
both disabled (same database, same process, same pages). Rounds alternate between the two
so that drift hits both alike.

    .venv/bin/python benchmarks/plugins.py [--requests 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from sikd_host import create_app
from sikd_host.auth import accounts
from sikd_host.cli import run_init
from sikd_host.extensions import db
from sikd_host.plugin_state import set_enabled
from sikd_host.pluginmanager import current_host
from sikd_host.testing import log_in

PAGES = ("/", "/profile")


def build(folder: Path):
    app = create_app(
        {"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False}
    )
    with app.app_context():
        run_init("admin", "benchmark password")
        accounts.create_user("bench", "budi", "Budi", "benchmark password", roles=["pegawai"])
        db.session.commit()
    client = app.test_client()
    assert log_in(client, "budi", "benchmark password").status_code == 302
    return app, client


def switch(app, enabled: bool) -> None:
    with app.app_context():
        host = current_host(app)
        for name in host.records:
            set_enabled(name, enabled)
        db.session.commit()
        host.sync(force=True)
        assert all(r.active == enabled for r in host.records.values())


def timed(client, requests: int) -> float:
    """Mean seconds per request over ``requests`` requests, cycling through PAGES."""
    started = time.perf_counter()
    for number in range(requests):
        response = client.get(PAGES[number % len(PAGES)])
        assert response.status_code == 200
    return (time.perf_counter() - started) / requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app, client = build(Path(folder))
        for enabled in (True, False):  # warm up both states: caches, compiled templates
            switch(app, enabled)
            timed(client, 500)
        results: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.rounds):
            for enabled in (False, True):
                switch(app, enabled)
                timed(client, 50)
                results[enabled].append(timed(client, args.requests))
    off = statistics.median(results[False]) * 1000
    on = statistics.median(results[True]) * 1000
    print(f"pages: {', '.join(PAGES)}; {args.requests} requests x {args.rounds} rounds each")
    print(f"{'plugins':<22}{'ms/request (median of rounds)':>32}")
    print(f"{'disabled':<22}{off:>32.3f}")
    print(f"{'archive + simantap':<22}{on:>32.3f}")
    print(
        f"overhead: {on - off:.3f} ms per request = {(on - off) / off * 100:.1f}% "
        f"(goal: at most 5%)"
    )


if __name__ == "__main__":
    main()
