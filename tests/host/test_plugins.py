"""The plugin machinery: discovery through entry points, live state, isolation, clashes."""

import html
import importlib
import logging
import textwrap
import time

import pytest
from sqlalchemy import select

from sikd_host import create_app
from sikd_host.audit.models import AuditEvent
from sikd_host.extensions import db
from sikd_host.pluginmanager import current_host
from sikd_host.testing import log_in


def install_fake(site, name, source, requires=("sikd-host>=0.1",), version="1.0"):
    """A real installed distribution (dist-info + module) that importlib.metadata finds."""
    (site / f"{name}_mod.py").write_text(textwrap.dedent(source))
    info = site / f"sikd_{name}-{version}.dist-info"
    info.mkdir()
    requires_lines = "".join(f"Requires-Dist: {r}\n" for r in requires)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: sikd-{name}\nVersion: {version}\n"
        f"Summary: The {name} test plugin\n{requires_lines}"
    )
    (info / "entry_points.txt").write_text(f"[sikd.plugins]\n{name} = {name}_mod\n")
    importlib.invalidate_caches()


GOOD = """
from flask import Blueprint
from sikd_host.plugin_api import MenuItem, Permission, Widget, hookimpl

bp = Blueprint("good", __name__, url_prefix="/good")

@bp.route("/")
def page():
    return "good page"

@hookimpl
def sikd_blueprints():
    return [bp]

@hookimpl
def sikd_permissions():
    return [Permission("good.use", "Use good")]

@hookimpl
def sikd_menu_items(user):
    return [MenuItem("good.page", "Good menu", "good.page")]

@hookimpl
def sikd_template_slot(slot, context):
    if slot != "profile.sections":
        return []
    return ["<p id='good-slot'>slot for %s</p>" % context["user"].username]

@hookimpl
def sikd_settings():
    return {"GOOD_COLOUR": "blue", "GOOD_LIMIT": 3}
"""


@pytest.fixture
def site(tmp_path, monkeypatch):
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in list(__import__("sys").modules):
        if name.endswith("_mod"):
            __import__("sys").modules.pop(name)


def new_app(database_url, tmp_path, enable_new=True, **config):

    settings = {
        "DATABASE_URL": database_url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SECRET_KEY": "plugins-test",
        "WTF_CSRF_ENABLED": False,
        "TESTING": True,
    }
    settings.update(config)
    app = create_app(settings)
    if enable_new:  # newly installed plugins are enabled, as sikd init does
        from sikd_host.admin.plugins import enable_new_plugins

        with app.app_context():
            enable_new_plugins("test")
            db.session.commit()
            current_host(app).sync(force=True)
    return app


def admin_client(app, make_user, name="boss"):
    make_user(name, roles=["admin"])
    client = app.test_client()
    assert log_in(client, name).status_code == 302
    return client


def test_first_party_plugins_load_through_entry_points(app, client, login_as):
    host = current_host(app)
    assert {"archive", "simantap"} <= set(host.records)
    assert host.records["archive"].entry_point is not None
    assert host.records["archive"].active and host.records["simantap"].active
    login_as("admin")
    assert client.get("/arsip/kotak-masuk").status_code == 200
    assert client.get("/simantap/").status_code == 200
    page = client.get("/").data.decode()
    assert 'data-menu-id="archive.inbox"' in page and 'data-menu-id="simantap.home"' in page
    assert client.get("/plugins/archive/static/archive.css").status_code == 200


def test_good_plugin_contributes_everything(site, database_url, tmp_path, make_user, monkeypatch):
    install_fake(site, "good", GOOD)
    monkeypatch.setenv("SIKD_GOOD_LIMIT", "7")
    app = new_app(database_url, tmp_path)
    assert current_host(app).records["good"].active
    assert app.config["GOOD_COLOUR"] == "blue" and app.config["GOOD_LIMIT"] == 7
    client = admin_client(app, make_user)
    assert client.get("/good/").data == b"good page"
    assert "Good menu" in client.get("/").data.decode()
    assert "slot for boss" in client.get("/profile").data.decode()
    assert "good.use" in client.get("/admin/roles/new").data.decode()


BROKEN = {
    "import": "raise RuntimeError('boom at import')\n",
    "init": """
        from sikd_host.plugin_api import hookimpl

        @hookimpl
        def sikd_blueprints():
            raise RuntimeError('boom in init')
    """,
    "startup": """
        from sikd_host.plugin_api import hookimpl

        @hookimpl
        def sikd_startup_check(app):
            return 'the scanner tool is missing'
    """,
}


