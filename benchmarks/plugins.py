"""Cost per request of the plugin machinery: the state check plus the hook calls for menu,
widgets and slots, with both first-party plugins enabled, against the same pages with them
disabled.

The demo institution is loaded first (the host's 150 employees and their organisation, the
archive's letters and dispositions, Simantap's periods and 360 forms), and the pages are
served to a demo employee who is both pimpinan and arsiparis, so the archive's dashboard
widgets run their real queries (inbox, overdue dispositions, retention due). The pages are
the dashboard and the profile page (which renders a slot), through the whole Flask stack,
in process, logged in.

Every figure comes from the same rounds. Each round serves the pages in three states, one
after the other (their order rotating from round to round): plugins disabled, enabled, and
enabled with the machinery instrumented.
The instrumented state times the host's own code (``PluginHost.sync``, ``collect`` and
``declarations``) apart from the time spent inside the plugins' implementations. The
figures are medians over the rounds; drift hits every state alike.

* **disabled** and **enabled**: mean request time of a round (uninstrumented);
* **machinery**: the host's time in the state check and the hook dispatch, minus the
  plugins' own implementations, per request, as a share of the enabled request time;
* **plugins' own hook work**: the time inside their implementations (the widgets' queries);
* **the rest** of the difference: rendering their menu items and widgets, bigger pages.

    .venv/bin/python benchmarks/plugins.py [--rounds 12] [--requests 200] [--warmup 100]
                                              [--letters 500]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

PAGES = ("/", "/profile")
PASSWORD = "benchmark password"
HOOKS = ("sikd_menu_items", "sikd_dashboard_widgets", "sikd_template_slot")


def build(folder: Path, letters: int) -> tuple[Flask, FlaskClient, str]:
    os.environ["SIKD_ARCHIVE_DEMO_LETTERS"] = str(letters)
    from sikd_host import create_app
    from sikd_host.cli import run_init
    from sikd_host.demo import load_demo, load_plugin_demos
    from sikd_host.extensions import db
    from sikd_host.testing import log_in

    app = create_app({"INSTANCE_PATH": str(folder), "SECRET_KEY": "bench"})
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        run_init("admin", PASSWORD)
        print(load_demo(admin_password=PASSWORD))
        for summary in load_plugin_demos():
            print(summary)
        db.session.commit()
        username = reader()
    client = app.test_client()
    assert log_in(client, username, PASSWORD).status_code == 302
    return app, client, username


def reader() -> str:
    """A demo employee who is both pimpinan and arsiparis (the first by user name)."""
    from sikd_host.auth.models import Role, User, user_role

    def holders(role: str) -> Any:
        return select(user_role.c.user_id).join(Role).where(Role.name == role)

    from sikd_host.extensions import db

    candidates = db.session.scalars(
        select(User.username)
        .where(User.id.in_(holders("pimpinan")), User.id.in_(holders("arsiparis")))
        .order_by(User.username)
    ).all()
    assert candidates, "the demo has no user who is both pimpinan and arsiparis"
    return candidates[0]


def switch(app: Flask, enabled: bool) -> None:
    from sikd_host.extensions import db
    from sikd_host.plugin_state import set_enabled
    from sikd_host.pluginmanager import current_host

    with app.app_context():
        host = current_host(app)
        for name in host.records:
            set_enabled(name, enabled)
        db.session.commit()
        host.sync(force=True)
        assert all(r.active == enabled for r in host.records.values())


class MachineryClock:
    """While installed: the host's own time in sync/collect/declarations, excluding the time
    inside the plugins' implementations (which is counted apart)."""

    def __init__(self, host: Any) -> None:
        self.host = host
        self.machinery = 0.0
        self.inside_plugins = 0.0
        self._busy = False
        self._restore: list[Callable[[], None]] = []

    def install(self) -> None:
        for hook in HOOKS:
            for impl in getattr(self.host.pm.hook, hook).get_hookimpls():
                original = impl.function
                impl.function = self._timed_impl(original)
                self._restore.append(lambda impl=impl, original=original: _set(impl, original))
        for name in ("sync", "collect", "declarations"):
            setattr(self.host, name, self._timed_host(getattr(self.host, name)))
            self._restore.append(lambda name=name: delattr(self.host, name))

    def remove(self) -> None:
        while self._restore:
            self._restore.pop()()

    def _timed_host(self, original: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._busy:  # nested (declarations -> collect, or a plugin calling a hook)
                return original(*args, **kwargs)
            self._busy = True
            started, inside = time.perf_counter(), self.inside_plugins
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                self.machinery += spent - (self.inside_plugins - inside)
                self._busy = False

        return timed

    def _timed_impl(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.inside_plugins += time.perf_counter() - started

        return timed


def _set(impl: Any, function: Callable[..., Any]) -> None:
    impl.function = function


def serve(client: FlaskClient, requests: int) -> float:
    """Seconds for ``requests`` requests, cycling through PAGES."""
    started = time.perf_counter()
    for number in range(requests):
        response = client.get(PAGES[number % len(PAGES)])
        assert response.status_code == 200, response.status_code
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--requests", type=int, default=200, help="per state and round")
    parser.add_argument("--letters", type=int, default=500, help="archive demo letters")
    parser.add_argument("--warmup", type=int, default=100, help="requests before each timing")
    args = parser.parse_args()
    from sikd_host.pluginmanager import current_host

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        app, client, username = build(Path(folder), args.letters)
        loaded = time.perf_counter() - started
        host = current_host(app)
        for enabled in (True, False):  # warm up both states: caches, compiled templates
            switch(app, enabled)
            serve(client, 200)
        off: list[float] = []
        on: list[float] = []
        instrumented: list[float] = []
        machinery: list[float] = []
        inside: list[float] = []
        n = args.requests
        states = ("disabled", "enabled", "instrumented")
        for number in range(args.rounds):
            shift = number % len(states)  # each state takes each place in a round alike
            for state in states[shift:] + states[:shift]:
                switch(app, state != "disabled")
                serve(client, args.warmup)
                if state != "instrumented":
                    (off if state == "disabled" else on).append(serve(client, n) / n)
                    continue
                clock = MachineryClock(host)
                clock.install()
                try:
                    instrumented.append(serve(client, n) / n)
                finally:
                    clock.remove()
                machinery.append(clock.machinery / n)
                inside.append(clock.inside_plugins / n)
    ms = 1000
    disabled, enabled = statistics.median(off) * ms, statistics.median(on) * ms
    own, plugins = statistics.median(machinery) * ms, statistics.median(inside) * ms
    difference = enabled - disabled
    print()
    print(
        f"user {username} (pimpinan, arsiparis); pages {', '.join(PAGES)}; "
        f"{args.rounds} rounds x {n} requests per state; demo loaded in {loaded:.0f} s"
    )
    print(f"{'request time, plugins disabled':<50}{disabled:>8.3f} ms")
    print(f"{'request time, archive + simantap enabled':<50}{enabled:>8.3f} ms")
    print(f"{'  (instrumented rounds)':<50}{statistics.median(instrumented) * ms:>8.3f} ms")
    print(f"{'difference enabled - disabled':<50}{difference:>8.3f} ms")
    print(
        f"{'  plugin machinery (state check + dispatch)':<50}{own:>8.3f} ms"
        f" = {own / enabled * 100:.1f}% of the request (goal: at most 5%)"
    )
    print(f"{'  inside the plugins own hook implementations':<50}{plugins:>8.3f} ms")
    print(
        f"{'  the rest (rendering their menus, widgets)':<50}{difference - own - plugins:>8.3f} ms"
    )
    print(f"total time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
