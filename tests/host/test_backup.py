"""``sikd backup`` and ``sikd restore``: a backup of an instance with real data (users,
audit events, archive records with attachments uploaded through the archive's routes, a
Simantap run) restores into a fresh empty instance whose audit chain and every blob verify
and whose data equals the original; a non-empty target is refused; a damaged backup or a
damaged storage is detected and named.

On SQLite by default; on PostgreSQL when SIKD_TEST_DATABASE_URL is set (pg_dump and
pg_restore, the restore target being a second throw-away database).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from instance_helpers import (
    add_attachment,
    client_for,
    latest_record_id,
    make_institution,
    make_pdf,
    make_period,
    register_record,
)
from sqlalchemy import create_engine, inspect, select, text

from sikd_host import backup, create_app
from sikd_host.extensions import db
from sikd_host.testing import _create_postgres_database, _drop_postgres_database

SERVER = os.environ.get("SIKD_TEST_DATABASE_URL")


@pytest.fixture(autouse=True)
def pg_tools(sikd_database):
    if sikd_database["kind"] == "postgresql":
        absent = [tool for tool in ("pg_dump", "pg_restore") if shutil.which(tool) is None]
        if absent:
            pytest.skip(f"backups of PostgreSQL need {' and '.join(absent)} on PATH")


@pytest.fixture
def empty_instance(sikd_database, tmp_path):
    """A factory of fresh instances with an empty database and an empty storage folder."""
    made = []

    def make(name: str = "restored"):
        if sikd_database["kind"] == "sqlite":
            url = f"sqlite:///{tmp_path / name / 'sikd.db'}"
        else:
            url = _create_postgres_database(SERVER)
        instance = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": url,
                "INSTANCE_PATH": str(tmp_path / name),
                "STORAGE_DIR": str(tmp_path / name / "files"),
                "SECRET_KEY": "restored-" + uuid.uuid4().hex,
                "WTF_CSRF_ENABLED": False,
                "REDIS_URL": "",
            }
        )
        made.append((instance, url))
        return instance

    yield make
    for instance, url in made:
        with instance.app_context():
            db.session.remove()
            db.engine.dispose()
        if sikd_database["kind"] == "postgresql":
            _drop_postgres_database(SERVER, url)


@pytest.fixture
def data(app, make_user):
    """Users, two records (three attachment versions, one content stored twice), a scored
    and published Simantap run, and the audit events all of that wrote."""
    from sikd_simantap import runs
    from sikd_simantap.models import Period

    org = make_institution(app, make_user)
    client = client_for(app, "arsiparis")
    first, second = make_pdf("Undangan rapat anggaran"), make_pdf("Nota dinas kedua")
    assert register_record(client, org.units["B"], first).status_code == 302
    record_id = latest_record_id(app)
    assert add_attachment(client, record_id, second).status_code == 302
    assert add_attachment(client, record_id, make_pdf("versi dua")).status_code == 302
    response = register_record(client, org.units["B.A"], first, nomor="B-13/UND/2026")
    assert response.status_code == 302  # the same content again: stored once
    assert client.get(f"/arsip/naskah/{record_id}").status_code == 200  # audited view
    period_id = make_period(app)
    with app.app_context():
        run = runs.score(db.session.get(Period, period_id), None)
        runs.publish(run, None)
    return org


def backup_to(runner, path: Path):
    result = runner.invoke(args=["backup", "--output", str(path)])
    assert result.exit_code == 0, result.output
    return result


def restore_from(instance, path: Path):
    return instance.test_cli_runner().invoke(args=["restore", str(path)])


def table_rows(engine) -> dict[str, list[tuple]]:
    """Every row of every table, sorted (the audit log and the blob registry included)."""
    found = {}
    with engine.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        for name in sorted(inspect(connection).get_table_names()):
            rows = connection.execute(text(f"SELECT * FROM {quote(name)}")).all()
            found[name] = sorted((tuple(row) for row in rows), key=repr)
    return found


def engine_of(instance):
    with instance.app_context():
        return create_engine(db.engine.url.render_as_string(hide_password=False))


def manifest(path: Path) -> dict[str, str]:
    lines = (path / "MANIFEST.sha256").read_text().splitlines()
    return {line.split("  ")[1]: line.split("  ")[0] for line in lines}


def test_backup_then_restore_into_an_empty_instance(app, runner, data, tmp_path, empty_instance):
    from sikd_archive.models import Attachment

    with app.app_context():
        stored = {p.name for p in Path(app.config["STORAGE_DIR"]).rglob("*") if p.is_file()}
        attachments = db.session.execute(select(Attachment.id, Attachment.sha256)).all()
    assert len(stored) == 3 and len(attachments) == 4
    source = engine_of(app)
    before = table_rows(source)  # the backup's own audit event comes after the snapshot

    out = tmp_path / "backup-1"
    result = backup_to(runner, out)
    assert f"backup written to {out}" in result.output and "3 stored file(s)" in result.output

    # the layout: database, manifest (sha256sum format, name = hash), metadata
    metadata = json.loads((out / "metadata.json").read_text())
    kind = "sqlite" if source.dialect.name == "sqlite" else "postgresql"
    database_file = out / backup.DATABASE_FILES[kind]
    assert metadata["database"]["kind"] == kind
    assert metadata["database"]["sha256"] == hashlib.sha256(database_file.read_bytes()).hexdigest()
    assert metadata["host_version"] and metadata["created_at"].endswith("Z")
    assert set(metadata["plugins"]) >= {"archive", "simantap"}
    assert metadata["plugins"]["archive"]["enabled"] is True
    assert metadata["plugins"]["archive"]["schema"] == metadata["schema"]["archive"]
    assert metadata["schema"]["host"]
    assert metadata["blobs"]["count"] == 3 and metadata["audit"]["entries"] == len(
        before["audit_event"]
    )
    listed = manifest(out)
    assert sorted(listed.values()) == sorted(stored)
    for relative, sha in listed.items():
        assert relative == f"blobs/{sha[:2]}/{sha[2:4]}/{sha}"
        assert hashlib.sha256((out / relative).read_bytes()).hexdigest() == sha
    assert oct((out / "metadata.json").stat().st_mode & 0o777) == "0o600"

    target = empty_instance()
    restored = restore_from(target, out)
    assert restored.exit_code == 0, restored.output
    assert "audit chain ok" in restored.output and "3 stored file(s)" in restored.output

    # the same rows everywhere, except the events written after the snapshot
    after = table_rows(engine_of(target))
    assert set(after) == set(before)
    for name in before:
        if name in ("audit_event", "audit_head"):
            continue
        assert after[name] == before[name], name
    by_id = sorted(before["audit_event"])
    assert sorted(after["audit_event"])[: len(by_id)] == by_id
    assert [row[4] for row in sorted(after["audit_event"])[len(by_id) :]] == ["backup.restored"]

    target_runner = target.test_cli_runner()
    chain = target_runner.invoke(args=["audit", "verify"])
    assert chain.exit_code == 0 and "audit chain ok" in chain.output, chain.output
    blobs = target_runner.invoke(args=["storage", "verify"])
    assert blobs.exit_code == 0, blobs.output
    assert "3 checked" in blobs.output and "0 mismatched, 0 missing" in blobs.output

    # the restored portal serves the records and their files
    client = client_for(target, "arsiparis")
    attachment_id, sha = attachments[0]
    download = client.get(f"/arsip/lampiran/{attachment_id}")
    assert download.status_code == 200 and hashlib.sha256(download.data).hexdigest() == sha
    page = client.get(f"/arsip/naskah/{latest_record_id(target)}")
    assert page.status_code == 200 and "B-13/UND/2026" in page.data.decode()


def test_a_tar_backup_restores_too(app, runner, data, tmp_path, empty_instance):
    out = tmp_path / "nightly.tar"
    backup_to(runner, out)
    assert out.is_file() and not list(tmp_path.glob(".nightly*"))  # no partial left
    target = empty_instance()
    restored = restore_from(target, out)
    assert restored.exit_code == 0, restored.output
    verified = target.test_cli_runner().invoke(args=["storage", "verify"])
    assert verified.exit_code == 0 and "3 checked" in verified.output, verified.output
    assert target.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0


def test_restore_refuses_a_target_that_is_not_empty(app, runner, data, tmp_path, empty_instance):
    out = tmp_path / "backup"
    backup_to(runner, out)
    before = table_rows(engine_of(app))

    into_itself = restore_from(app, out)
    assert into_itself.exit_code == 1
    assert "Refused: the target database is not empty" in into_itself.output
    assert table_rows(engine_of(app)) == before

    target = empty_instance()
    files = Path(target.config["STORAGE_DIR"])
    files.mkdir(parents=True)
    (files / "left-over.pdf").write_bytes(b"%PDF-1.4 someone's file")
    refused = restore_from(target, out)
    assert refused.exit_code == 1
    assert f"Refused: the storage folder {files} is not empty" in refused.output
    assert "left-over.pdf" in refused.output
    with target.app_context():
        assert backup.database_contents() == []  # nothing restored
    assert sorted(p.name for p in files.rglob("*") if p.is_file()) == ["left-over.pdf"]

    (files / "left-over.pdf").unlink()  # now it is empty: the same backup restores
    assert restore_from(target, out).exit_code == 0


def test_a_tampered_blob_in_the_backup_is_detected(app, runner, data, tmp_path, empty_instance):
    out = tmp_path / "backup"
    backup_to(runner, out)
    relative, sha = sorted(manifest(out).items())[1]
    blob = out / relative
    damaged = bytearray(blob.read_bytes())
    damaged[len(damaged) // 2] ^= 0x01
    blob.write_bytes(bytes(damaged))
    check = subprocess.run(
        ["sha256sum", "--quiet", "-c", "MANIFEST.sha256"], cwd=out, capture_output=True, text=True
    )
    assert check.returncode == 1 and sha in check.stdout  # a backup checks by hand too

    target = empty_instance()
    refused = restore_from(target, out)
    assert refused.exit_code == 1
    assert "do not match their SHA-256" in refused.output and sha in refused.output
    assert "Nothing was restored" in refused.output
    with target.app_context():
        assert backup.database_contents() == []
    files = Path(target.config["STORAGE_DIR"])
    assert [p for p in files.rglob("*") if p.is_file()] == []  # the staged copies are gone


def test_a_damaged_database_file_or_metadata_is_refused(app, runner, tmp_path, empty_instance):
    out = tmp_path / "backup"
    backup_to(runner, out)
    metadata = json.loads((out / "metadata.json").read_text())
    database = out / metadata["database"]["file"]
    with database.open("ab") as handle:
        handle.write(b"\0")
    target = empty_instance()
    refused = restore_from(target, out)
    assert refused.exit_code == 1 and "the backup is damaged" in refused.output

    other = dict(metadata, database=dict(metadata["database"], kind="oracle"))
    (out / "metadata.json").write_text(json.dumps(other))
    wrong_kind = restore_from(target, out)
    assert wrong_kind.exit_code == 1 and "holds a oracle database" in wrong_kind.output
    with target.app_context():
        assert backup.database_contents() == []
    missing = restore_from(target, tmp_path / "no-such-backup")
    assert missing.exit_code == 1 and "There is no backup at" in missing.output


def test_a_backup_refuses_damaged_or_missing_stored_files(app, runner, data, tmp_path):
    root = Path(app.config["STORAGE_DIR"])
    blobs = sorted(p for p in root.rglob("*") if p.is_file())
    blob = blobs[0]
    original = blob.read_bytes()
    blob.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    damaged = runner.invoke(args=["backup", "--output", str(tmp_path / "b1")])
    assert damaged.exit_code == 1
    assert "do not match their SHA-256" in damaged.output and blob.name in damaged.output
    assert not (tmp_path / "b1").exists() and not list(tmp_path.glob(".b1*"))

    blob.unlink()
    missing = runner.invoke(args=["backup", "--output", str(tmp_path / "b2.tar")])
    assert missing.exit_code == 1
    assert "named by the database are missing" in missing.output and blob.name in missing.output
    assert not (tmp_path / "b2.tar").exists() and not list(tmp_path.glob(".b2*"))

    blob.write_bytes(original)
    backup_to(runner, tmp_path / "b3")
    taken = runner.invoke(args=["backup", "--output", str(tmp_path / "b3")])
    assert taken.exit_code == 1 and "already exists" in taken.output


def test_the_backup_is_audited(app, runner, tmp_path):
    from sikd_host.audit.models import AuditEvent

    backup_to(runner, tmp_path / "audited")
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "backup.created"))
        assert event.actor_name == "sikd backup" and event.object_id == "audited"
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_pg_tools_get_the_connection_through_the_environment(monkeypatch, tmp_path):
    env = backup.pg_environment(
        "postgresql+psycopg://sikd:s3cret%20pw@db.example:5433/arsip?sslmode=require",
        base={"PATH": "/usr/bin", "PGPASSWORD": "old"},
    )
    assert env == {
        "PATH": "/usr/bin",
        "PGHOST": "db.example",
        "PGPORT": "5433",
        "PGUSER": "sikd",
        "PGPASSWORD": "s3cret pw",
        "PGDATABASE": "arsip",
        "PGSSLMODE": "require",
    }
    socket = backup.pg_environment("postgresql:///arsip?host=/run/postgresql", base={})
    assert socket == {"PGHOST": "/run/postgresql", "PGDATABASE": "arsip"}
    with pytest.raises(backup.BackupError, match="'prepare_threshold' has no libpq"):
        backup.pg_environment("postgresql://h/d?prepare_threshold=0", base={})
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(backup.BackupError, match="pg_dump was not found on PATH"):
        backup.find_tool("pg_dump")


@pytest.mark.skipif(not SERVER, reason="PostgreSQL only (SIKD_TEST_DATABASE_URL)")
def test_pg_dump_gets_the_password_in_its_environment_never_as_an_argument(
    app, database_url, monkeypatch, tmp_path
):
    from sqlalchemy.engine import make_url

    url = make_url(database_url).set(password="not-on-the-command-line")
    with_password = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url.render_as_string(hide_password=False),
            "INSTANCE_PATH": str(tmp_path / "pw"),
            "STORAGE_DIR": app.config["STORAGE_DIR"],
            "SECRET_KEY": "pw",
            "REDIS_URL": "",
        }
    )
    calls = []
    real_run = subprocess.run

    def spy(args, **kwargs):
        calls.append((list(args), kwargs.get("env") or {}))
        return real_run(args, **kwargs)

    monkeypatch.setattr(backup.subprocess, "run", spy)
    result = with_password.test_cli_runner().invoke(
        args=["backup", "--output", str(tmp_path / "b")]
    )
    assert result.exit_code == 0, result.output  # trust authentication ignores the password
    dumps = [
        (args, env) for args, env in calls if Path(args[0]).name == "pg_dump" and len(args) > 2
    ]
    assert dumps
    for args, env in dumps:
        assert not any("not-on-the-command-line" in arg for arg in args)
        assert env["PGPASSWORD"] == "not-on-the-command-line"
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = with_password.test_cli_runner().invoke(
        args=["backup", "--output", str(tmp_path / "c")]
    )
    assert missing.exit_code == 1 and "pg_dump was not found on PATH" in missing.output
    with with_password.app_context():
        db.engine.dispose()