@pytest.mark.parametrize("way", sorted(BROKEN))
def test_broken_plugin_leaves_the_host_and_other_plugins_serving(
    site, database_url, tmp_path, make_user, runner, way
):
    install_fake(site, "broken", BROKEN[way])
    app = new_app(database_url, tmp_path)
    record = current_host(app).records["broken"]
    assert record.status == "failed"
    assert record.error and ("boom" in record.error or "scanner" in record.error)
    client = admin_client(app, make_user)
    assert client.get("/healthz").status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/arsip/").status_code == 200  # the other plugins work
    page = client.get("/admin/plugins/").data.decode()
    assert "broken" in page and ("boom" in page or "scanner" in page)
    listing = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert "broken" in listing.output and "failed" in listing.output
    assert "Traceback" in listing.output or "scanner" in listing.output


def test_strict_mode_re_raises(site, database_url, tmp_path):
    install_fake(site, "broken", BROKEN["import"])
    with pytest.raises(RuntimeError, match="boom at import"):
        new_app(database_url, tmp_path, STRICT_PLUGINS=True)


RAISES_WHILE_RENDERING = """
from sikd_host.plugin_api import Widget, hookimpl

@hookimpl
def sikd_dashboard_widgets(user):
    raise RuntimeError('widget boom')

@hookimpl
def sikd_template_slot(slot, context):
    raise RuntimeError('slot boom')

@hookimpl
def sikd_menu_items(user):
    if user.username != 'probe':
        raise RuntimeError('menu boom')
    return []
"""


def test_hook_raising_while_a_page_is_built_is_left_out(
    site, database_url, tmp_path, make_user, caplog
):
    install_fake(site, "flaky", RAISES_WHILE_RENDERING)
    app = new_app(database_url, tmp_path)
    assert current_host(app).records["flaky"].active
    client = admin_client(app, make_user)
    with caplog.at_level(logging.ERROR, logger="sikd.plugins"):
        dashboard = client.get("/")
        profile = client.get("/profile")
    assert dashboard.status_code == 200 and profile.status_code == 200
    assert 'data-widget-id="welcome"' in dashboard.data.decode()  # the host's widgets remain
    assert 'data-menu-id="archive.inbox"' in dashboard.data.decode()  # other plugins' items too
    assert "widget boom" in caplog.text and "menu boom" in caplog.text
    assert "slot boom" in caplog.text


def test_safe_mode_loads_no_plugin(database_url, tmp_path, make_user):
    app = new_app(database_url, tmp_path, SAFE_MODE=True)
    host = current_host(app)
    assert all(r.module is None and r.status == "safe-mode" for r in host.records.values())
    client = admin_client(app, make_user)
    assert client.get("/arsip/").status_code == 404
    assert "safe mode" in app.test_cli_runner().invoke(args=["plugins", "list"]).output


def test_incompatible_plugin_is_skipped_with_a_message(site, database_url, tmp_path):
    install_fake(
        site,
        "old",
        GOOD.replace('"good"', '"old"').replace("good.", "old."),
        requires=("sikd-host<0.1",),
    )
    app = new_app(database_url, tmp_path)
    record = current_host(app).records["old"]
    assert record.status == "incompatible" and record.module is None
    assert "sikd-host <0.1" in record.message or "<0.1" in record.message


@pytest.mark.parametrize("what", ["blueprint", "url", "permission", "menu"])
def test_clashing_plugins_are_refused_naming_both(site, database_url, tmp_path, what):
    install_fake(site, "good", GOOD)
    clash = GOOD.replace('"GOOD_COLOUR": "blue", "GOOD_LIMIT": 3', '"ZCLASH_COLOUR": "red"')

    if what != "blueprint":
        clash = clash.replace('Blueprint("good"', 'Blueprint("other"')
    if what != "url":
        clash = clash.replace('url_prefix="/good"', 'url_prefix="/other"')
    if what != "permission":
        clash = clash.replace('"good.use"', '"other.use"')
    if what != "menu":
        clash = clash.replace('"good.page", "Good menu"', '"other.page", "Other menu"')
    clash = clash.replace(
        '"good.page")]', '"other.page")]' if what != "blueprint" else '"good.page")]'
    )
    install_fake(site, "zclash", clash)
    app = new_app(database_url, tmp_path)
    host = current_host(app)
    assert host.records["good"].active
    record = host.records["zclash"]
    assert record.status == "failed"
    assert "good" in record.message and "zclash" in record.message
    assert {
        "blueprint": "blueprint",
        "url": "URL rule",
        "permission": "permission",
        "menu": "menu id",
    }[what] in record.message


