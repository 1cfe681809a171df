"""Cost per request of the plugin machinery (state check + menu, widget and slot hooks).

Serves the dashboard and the profile page (which renders a slot) through the whole Flask
stack, in process, for a logged-in user, with both first-party plugins enabled and with
both disabled (same database, same process, same pages). Rounds alternate between the two
so that drift hits both alike.

Two figures come out:

* the machinery: time spent in the state check (``PluginHost.sync``) and in dispatching
  the menu, widget and slot hooks (``PluginHost.collect``/``declarations``), *minus* the
  time spent inside the plugins' own implementations, as a share of the request time;
* the whole difference between the two states, which also holds what the plugins choose
  to do (the archive's inbox widget runs a count query, more menu entries are rendered).

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


class MachineryClock:
    """Accumulates the host's own time in sync/collect, excluding the plugins' code."""

    def __init__(self, host) -> None:
        self.host = host
        self.machinery = 0.0
        self.inside_plugins = 0.0
        self._wrap_implementations()
        self._wrap("sync")
        self._wrap("declarations")
        self._wrap("collect")

    def _wrap(self, name: str) -> None:
        original = getattr(self.host, name)
        depth = {"n": 0}

        def timed_call(*args, **kwargs):
            if depth["n"] or getattr(self, "_busy", False):
                return original(*args, **kwargs)
            depth["n"] += 1
            self._busy = True
            started, inside = time.perf_counter(), self.inside_plugins
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started - (self.inside_plugins - inside)
                self.machinery += spent
                self._busy = False
                depth["n"] -= 1

        setattr(self.host, name, timed_call)

    def _wrap_implementations(self) -> None:
        for hook in ("sikd_menu_items", "sikd_dashboard_widgets", "sikd_template_slot"):
            for impl in getattr(self.host.pm.hook, hook).get_hookimpls():
                impl.function = self._timed_impl(impl.function)

    def _timed_impl(self, function):
        def timed_impl(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.inside_plugins += time.perf_counter() - started

        return timed_impl


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
        switch(app, True)
        clock = MachineryClock(current_host(app))
        clocked = timed(client, args.requests) * args.requests
    off = statistics.median(results[False]) * 1000
    on = statistics.median(results[True]) * 1000
    print(f"pages: {', '.join(PAGES)}; {args.requests} requests x {args.rounds} rounds each")
    print(f"{'plugins':<22}{'ms/request (median of rounds)':>32}")
    print(f"{'disabled':<22}{off:>32.3f}")
    print(f"{'archive + simantap':<22}{on:>32.3f}")
    machinery = clock.machinery / args.requests * 1000
    plugins_own = clock.inside_plugins / args.requests * 1000
    print(
        f"plugin machinery (state check + hook dispatch): {machinery:.3f} ms per request "
        f"= {clock.machinery / clocked * 100:.1f}% of the request time (goal: at most 5%)"
    )
    print(f"inside the plugins' own hook implementations: {plugins_own:.3f} ms per request")
    print(
        f"whole difference enabled - disabled: {on - off:.3f} ms per request = "
        f"{(on - off) / off * 100:.1f}% (includes the plugins' own work and bigger pages)"
    )


if __name__ == "__main__":
    main()
