"""A small seeded institution for the access-control matrix and the fuzz tests
(``from security_dataset import ...``).

The demo institution (host, archive and Simantap demo data, built from their fixed seeds)
plus one account per seeded role that holds only that role, and a leader: the demo person
(pegawai and pimpinan) who holds the top structural position of the unit that owns the
chosen record. Every object a
URL can name exists once (a record with its attachment, a disposition, a berkas, a period
with its published run, a 360 form, a critical position with a frozen plan, a job), owned
by demo people, never by the matrix's accounts, so that the matrix also shows who may open
another person's object.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, inspect, literal, select, text, union_all

from sikd_host.testing import TEST_PASSWORD, log_in

ROLES = ("admin", "pimpinan", "leader", "arsiparis", "sdm", "pegawai")
IDENTITIES = ("anonymous", *ROLES)
MISSING = 2_000_000_000  # an id no object of the dataset has (within a database integer)


# --- filling the URLs of the URL map -------------------------------------------------------

URL_ARGUMENTS = {  # argument name -> dataset object (or a fixed value)
    "record_id": "record",
    "attachment_id": "attachment",
    "disposition_id": "disposition",
    "berkas_id": "berkas",
    "unit_id": "unit",
    "position_id": "position",
    "period_id": "period",
    "run_id": "run",
    "user_id": "employee",
    "assignment_id": "assignment",
    "role_id": "role",
    "job_id": "job",
    "code": "period_code",
    "instruction_id": MISSING,
    "proposal_id": "proposal",
}
ENDPOINT_ARGUMENTS = {  # the non-id parts of a few URLs
    "org.template": {"kind": "units", "fmt": "csv"},
    "archive.klasifikasi_template": {"fmt": "csv"},
    "archive.export_list": {"kind": "aktif", "fmt": "csv"},
    "archive.export_proposal": {"fmt": "csv"},
    "simantap.import_template": {"kind": "pegawai", "fmt": "csv"},
    "plugins.act": {"name": "nosuch", "action": "enable"},
    "plugin_static": {"plugin": "archive", "filename": "archive.css"},
    "static": {"filename": "sikd.css"},
}


def key_of(rule: Any) -> str:
    """``GET /arsip/naskah/<record_id>``: the method the matrix sends and the rule without
    its converters."""
    method = "GET" if "GET" in rule.methods else "POST"
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"<\1>", rule.rule)
    return f"{method} {path}"


def url_of(rule: Any, ids: dict[str, Any]) -> str:
    values = dict(ENDPOINT_ARGUMENTS.get(rule.endpoint, {}))
    for name in rule.arguments:
        if name not in values:
            source = URL_ARGUMENTS[name]
            values[name] = ids[source] if isinstance(source, str) else source
    return rule.build(values, append_unknown=False)[1]


@dataclass
class Dataset:
    users: dict[str, str]  # identity -> user name
    ids: dict[str, Any]  # object name -> id (or code)
    owners: dict[str, str] = field(default_factory=dict)  # object -> user name of its owner


def build(app: Flask, make_user: Any) -> Dataset:
    from sikd_archive import lifecycle
    from sikd_archive.models import Attachment, Berkas, Disposition, Record
    from sikd_simantap import succession
    from sikd_simantap.models import Assignment, CriticalPosition, Period, Result, Run

    from sikd_host.auth.models import Role, User
    from sikd_host.demo import load_demo, load_plugin_demos
    from sikd_host.extensions import db
    from sikd_host.jobs.models import Job
    from sikd_host.org.models import Position
    from sikd_host.org.queries import leads_unit

    with app.app_context():
        load_demo(TEST_PASSWORD)  # every demo employee logs in with the test password
        load_plugin_demos()
        db.session.commit()

        record = db.session.scalar(
            select(Record)
            .join(Attachment, Attachment.record_id == Record.id)
            .where(Record.keamanan == "B")
            .order_by(Record.id)
            .limit(1)
        )
        attachment = db.session.scalar(
            select(Attachment.id).where(Attachment.record_id == record.id).limit(1)
        )
        # the leader: the demo person heading the record's unit (pegawai and pimpinan)
        leader = next(
            user
            for user in db.session.scalars(
                select(User)
                .join(Position, Position.id == User.position_id)
                .where(Position.unit_id == record.unit_id)
                .order_by(User.id)
            )
            if leads_unit(user)
        )
        disposition = db.session.scalar(  # between two other demo people
            select(Disposition)
            .where(Disposition.recipient_id != leader.id, Disposition.sender_id != leader.id)
            .order_by(Disposition.done_at.is_not(None), Disposition.id)
            .limit(1)
        )
        disposition.done_at = None  # still to act on: its page has the action form
        berkas = db.session.scalar(select(Berkas.id).order_by(Berkas.id).limit(1))
        run = db.session.scalar(select(Run).where(Run.published.is_(True)).limit(1))
        period = db.session.get(Period, run.period_id)
        # an employee of the record's unit with a result in the published run
        employee = db.session.scalar(
            select(User)
            .join(Result, Result.user_id == User.id)
            .join(Position, Position.id == User.position_id)
            .where(
                Result.run_id == run.id,
                Position.unit_id == record.unit_id,
                Position.kind != "struktural",
            )
            .order_by(User.id)
            .limit(1)
        )
        assignment = db.session.scalar(
            select(Assignment)
            .where(
                Assignment.period_id == period.id,
                Assignment.rater_id != leader.id,
                Assignment.ratee_id != leader.id,
            )
            .order_by(Assignment.id)
        )
        critical = db.session.scalar(
            select(CriticalPosition.position_id).order_by(CriticalPosition.position_id)
        )
        pegawai_role = db.session.scalar(select(Role.id).where(Role.name == "pegawai"))
        hr = db.session.scalar(
            select(User).join(User.roles).where(Role.name == "sdm").order_by(User.id)
        )
        succession.freeze(critical, hr, "frozen for the access matrix")
        # a destruction proposal by a demo arsiparis, of two records of their unit made due
        proposer = db.session.scalar(
            select(User)
            .join(User.roles)
            .join(Position, Position.id == User.position_id)
            .where(Role.name == "arsiparis")
            .where(
                Position.unit_id.in_(
                    select(Record.unit_id).where(Record.id != record.id).group_by(Record.unit_id)
                )
            )
            .order_by(User.id)
        )
        due = db.session.scalars(
            select(Record)
            .where(Record.unit_id == proposer.position.unit_id, Record.id != record.id)
            .order_by(Record.id)
            .limit(2)
        ).all()
        for item in due:
            item.final, item.final_due_on = "musnah", dt.date(2000, 1, 1)
        db.session.flush()
        proposal = lifecycle.propose(proposer, [item.id for item in due], "for the matrix")
        job = Job(
            id=uuid.uuid4().hex,
            function="sikd_simantap.jobs:score",
            title="Scoring run of period %(code)s",
            title_params={"code": period.code},
            status="done",
            user_id=hr.id,
            created_at=dt.datetime(2026, 1, 1),
            finished_at=dt.datetime(2026, 1, 1),
        )
        db.session.add(job)
        db.session.commit()
        ids = {
            "record": record.id,
            "attachment": attachment,
            "disposition": disposition.id,
            "berkas": berkas,
            "unit": record.unit_id,
            "position": critical,
            "period": period.id,
            "period_code": period.code,
            "run": run.id,
            "employee": employee.id,
            "assignment": assignment.id,
            "role": pegawai_role,
            "job": job.id,
            "proposal": proposal.id,
        }
        owners = {
            "disposition": db.session.get(User, disposition.recipient_id).username,
            "assignment": db.session.get(User, assignment.rater_id).username,
            "employee": employee.username,
            "job": hr.username,
            "proposal": proposer.username,
        }
        users = {"leader": leader.username}
        assert owners["employee"] != leader.username
    for role in ROLES:
        if role != "leader":
            users[role] = f"m_{role}"
            make_user(users[role], roles=[role])
    return Dataset(users=users, ids=ids, owners=owners)


def client_for(app: Flask, identity: str, dataset: Dataset) -> FlaskClient:
    """A test client logged in as ``identity`` (none for anonymous)."""
    client = app.test_client()
    if identity != "anonymous":
        response = log_in(client, dataset.users.get(identity, identity))
        assert response.status_code == 302, f"cannot log in as {identity}"
    return client


def row_counts(app: Flask) -> dict[str, int]:
    """The number of rows of every table, in one statement."""
    from sikd_host.extensions import db

    with app.app_context():
        names = app.extensions.get("test_table_names")
        if names is None:
            names = app.extensions["test_table_names"] = sorted(
                name
                for name in inspect(db.engine).get_table_names()
                if not name.startswith("alembic_version")
            )
        statement = union_all(
            *(
                select(literal(name).label("name"), func.count().label("n")).select_from(
                    text(f'"{name}"')
                )
                for name in names
            )
        )
        counts = {name: n for name, n in db.session.execute(statement)}
        db.session.rollback()
        return counts