def wait_until(condition, seconds=2.0):
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s")


def test_disable_on_one_instance_is_seen_by_another_within_2_seconds(
    database_url, tmp_path, make_user
):
    first = new_app(database_url, tmp_path / "a")
    second = new_app(database_url, tmp_path / "b")
    make_user("boss", roles=["admin"])
    client_a, client_b = first.test_client(), second.test_client()
    for client in (client_a, client_b):
        assert log_in(client, "boss").status_code == 302
    assert client_b.get("/simantap/").status_code == 200
    assert client_a.post("/admin/plugins/simantap/disable").status_code == 302
    elapsed = wait_until(lambda: client_b.get("/simantap/").status_code == 404)
    assert elapsed < 2.0
    page = client_b.get("/").data.decode()
    assert 'data-menu-id="simantap.home"' not in page
    assert "simantap.use" not in client_b.get("/admin/roles/new").data.decode()
    assert client_a.post("/admin/plugins/simantap/enable").status_code == 302
    wait_until(lambda: client_b.get("/simantap/").status_code == 200)
    assert 'data-menu-id="simantap.home"' in client_b.get("/").data.decode()
    with first.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "plugin.disabled" in actions and "plugin.enabled" in actions


def test_cli_enable_disable(app, runner, client, login_as):
    login_as("admin")
    result = runner.invoke(args=["plugins", "disable", "archive"])
    assert result.exit_code == 0
    current_host(app).sync(force=True)
    assert client.get("/arsip/").status_code == 404
    assert runner.invoke(args=["plugins", "enable", "archive"]).exit_code == 0
    assert client.get("/arsip/").status_code == 200
    unknown = runner.invoke(args=["plugins", "enable", "nope"])
    assert unknown.exit_code == 1 and "nope" in unknown.output


def test_plugin_disabled_at_start_is_not_imported_and_can_be_enabled_live(
    site, database_url, tmp_path, make_user
):
    install_fake(site, "good", GOOD)
    setup = new_app(database_url, tmp_path / "setup")
    with setup.app_context():
        from sikd_host.plugin_state import set_enabled

        set_enabled("good", False)
        db.session.commit()
    import sys

    sys.modules.pop("good_mod", None)
    app = new_app(database_url, tmp_path / "live")
    assert current_host(app).records["good"].module is None
    assert "good_mod" not in sys.modules
    client = admin_client(app, make_user)
    assert client.get("/good/").status_code == 404
    assert client.post("/admin/plugins/good/enable").status_code == 302
    assert client.get("/good/").data == b"good page"


def test_instance_template_overrides_and_extends_the_original(app, client, login_as):
    from pathlib import Path

    folder = Path(app.instance_path) / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "profile.html").write_text(
        '{% extends "original/profile.html" %}'
        '{% block content %}<p id="local-note">Local note</p>{{ super() }}{% endblock %}'
    )
    login_as("pegawai")
    body = client.get("/profile").data.decode()
    assert 'id="local-note"' in body and "NIP" in body


@pytest.fixture
def unconfigured_plugin_logger():
    """The ``sikd.plugins`` logger as a fresh process has it: no handler, no level."""
    logger = logging.getLogger("sikd.plugins")
    saved = logger.handlers[:], logger.level
    logger.handlers[:] = []
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.handlers[:], logger.level = saved[0], saved[1]


