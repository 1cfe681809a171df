"""Models and migrations agree, and each plugin's schema goes up and down."""

import importlib
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sikd_host import migrations
from sikd_host.extensions import db
from sikd_host.pluginmanager import current_host
from sikd_host.scaffold import scaffold


def differences(track):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": track.include_name,
                "include_object": track.include_object,
                "compare_type": True,
                "version_table": track.version_table,
            },
        )
        return compare_metadata(context, track.metadata)


def test_models_and_migrations_agree_for_host_and_every_plugin(app):
    with app.app_context():
        tracks = migrations.all_tracks(current_host(app))
        assert tracks[0].name == "host"
        for track in tracks:
            assert differences(track) == [], track.name


def installed_plugins():
    from sikd_host.pluginmanager import discover_entry_points

    return [entry_point.name for entry_point in discover_entry_points()]


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it, not even the host's schema: a new SQLite file, or a
    new PostgreSQL database when SIKD_TEST_DATABASE_URL names a server (dropped after)."""
    import os

    from sikd_host.testing import _create_postgres_database, _drop_postgres_database

    server = os.environ.get("SIKD_TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    url = _create_postgres_database(server)
    try:
        yield url
    finally:
        _drop_postgres_database(server, url)


def plugin_tables(prefix):
    return sorted(n for n in db.inspect(db.engine).get_table_names() if n.startswith(prefix))


@pytest.mark.parametrize("plugin", installed_plugins())
def test_each_plugin_goes_up_down_and_up_again(empty_database_url, tmp_path, plugin):
    """For every installed plugin (archive and simantap included), on SQLite and PostgreSQL:
    upgrade to head from an empty database, downgrade to base (its tables, indexes and
    search objects go; the host's stay), upgrade to head again, and the models still agree
    with the schema."""
    from sikd_host import create_app

    app = create_app(
        {
            "DATABASE_URL": empty_database_url,
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SECRET_KEY": "x",
        }
    )
    runner = app.test_cli_runner()
    with app.app_context():
        track = migrations.all_tracks(current_host(app), only=plugin)
        if not track:
            pytest.skip(f"{plugin} has no migrations")
        track = track[0]
        head = migrations.head_revision(track)
    upgrade = runner.invoke(args=["db", "upgrade"])
    assert upgrade.exit_code == 0 and f"{plugin}: {head}" in upgrade.output, upgrade.output
    with app.app_context():
        created = plugin_tables(f"{plugin}_")
        host_tables = plugin_tables("")
        assert created and migrations.tables_with_rows(db.engine, track) == []
    down = runner.invoke(args=["db", "downgrade", "--plugin", plugin, "base"])
    assert down.exit_code == 0 and f"{plugin}: base" in down.output, down.output
    with app.app_context():
        assert plugin_tables(f"{plugin}_") == []
        assert migrations.current_revision(db.engine, track) is None
        assert set(plugin_tables("")) == set(host_tables) - set(created)
    again = runner.invoke(args=["db", "upgrade", "--plugin", plugin])
    assert again.exit_code == 0 and f"{plugin}: {head}" in again.output, again.output
    with app.app_context():
        assert plugin_tables(f"{plugin}_") == created
        assert migrations.current_revision(db.engine, track) == head
        assert differences(track) == []
        db.engine.dispose()


@pytest.fixture
def notes_plugin(tmp_path, monkeypatch):
    """A plugin with tables, made by the scaffold and installed as a distribution."""
    target = scaffold("notes", tmp_path)
    info = target / "sikd_notes-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sikd-notes\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[sikd.plugins]\nnotes = sikd_notes\n")
    monkeypatch.syspath_prepend(str(target))
    importlib.invalidate_caches()
    yield target
    for name in [m for m in sys.modules if m.startswith("sikd_notes")]:
        sys.modules.pop(name)
    for table in [t for name, t in db.metadata.tables.items() if name.startswith("notes_")]:
        db.metadata.remove(table)  # another test may import the plugin again


def test_plugin_upgrade_downgrade_round_trip(notes_plugin, database_url, tmp_path, make_user):
    from sikd_host import create_app
    from sikd_host.testing import log_in

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
        }
    )
    host = current_host(app)
    runner = app.test_cli_runner()
    assert host.records["notes"].status == "needs-upgrade"
    result = runner.invoke(args=["db", "upgrade", "--plugin", "notes"])
    assert result.exit_code == 0 and "notes: notes_0001" in result.output
    assert host.records["notes"].active
    make_user("boss", roles=["admin"])
    client = app.test_client()
    log_in(client, "boss")
    assert client.post("/notes/", data={"text": "kept"}).status_code == 302

    assert client.post("/admin/plugins/notes/disable").status_code == 302
    assert client.get("/notes/").status_code == 404
    assert client.post("/admin/plugins/notes/enable").status_code == 302
    assert b"kept" in client.get("/notes/").data  # disabling kept the data

    assert runner.invoke(args=["plugins", "disable", "notes"]).exit_code == 0
    refused = runner.invoke(args=["db", "downgrade", "--plugin", "notes", "base"])
    assert refused.exit_code == 1 and "notes_note" in refused.output  # it holds a row
    with app.app_context():
        assert db.inspect(db.engine).has_table("notes_note")
    result = runner.invoke(args=["db", "downgrade", "--plugin", "notes", "base", "--drop-data"])
    assert result.exit_code == 0 and "notes: base" in result.output
    with app.app_context():
        assert not db.inspect(db.engine).has_table("notes_note")
    refused = runner.invoke(args=["plugins", "enable", "notes"])
    assert refused.exit_code == 1 and "sikd db upgrade" in refused.output
    page = client.get("/admin/plugins/").data.decode()
    assert "notes_0001" in page
    assert "Run migrations" in page or "Jalankan migrasi" in page
    assert client.post("/admin/plugins/notes/upgrade").status_code == 302
    assert runner.invoke(args=["plugins", "enable", "notes"]).exit_code == 0
    assert client.get("/notes/").status_code == 200
    current = runner.invoke(args=["db", "current"]).output
    assert "host:" in current and "notes: notes_0001 (head notes_0001) ok" in current


@pytest.fixture
def protected_notes(notes_plugin):
    """The notes plugin declaring its data protected (written before any app imports it)."""
    init = notes_plugin / "sikd_notes" / "__init__.py"
    init.write_text(
        init.read_text()
        + "\n\n@hookimpl\ndef sikd_protected_data():\n    return 'Notes are kept by law.'\n"
    )
    return notes_plugin


def test_protected_plugin_data_is_never_dropped(protected_notes, database_url, tmp_path, make_user):
    """A plugin answering ``sikd_protected_data`` keeps its rows whatever the options; a
    downgrade of its empty tables still runs."""
    from sikd_host import create_app
    from sikd_host.testing import log_in

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "INSTANCE_PATH": str(tmp_path / "i"),
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
        }
    )
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "upgrade", "--plugin", "notes"]).exit_code == 0
    empty = runner.invoke(args=["db", "downgrade", "--plugin", "notes", "base"])
    assert empty.exit_code == 0 and "notes: base" in empty.output  # nothing to drop
    assert runner.invoke(args=["db", "upgrade", "--plugin", "notes"]).exit_code == 0
    make_user("boss", roles=["admin"])
    client = app.test_client()
    log_in(client, "boss")
    assert client.post("/notes/", data={"text": "kept"}).status_code == 302
    for extra in ([], ["--drop-data"]):
        refused = runner.invoke(args=["db", "downgrade", "--plugin", "notes", *extra, "base"])
        assert refused.exit_code == 1, refused.output
        assert "may never be dropped" in refused.output and "notes_note" in refused.output
        assert "Notes are kept by law." in refused.output
    with app.app_context():
        assert db.inspect(db.engine).has_table("notes_note")
        track = migrations.all_tracks(current_host(app), only="notes")[0]
        assert migrations.current_revision(db.engine, track) == "notes_0001"
    assert b"kept" in client.get("/notes/").data
