"""The access-control matrix: every route of the URL map (host and both plugins, enabled) x
every seeded role x anonymous, against ONE table of expected answers (``EXPECTED``).

A route of the URL map without an entry in the table fails the test, naming it: a new page
cannot slip in unreviewed. Read the table as: the blueprint's default (``DEFAULTS``), then
the route's own line. Status codes are what a GET answers (for a route that also takes
POST, its GET), or, for a POST-only route, what an empty POST answers; ``LOGIN`` is a
redirect to the login page. Object URLs are filled from a seeded dataset (see
security_dataset.py): ids of objects that exist and belong to demo people, never to the
matrix's accounts (the instruction id alone exists nowhere: 404 or a refusal is then the
right answer for whoever passes the permission check).

POSTs run with CSRF off (the app fixture's default), so that the permission check itself
is what is measured; ``test_every_post_route_refuses_a_missing_csrf_token`` checks the
token separately. Object-level checks (another user's object answers 404, its owner 200)
are at the end.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from security_dataset import IDENTITIES, ROLES, build, client_for, key_of, row_counts, url_of

LOGIN = "login"
ROLE_ORDER = IDENTITIES


# --- the table -----------------------------------------------------------------------------


def grant(ok: Any, roles: tuple[str, ...], other: Any = 403, anonymous: Any = LOGIN) -> dict:
    """``ok`` for the holders of a permission (``roles``; admin holds every permission),
    ``other`` for the rest of the roles, ``anonymous`` for no login."""
    found = {role: (ok if role == "admin" or role in roles else other) for role in ROLES}
    return {"anonymous": anonymous, **found}


def everyone(ok: Any, anonymous: Any = LOGIN) -> dict:
    return grant(ok, ROLES, anonymous=anonymous)


PUBLIC = everyone(200, anonymous=200)

# Who holds what (the seeded roles' defaults: host, archive and Simantap permissions).
ADMIN = ()  # only admin
ORG = ("sdm",)  # admin.org
ARCHIVE = ("pimpinan", "leader", "arsiparis", "sdm", "pegawai")  # archive.use
REGISTER = ("arsiparis",)  # archive.register, manage_klasifikasi, manage, propose, hand_over
APPROVE = ("pimpinan", "leader")  # archive.approve_destruction
OFFICERS = REGISTER + APPROVE  # propose or approve
SIMANTAP = ("pimpinan", "leader", "sdm", "pegawai")  # simantap.use
HR = ("sdm",)  # simantap.manage, simantap.succession, simantap.view_all

EXPECTED: dict[str, dict[str, Any]] = {
    # --- public ---------------------------------------------------------------------------
    "GET /healthz": PUBLIC,
    "GET /static/<filename>": PUBLIC,
    "GET /plugins/<plugin>/static/<filename>": PUBLIC,
    "GET /login": everyone(302, anonymous=200),  # logged in: on to the dashboard
    "POST /language": everyone(400, anonymous=400),  # public; an empty choice is refused
    # --- every logged-in user -------------------------------------------------------------
    "GET /": everyone(200),
    "GET /profile": everyone(200),
    "GET /account/password": everyone(200),
    "GET /notifications/": everyone(200),
    "POST /notifications/read": everyone(303),
    "POST /logout": everyone(302),  # to the login page, without a next=
    "GET /jobs/": everyone(200),  # each sees their own jobs
    # a job of the demo's HR person: only its submitter and admins see it
    "GET /jobs/<job_id>": everyone(404) | {"admin": 200},
    "GET /jobs/<job_id>.json": everyone(404) | {"admin": 200},
    # --- host admin pages -----------------------------------------------------------------
    "GET /admin/users": grant(200, ADMIN),
    "GET /admin/users/new": grant(200, ADMIN),
    "GET /admin/users/<user_id>": grant(200, ADMIN),
    "GET /admin/roles": grant(200, ADMIN),
    "GET /admin/roles/new": grant(200, ADMIN),
    "GET /admin/roles/<role_id>": grant(200, ADMIN),
    "GET /admin/audit/": grant(200, ADMIN),
    "GET /admin/audit/export.csv": grant(200, ADMIN),
    "GET /admin/plugins/": grant(200, ADMIN),
    "POST /admin/plugins/<name>/<action>": grant(303, ADMIN),  # "nosuch": refused, 303 back
    "GET /admin/org/units": grant(200, ORG),
    "GET /admin/org/units/new": grant(200, ORG),
    "GET /admin/org/units/<unit_id>": grant(200, ORG),
    "GET /admin/org/positions": grant(200, ORG),
    "GET /admin/org/positions/new": grant(200, ORG),
    "GET /admin/org/positions/<position_id>": grant(200, ORG),
    "GET /admin/org/import": grant(200, ORG),
    "GET /admin/org/template/<kind>.<fmt>": grant(200, ORG),
    # --- archive: every employee ----------------------------------------------------------
    "GET /arsip/": grant(200, ARCHIVE),
    "GET /arsip/naskah": grant(200, ARCHIVE),
    "GET /arsip/cari": grant(200, ARCHIVE),
    "GET /arsip/kotak-masuk": grant(200, ARCHIVE),
    "GET /arsip/klasifikasi": grant(200, ARCHIVE),
    "GET /arsip/klasifikasi/template.<fmt>": grant(200, ARCHIVE),
    "GET /arsip/penyusutan/daftar/<kind>.<fmt>": grant(200, ARCHIVE),  # of the visible ones
    # a record of a demo unit: its leader (and admin) see it, the others do not know it
    "GET /arsip/naskah/<record_id>": grant(404, ARCHIVE) | {"admin": 200, "leader": 200},
    "GET /arsip/lampiran/<attachment_id>": grant(404, ARCHIVE) | {"admin": 200, "leader": 200},
    "POST /arsip/naskah/<record_id>/disposisi": grant(404, ARCHIVE)
    | {"admin": 422, "leader": 422},  # seen: the empty form again, with its errors
    # a disposition between demo people: only its sender and recipient open it
    "GET /arsip/disposisi/<disposition_id>": grant(404, ARCHIVE),
    # --- archive: registering (arsiparis) -------------------------------------------------
    "GET /arsip/naskah/baru": grant(200, REGISTER),
    "GET /arsip/berkas": grant(200, REGISTER),
    # the matrix's arsiparis holds no position: the demo unit's record is not theirs
    "GET /arsip/naskah/<record_id>/ubah": grant(200, REGISTER) | {"arsiparis": 404},
    "POST /arsip/naskah/<record_id>/lampiran": grant(303, REGISTER) | {"arsiparis": 404},
    "POST /arsip/berkas/<berkas_id>/tutup": grant(303, REGISTER) | {"arsiparis": 404},
    "POST /arsip/naskah/<record_id>/legal-hold": grant(303, ADMIN),  # archive.legal_hold
    # the instruction list (archive.manage); MISSING instruction: refused with a message
    "GET /arsip/instruksi": grant(200, REGISTER),
    "POST /arsip/instruksi": grant(303, REGISTER),
    "POST /arsip/instruksi/<instruction_id>/ubah": grant(303, REGISTER),
    "POST /arsip/instruksi/<instruction_id>/pindah": grant(303, REGISTER),
    "POST /arsip/instruksi/<instruction_id>/status": grant(303, REGISTER),
    "POST /arsip/instruksi/<instruction_id>/hapus": grant(303, REGISTER),
    "POST /arsip/instruksi/bawaan": grant(302, REGISTER),
    # --- archive: penyusutan (propose: arsiparis; approve: pimpinan) -----------------------
    "GET /arsip/penyusutan": grant(200, OFFICERS),
    "GET /arsip/penyusutan/usulan": grant(200, OFFICERS),
    "POST /arsip/penyusutan/inaktif": grant(400, REGISTER),  # nothing chosen
    "POST /arsip/penyusutan/usulan": grant(400, REGISTER),
    "POST /arsip/penyusutan/serah": grant(400, REGISTER),
    "POST /arsip/penyusutan/naskah/<record_id>/nilai-kembali": grant(400, REGISTER),
    # an open proposal of a demo arsiparis: the officers see it; the admin approves it first
    # (the records are destroyed), so the approvers after them are told it is decided
    "GET /arsip/penyusutan/usulan/<proposal_id>": grant(200, OFFICERS),
    "GET /arsip/penyusutan/usulan/<proposal_id>/daftar.<fmt>": grant(200, OFFICERS),
    "POST /arsip/penyusutan/usulan/<proposal_id>/setujui": grant(409, APPROVE) | {"admin": 303},
    "POST /arsip/penyusutan/usulan/<proposal_id>/tolak": grant(400, OFFICERS),  # no reason
    # no minutes while it is open (the GETs run before the approval): 404 for everyone
    "GET /arsip/penyusutan/berita-acara/<proposal_id>": grant(404, ARCHIVE),
    # --- Simantap: every employee (simantap.use; not the arsiparis-only account) ---------
    "GET /simantap/": grant(200, SIMANTAP),
    "GET /simantap/360": grant(200, SIMANTAP),
    "GET /simantap/360/<assignment_id>": grant(404, SIMANTAP),  # a demo rater's form
    # the matrix's accounts have no result; the leader, a demo person, is sent to theirs
    "GET /simantap/hasil": grant(404, SIMANTAP) | {"leader": 302},
    # a demo employee of the leader's unit
    "GET /simantap/hasil/<run_id>/<user_id>": grant(404, SIMANTAP)
    | {"admin": 200, "leader": 200, "sdm": 200},
    "GET /simantap/pegawai/<user_id>": grant(404, SIMANTAP)
    | {"admin": 200, "leader": 200, "sdm": 200},
    # leaders (of a unit) and HR; a pimpinan without a position leads nothing
    "GET /simantap/ninebox": grant(200, ("leader", "sdm")),
    "GET /simantap/ninebox/export": grant(200, ("leader", "sdm")),
    "GET /simantap/pegawai": grant(200, ("leader", "sdm")),
    "GET /simantap/unit-kerja": grant(200, ("leader", "sdm")),
    "GET /simantap/unit-kerja/<unit_id>": grant(200, ("leader", "sdm")),
    "GET /simantap/unit-kerja/export": grant(200, ("leader", "sdm")),
    # --- Simantap: HR (simantap.manage) ---------------------------------------------------
    "GET /simantap/import": grant(200, HR),
    "GET /simantap/import/template/<kind>.<fmt>": grant(200, HR),
    "POST /simantap/import/apply": grant(400, HR),  # no token
    "GET /simantap/periods": grant(200, HR),
    "GET /simantap/periods/<period_id>/360": grant(200, HR),
    "GET /simantap/periods/<period_id>/profile": grant(200, HR),
    "POST /simantap/periods/<period_id>/open": grant(409, HR),  # already open
    "POST /simantap/periods/<period_id>/close": grant(409, HR),
    "POST /simantap/periods/<period_id>/360/generate": grant(422, HR),
    "POST /simantap/periods/<period_id>/360/reminders": grant(409, HR),
    "GET /simantap/runs": grant(200, HR),
    "GET /simantap/runs/<run_id>": grant(200, HR),
    "GET /simantap/runs/compare": grant(303, HR),  # no runs chosen: back to the list
    "POST /simantap/runs/score": grant(303, HR),
    "POST /simantap/runs/<run_id>/publish": grant(303, HR),  # published already
    "GET /simantap/whatif": grant(200, HR),
    # --- Simantap: succession (simantap.succession) and fairness --------------------------
    "GET /simantap/jabatan-kritikal": grant(200, HR),
    "GET /simantap/jabatan-kritikal/<position_id>/ubah": grant(200, HR),
    "POST /simantap/jabatan-kritikal/<position_id>/hapus": grant(303, HR),  # no reason
    "GET /simantap/suksesi/<position_id>": grant(200, HR),
    "GET /simantap/suksesi/<position_id>/beku": grant(200, HR),
    "GET /simantap/suksesi/<position_id>/ekspor": grant(200, HR),
    "GET /simantap/suksesi/ekspor": grant(200, HR),
    "POST /simantap/suksesi/<position_id>/ubah": grant(422, HR),
    "POST /simantap/suksesi/<position_id>/cabut": grant(422, HR),
    "POST /simantap/suksesi/<position_id>/bekukan": grant(409, HR),  # frozen already
    "GET /simantap/talent-pool": grant(200, HR),
    "GET /simantap/talent-pool/ekspor": grant(200, HR),
    "GET /simantap/kandidat": grant(200, HR),
    "GET /simantap/kandidat/lembar": grant(404, HR),  # no position chosen
    "GET /simantap/keadilan": grant(200, HR),
    "GET /simantap/laporan": grant(200, HR),
    "GET /simantap/laporan/<code>": grant(200, HR),
}


def observed_status(response: Any) -> Any:
    """The status, or LOGIN for the login wall (a redirect to /login?next=...)."""
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/login?next=" in location:
        return LOGIN
    return response.status_code


# --- the test --------------------------------------------------------------------------------


@pytest.fixture
def app_config():
    """English pages, and a demo of a few letters (the default loads 2000)."""
    return {"DEFAULT_LOCALE": "en", "ARCHIVE_DEMO_LETTERS": 20}


@pytest.fixture
def dataset(app, make_user):
    return build(app, make_user)


def routes(app) -> list[tuple[str, Any]]:
    found = {}
    for rule in app.url_map.iter_rules():
        found.setdefault(key_of(rule), rule)
    return sorted(found.items())


def test_access_matrix(app, dataset, enabled_plugins):
    enabled_plugins("archive", "simantap")
    table = routes(app)
    missing = [key for key, _rule in table if key not in EXPECTED]
    clients = {identity: client_for(app, identity, dataset) for identity in IDENTITIES}
    observed: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    # a page that also takes POST refuses the POST of whoever may not open it, the same way
    # (first: the logout below ends the sessions)
    before = row_counts(app)
    refused = 0
    for key, rule in table:
        if not (key.startswith("GET") and "POST" in rule.methods and key in EXPECTED):
            continue
        for identity, status in EXPECTED[key].items():
            if status in (LOGIN, 403):
                response = clients[identity].post(url_of(rule, dataset.ids), data={"x": "1"})
                observed.setdefault(f"POST {key[4:]}", {})[identity] = observed_status(response)
                refused += 1
    assert refused > 50
    assert row_counts(app) == before
    # GETs first, then the POST-only routes (some change state), logout last of all
    ordered = sorted(table, key=lambda item: (item[0].startswith("POST"), "logout" in item[0]))
    for key, rule in ordered:
        url = url_of(rule, dataset.ids)
        method = key.split()[0]
        observed[key] = {}
        for identity in IDENTITIES:
            response = clients[identity].open(url, method=method)
            response.get_data()
            response.close()
            observed[key][identity] = observed_status(response)
            assert response.status_code < 500, (key, identity, response.status_code)
    elapsed = time.perf_counter() - started
    wrong = [
        f"{key} as {identity}: expected {expected!r}, got {status!r}"
        for key, row in observed.items()
        for identity, status in row.items()
        for expected in [(EXPECTED.get(key) or EXPECTED.get(f"GET {key[5:]}", {})).get(identity)]
        if key in EXPECTED or f"GET {key[5:]}" in EXPECTED
        if expected != status
    ]
    report = "\n".join(
        f"    {key!r}: {{{', '.join(f'{i!r}: {s!r}' for i, s in row.items())}}},"
        for key, row in sorted(observed.items())
    )
    print(f"{len(table)} routes x {len(IDENTITIES)} identities in {elapsed:.1f}s")
    assert not missing, (
        "routes without an entry in EXPECTED (review who may open them, then add them):\n"
        + "\n".join(missing)
        + "\nobserved:\n"
        + report
    )
    assert not wrong, "\n".join(wrong)


# --- disabled plugins ------------------------------------------------------------------------

PLUGIN_BLUEPRINTS = ("archive", "simantap")
ANY_IDS = {  # any well-formed value: the answer does not depend on the object
    "record": 1, "attachment": 1, "disposition": 1, "berkas": 1, "unit": 1, "position": 1,
    "period": 1, "run": 1, "employee": 1, "assignment": 1, "role": 1, "job": "0" * 32,
    "proposal": 1,
    "period_code": "2026",
}  # fmt: skip


def test_a_disabled_plugin_s_routes_answer_404_to_everyone(app, client, login_as, enabled_plugins):
    enabled_plugins()  # none
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.split(".")[0] in PLUGIN_BLUEPRINTS]
    assert len(rules) > 60
    anonymous = app.test_client()
    login_as("admin")
    for rule in rules:
        url = url_of(rule, ANY_IDS)
        method = "GET" if "GET" in rule.methods else "POST"
        for who, browser in (("anonymous", anonymous), ("admin", client)):
            response = browser.open(url, method=method)
            assert response.status_code == 404, (who, method, url, response.status_code)
    assert anonymous.get("/plugins/archive/static/archive.css").status_code == 404


# --- CSRF --------------------------------------------------------------------------------


def test_every_post_route_refuses_a_missing_csrf_token(app, client, login_as):
    """With CSRF on (as in production), a POST without its token is refused with 400
    before anything else, for anonymous users and admins alike, and writes nothing."""
    login_as("admin")
    app.config["WTF_CSRF_ENABLED"] = True
    anonymous = app.test_client()
    before = row_counts(app)
    tried = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = url_of(rule, ANY_IDS)
        for who, browser in (("anonymous", anonymous), ("admin", client)):
            response = browser.post(url, data={"reason": "x", "name": "x", "language": "en"})
            assert response.status_code == 400, (who, url, response.status_code)
            assert b"security token" in response.data, (who, url)
            tried += 1
    assert tried > 100
    assert row_counts(app) == before


# --- objects of other people (IDOR) --------------------------------------------------------


def test_another_person_s_object_answers_404_and_its_owner_opens_it(app, dataset):
    """Each object URL of a person: its owner opens it; someone else with the same roles,
    who is neither its owner nor above them, gets 404 (GET and POST), and nothing is
    written by the refused POST."""
    from sikd_archive.models import Disposition
    from sikd_simantap.models import Assignment
    from sqlalchemy import select

    from sikd_host.auth.models import Role, User
    from sikd_host.extensions import db
    from sikd_host.org.models import Position

    ids, owners = dataset.ids, dataset.owners
    with app.app_context():
        assignment = db.session.get(Assignment, ids["assignment"])
        ratee = db.session.get(User, assignment.ratee_id).username
        disposition = db.session.get(Disposition, ids["disposition"])
        employee = db.session.get(User, ids["employee"])
        # a colleague: a plain pegawai of the same unit, not the employee, not a party
        colleague = db.session.scalar(
            select(User.username)
            .join(Position, Position.id == User.position_id)
            .where(
                Position.unit_id == employee.position.unit_id,
                Position.kind != "struktural",
                User.id.not_in([employee.id, disposition.recipient_id, disposition.sender_id]),
            )
            .order_by(User.id)
            .limit(1)
        )
        other_hr = db.session.scalar(
            select(User.username)
            .join(User.roles)
            .where(Role.name == "sdm", User.username != owners["job"])
            .order_by(User.id)
            .limit(1)
        )
    cases = [
        # (url, owner, stranger, POST data that would change the object)
        (f"/simantap/360/{ids['assignment']}", owners["assignment"], ratee,
         {f"butir_{i}": "5" for i in range(1, 9)}),
        (f"/arsip/disposisi/{ids['disposition']}", owners["disposition"], colleague,
         {"action": "selesai", "note": "done"}),
        (f"/simantap/hasil/{ids['run']}/{ids['employee']}", owners["employee"], colleague, None),
        (f"/simantap/pegawai/{ids['employee']}", owners["employee"], colleague, None),
        (f"/jobs/{ids['job']}", owners["job"], other_hr, None),
        (f"/jobs/{ids['job']}.json", owners["job"], other_hr, None),
    ]  # fmt: skip
    for url, owner, stranger, data in cases:
        assert stranger and stranger != owner, url
        mine = client_for(app, owner, dataset)
        theirs = client_for(app, stranger, dataset)
        assert mine.get(url).status_code == 200, (url, owner)
        assert theirs.get(url).status_code == 404, (url, stranger)
        if data is not None:
            before = row_counts(app)
            assert theirs.post(url, data=data).status_code == 404, (url, stranger)
            assert row_counts(app) == before, url