def test_tracing_logs_every_hook_call_of_a_request(
    database_url, tmp_path, make_user, caplog, unconfigured_plugin_logger
):
    from sikd_host.plugin_api import hookimpl
    from sikd_host.plugin_state import set_enabled

    class Slotted:
        @hookimpl
        def sikd_template_slot(self, slot, context):
            return ["<p>slotted</p>"] if slot == "profile.sections" else []

    app = new_app(database_url, tmp_path, TRACE_PLUGINS=True)
    with app.app_context():
        set_enabled("slotted", True)
        db.session.commit()
        current_host(app).add_plugin(Slotted(), "slotted")
    client = admin_client(app, make_user)
    caplog.clear()
    for url in ("/", "/profile", "/admin/roles"):
        assert client.get(url).status_code == 200
    for hook, plugin in [
        ("sikd_menu_items", "archive"),
        ("sikd_menu_items", "simantap"),
        ("sikd_dashboard_widgets", "archive"),
        ("sikd_template_slot", "slotted"),
        ("sikd_permissions", "archive"),
        ("sikd_permissions", "simantap"),
    ]:
        assert f"hook {hook} -> {plugin}: " in caplog.text, (hook, plugin)
    assert " ms" in caplog.text


def test_tracing_prints_to_stderr_outside_pytest(tmp_path):
    """``SIKD_TRACE_PLUGINS=1 sikd ...`` in a plain process prints the trace on stderr, for
    the start-up declarations and the migration hooks too."""
    import subprocess
    import sys

    env = {"SIKD_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"}
    sikd = [sys.executable, "-m", "sikd_host.cli"]
    init = subprocess.run(
        [*sikd, "init", "--password", "a long enough password"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert init.returncode == 0, init.stderr
    traced = subprocess.run(
        [*sikd, "db", "current"],
        env={**env, "SIKD_TRACE_PLUGINS": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert traced.returncode == 0, traced.stderr
    for hook in ("sikd_blueprints", "sikd_permissions", "sikd_migrations", "sikd_cli"):
        assert f"hook {hook} -> archive: " in traced.stderr, (hook, traced.stderr[-2000:])
    assert "sikd.plugins" in traced.stderr and " ms" in traced.stderr


DEMO = """
from sikd_host.plugin_api import Unit, db, hookimpl

@hookimpl
def sikd_demo_data(seed):
    db.session.add(Unit(code="DEMO-%s" % __name__[:4], name="Demo unit"))
    db.session.flush()
    if __name__.startswith("bad"):
        raise RuntimeError("demo boom")
    return "demo from %s" % __name__
"""


def test_demo_data_hook_runs_each_plugin_in_its_own_savepoint(site, database_url, tmp_path):
    install_fake(site, "good", DEMO)
    install_fake(site, "bad", DEMO)
    app = new_app(database_url, tmp_path)
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    assert "demo from good_mod" in result.output and "150 employees" in result.output
    with app.app_context():
        from sikd_host.org.models import Unit

        codes = set(db.session.scalars(select(Unit.code)))
    assert "DEMO-good" in codes and "DEMO-bad_" not in codes


UNPREFIXED = """
from sqlalchemy.orm import Mapped, mapped_column
from sikd_host.plugin_api import db

class Thing(db.Model):
    __tablename__ = "thing_without_prefix"
    id: Mapped[int] = mapped_column(primary_key=True)
"""


def test_plugin_tables_must_carry_the_plugin_prefix(site, database_url, tmp_path):
    install_fake(site, "sloppy", UNPREFIXED)
    app = new_app(database_url, tmp_path)
    record = current_host(app).records["sloppy"]
    assert record.status == "failed" and "thing_without_prefix" in record.message
    from sikd_host.extensions import db as database

    database.metadata.remove(database.metadata.tables["thing_without_prefix"])


def test_plugin_settings_must_carry_the_plugin_prefix(site, database_url, tmp_path):
    install_fake(
        site,
        "greedy",
        "from sikd_host.plugin_api import hookimpl\n\n"
        '@hookimpl\ndef sikd_settings():\n    return {"SECRET_KEY": "mine"}\n',
    )
    app = new_app(database_url, tmp_path)
    record = current_host(app).records["greedy"]
    assert record.status == "failed" and "SECRET_KEY" in record.message
    assert app.config["SECRET_KEY"] == "plugins-test"


def test_new_plugin_waits_for_an_admin_to_enable_it(site, database_url, tmp_path):
    install_fake(site, "good", GOOD)
    app = new_app(database_url, tmp_path, enable_new=False)
    record = current_host(app).records["good"]
    assert record.status == "disabled" and record.module is None


def test_plugin_raising_on_import_stops_neither_init_nor_upgrade(site, database_url, tmp_path):
    """An installed plugin that raises on import (never enabled) is skipped by the migration
    commands, which migrate the host and the other plugins, warn, and exit 0; the commands
    aimed at that plugin alone exit 1 with its error, never a traceback."""
    from sikd_host.plugin_state import read_enabled

    install_fake(site, "broken", BROKEN["import"])
    app = new_app(database_url, tmp_path, enable_new=False)
    assert current_host(app).records["broken"].module is None  # not enabled: not imported
    runner = app.test_cli_runner()
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0, upgrade.output
    assert all(f"{name}: " in upgrade.stdout for name in ("host", "archive", "simantap"))
    assert "plugin broken skipped" in upgrade.stderr and "boom at import" in upgrade.stderr
    init = runner.invoke(args=["init", "--password", "a long enough password"])
    assert init.exit_code == 0, init.output
    assert "Schema is up to date." in init.stdout and "Admin user: admin" in init.stdout
    assert "plugin broken skipped" in init.stderr
    with app.app_context():
        state = read_enabled()
    assert state["broken"] is False and state["archive"] and state["simantap"]
    for args in (["db", "upgrade", "--plugin", "broken"], ["plugins", "enable", "broken"]):
        refused = runner.invoke(args=args)
        assert refused.exit_code == 1, (args, refused.output)
        assert "broken" in refused.output and "boom at import" in refused.output
        assert "Traceback" not in refused.output
    current = runner.invoke(args=["db", "current"])
    assert current.exit_code == 0, current.output
    assert "archive: " in current.output and "ok" in current.output
    assert "broken: - (head unknown) could not be loaded: boom at import" in current.output


def test_enabling_a_plugin_that_raises_on_import_is_refused_with_its_error(
    site, database_url, tmp_path, make_user
):
    install_fake(site, "broken", BROKEN["import"])
    app = new_app(database_url, tmp_path, enable_new=False)
    client = admin_client(app, make_user)
    response = client.post("/admin/plugins/broken/enable")
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).data.decode()
    assert "boom at import" in page and "broken" in page
    with app.app_context():
        from sikd_host.plugin_state import read_enabled

        assert not read_enabled().get("broken")
    assert client.get("/arsip/").status_code == 200


def test_plugins_page_and_list_do_not_import_a_disabled_plugin(
    site, database_url, tmp_path, make_user
):
    import sys

    install_fake(site, "good", GOOD)
    app = new_app(database_url, tmp_path, enable_new=False)
    client = admin_client(app, make_user)
    page = client.get("/admin/plugins/")
    assert page.status_code == 200 and 'data-plugin="good"' in page.data.decode()
    listing = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert listing.exit_code == 0 and "good\t1.0\t" in listing.output
    assert "The good test plugin" in listing.output  # from the distribution's metadata
    assert "good_mod" not in sys.modules
    assert current_host(app).records["good"].module is None


def test_a_never_enabled_plugin_is_shown_disabled(site, database_url, tmp_path, make_user):
    install_fake(site, "good", GOOD)
    app = new_app(database_url, tmp_path, enable_new=False)
    client = admin_client(app, make_user)
    client.post("/language", data={"language": "en"})
    page = client.get("/admin/plugins/").data.decode()
    section = page.split('data-plugin="good"', 1)[1].split("</section>", 1)[0]
    assert "/admin/plugins/good/enable" in section
    assert "/admin/plugins/good/disable" not in section
    assert 'Enabled</dt><dd class="col-sm-9">no</dd>' in section
    listing = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert "good\t1.0\tdisabled\tdisabled" in listing.output


def test_a_bad_menu_item_or_widget_is_left_out_not_a_500(
    app, client, login_as, register_plugin, caplog
):
    """A menu item whose endpoint does not exist and widgets whose template is missing or
    fails are logged and dropped; the page and the other contributions stay."""
    from pathlib import Path

    from sikd_host.plugin_api import MenuItem, Widget, hookimpl

    class Careless:
        @hookimpl
        def sikd_menu_items(self, user):
            return [
                MenuItem("careless.nowhere", "Nowhere", "careless.no_such_endpoint"),
                MenuItem("careless.fine", "Fine item", "portal.profile"),
            ]

        @hookimpl
        def sikd_dashboard_widgets(self, user):
            return [
                Widget("careless.missing", "Missing", "careless/no_such_template.html"),
                Widget("careless.raises", "Raises", "careless/raises.html"),
                Widget("careless.fine", "Fine widget", "widgets/welcome.html", {"user": user}),
            ]

    folder = Path(app.instance_path) / "templates" / "careless"
    folder.mkdir(parents=True)
    (folder / "raises.html").write_text("<p>{{ widget.context.nope.deeper }}</p>")
    register_plugin(Careless(), "careless")
    login_as("admin")
    with caplog.at_level(logging.ERROR, logger="sikd.plugins"):
        dashboard = client.get("/")
        profile = client.get("/profile")
    assert dashboard.status_code == 200 and profile.status_code == 200
    page = dashboard.data.decode()
    assert 'data-menu-id="careless.fine"' in page and "careless.nowhere" not in page
    assert 'data-menu-id="archive.inbox"' in page  # the other plugins' items stay
    assert 'data-widget-id="careless.fine"' in page and 'data-widget-id="welcome"' in page
    assert 'data-widget-id="careless.missing"' not in page
    assert 'data-widget-id="careless.raises"' not in page
    assert "menu item careless.nowhere has no URL" in caplog.text
    assert "widget careless.missing failed to render" in caplog.text
    assert "widget careless.raises failed to render" in caplog.text


def test_menu_urls_follow_their_values_and_the_script_root(app, client, login_as, register_plugin):
    """The side menu's URLs are remembered between pages: per item values and per script
    root (SIKD served under a path prefix), never one page's URL on another."""
    from sikd_host.plugin_api import MenuItem, hookimpl

    class PerUser:
        @hookimpl
        def sikd_menu_items(self, user):
            values = {"job_id": user.username}
            return [
                MenuItem("peruser.jobs", "My job", "jobs.show", url_values=values),
                MenuItem("peruser.given", "Given", "portal.profile", href="/given", order=0),
                MenuItem("peruser.anchor", "Anchor", "jobs.index", url_values={"_anchor": "a"}),
            ]

    register_plugin(PerUser(), "peruser")
    admin = login_as("admin")
    assert f'href="/jobs/{admin}" data-menu-id="peruser.jobs"' in client.get("/").text
    client.post("/logout")
    staff = login_as("pegawai")
    assert f'href="/jobs/{staff}" data-menu-id="peruser.jobs"' in client.get("/").text
    prefixed = client.get("/", environ_overrides={"SCRIPT_NAME": "/sikd"}).text
    assert f'href="/sikd/jobs/{staff}" data-menu-id="peruser.jobs"' in prefixed
    assert 'href="/sikd/profile"' in prefixed and 'href="/profile"' not in prefixed
    # a URL the plugin gives is not remembered for its endpoint, nor one that asks more
    assert 'href="/given" data-menu-id="peruser.given"' in prefixed
    assert 'href="/sikd/profile" data-menu-id="profile"' in prefixed
    assert 'href="/sikd/jobs/#a" data-menu-id="peruser.anchor"' in prefixed


def test_plugin_states_are_shown_in_the_users_language(site, database_url, tmp_path, make_user):
    """Status notes are msgids translated when shown (Indonesian by default), on the page
    and in sikd plugins list; the status badge too."""
    install_fake(site, "good", GOOD)
    install_fake(site, "zclash", GOOD.replace('Blueprint("good"', 'Blueprint("zclash"')
                 .replace('url_prefix="/good"', 'url_prefix="/zclash"')
                 .replace('"good.page", "Good menu"', '"zclash.page", "Z menu"')
                 .replace('"good.page")]', '"zclash.page")]')
                 .replace('"GOOD_COLOUR": "blue", "GOOD_LIMIT": 3', '"ZCLASH_X": 1'))  # fmt: skip
    install_fake(site, "old", "", requires=("sikd-host<0.1",))
    new_app(database_url, tmp_path / "first")
    install_fake(site, "fresh", "")
    app = new_app(database_url, tmp_path / "second", enable_new=False)
    client = admin_client(app, make_user)
    page = html.unescape(client.get("/admin/plugins/").data.decode())
    notes = {
        "fresh": ("Sudah terpasang, tetapi belum diaktifkan.", "Installed but not enabled yet."),
        "old": ("old mendukung sikd-host <0.1", "old supports sikd-host <0.1"),
        "zclash": ("hak akses 'good.use' dideklarasikan oleh good dan juga oleh zclash",
                   "permission 'good.use' is declared by both good and zclash"),
    }  # fmt: skip
    for name, (indonesian, english) in notes.items():
        section = page.split(f'data-plugin="{name}"', 1)[1].split("</section>", 1)[0]
        note = section.split('Catatan</dt><dd class="col-sm-9">', 1)[1].split("</dd>", 1)[0]
        assert indonesian in note and english not in note, (name, note)
    listing = app.test_cli_runner().invoke(args=["plugins", "list"])
    assert "note: Sudah terpasang, tetapi belum diaktifkan." in listing.output
    client.post("/language", data={"language": "en"})
    page = html.unescape(client.get("/admin/plugins/").data.decode())
    assert all(english in page for _indonesian, english in notes.values())
    safe = new_app(database_url, tmp_path / "safe", SAFE_MODE=True, enable_new=False)
    safe_page = admin_client(safe, make_user, "boss2").get("/admin/plugins/").data.decode()
    assert ">mode aman</span>" in safe_page and "SIKD_SAFE_MODE diaktifkan" in safe_page


def test_a_database_hiccup_keeps_the_last_known_plugin_state(
    database_url, tmp_path, make_user, caplog
):
    """Only a missing plugin_state table means "no schema yet"; any other error reading it
    keeps every plugin as it was (it used to switch them all off until the next read)."""
    from sqlalchemy import event

    app = new_app(database_url, tmp_path, PLUGIN_STATE_TTL=0.0)
    client = admin_client(app, make_user)
    assert client.get("/arsip/").status_code == 200
    with app.app_context():
        engine = db.engine
    dbapi = engine.dialect.loaded_dbapi

    def hiccup(_conn, _cursor, statement, *_args):
        if "FROM plugin_state" in statement:
            raise dbapi.OperationalError("simulated: the server closed the connection")

    event.listen(engine, "before_cursor_execute", hiccup)
    try:
        for _ in range(3):
            assert client.get("/arsip/").status_code == 200
        assert 'data-menu-id="archive.inbox"' in client.get("/").data.decode()
    finally:
        event.remove(engine, "before_cursor_execute", hiccup)
    assert "plugin state not read, keeping the last known one" in caplog.text
    assert app.test_cli_runner().invoke(args=["plugins", "disable", "archive"]).exit_code == 0
    assert client.get("/arsip/").status_code == 404  # read again once the database answers


def test_a_disabled_plugins_templates_cannot_be_reached(site, database_url, tmp_path, make_user):
    """Not through the plugin's own pages only: an instance template that includes one of
    its templates stops finding it once the plugin is disabled (compiled ones included)."""
    install_fake(site, "good", GOOD)
    (site / "templates" / "good").mkdir(parents=True)
    (site / "templates" / "good" / "hello.html").write_text("<p id='good-hello'>hello</p>")
    app = new_app(database_url, tmp_path)
    overrides = tmp_path / "instance" / "templates"
    overrides.mkdir(parents=True)
    (overrides / "profile.html").write_text(
        '{% extends "original/profile.html" %}{% block content %}'
        '{% include "good/hello.html" ignore missing %}{{ super() }}{% endblock %}'
    )
    client = admin_client(app, make_user)
    assert "good-hello" in client.get("/profile").data.decode()
    assert client.post("/admin/plugins/good/disable").status_code == 302
    assert "good-hello" not in client.get("/profile").data.decode()
    assert client.post("/admin/plugins/good/enable").status_code == 302
    assert "good-hello" in client.get("/profile").data.decode()


def test_url_rules_that_differ_only_in_converters_clash(site, database_url, tmp_path):
    install_fake(site, "good", GOOD.replace('@bp.route("/")', '@bp.route("/item/<int:item_id>")')
                 .replace("def page():", "def page(item_id):"))  # fmt: skip
    other = (
        GOOD.replace('Blueprint("good"', 'Blueprint("other"')
        .replace('"good.use"', '"other.use"')
        .replace('"good.page", "Good menu", "good.page"', '"other.page", "Other", "other.page"')
        .replace('"GOOD_COLOUR": "blue", "GOOD_LIMIT": 3', '"ZOTHER_X": 1')
        .replace('@bp.route("/")', '@bp.route("/item/<name>")')
        .replace("def page():", "def page(name):")
    )
    install_fake(site, "zother", other)
    app = new_app(database_url, tmp_path)
    host = current_host(app)
    assert host.records["good"].active
    record = host.records["zother"]
    assert record.status == "failed", record.message
    assert "URL rule /good/item/<name> (GET)" in record.message and "good" in record.message
