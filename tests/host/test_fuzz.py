"""Fuzzing every form and every JSON endpoint with Hypothesis: nothing answers 500, and a
refused request leaves no half-written row.

The forms are found the way a browser finds them: every GET route of the URL map (host and
both plugins, on the seeded dataset of security_dataset.py) is opened, and the ``<form>``
elements of its page are read with ``html.parser``. Each form is then posted with values
Hypothesis draws per field: one of the offered values, empty, huge (10,000 characters),
any unicode (NUL, right-to-left marks, other scripts' digits), numbers out of every range,
dates that do not exist, wrong types (a list for a single value, a file for a text field),
fields left out and fields added. POST routes no page offers a form for are posted with
such fields too, and the one JSON endpoint (``/simantap/whatif``) gets JSON of every wrong
shape, and every POST route a body that is not JSON at all or nested too deeply.

The checks, after every request:

- the status is below 500 and no handler logged an unhandled error (the 500 page);
- a refusal (4xx) writes nothing: the row count of every table is unchanged. The one
  exception is the audit trail of a refused destruction approval (``AUDITED_REFUSALS``):
  the archive records on purpose who tried to approve the destruction of which records and
  why it was refused; nothing else of such a request is kept. (A failed login is not a
  refusal here: it answers 200 and is audited as such.)

Most forms are posted as an admin (who holds every permission), the login form
anonymously, the 360 form by its rater and a disposition's action form by its recipient.
Examples are derandomized (the same on every run, for CI) and few per form, to keep the
whole module within a minute.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from security_dataset import build, client_for, row_counts, url_of

# Examples per form; SIKD_FUZZ_EXAMPLES=200 digs deeper (locally, not in CI).
EXAMPLES = int(os.environ.get("SIKD_FUZZ_EXAMPLES", "6"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # no shrinking: the app keeps its state
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)
# The one write a refusal makes, on purpose: a refused destruction approval is audited
# (who tried to destroy what, and why it was refused), in the audit trail only.
AUDITED_REFUSALS = ("archive.destruction_approval_refused",)
SKIPPED_ACTIONS = (
    "/logout",  # would end the fuzzing session
    "/admin/plugins/",  # enabling, disabling or upgrading real plugins: tested elsewhere
)


@pytest.fixture
def app_config():
    return {"DEFAULT_LOCALE": "en", "ARCHIVE_DEMO_LETTERS": 20}


# --- finding the forms -----------------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # text, textarea, select, checkbox, radio, hidden, file, date, number, ...
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class PageForm:
    action: str
    method: str
    enctype: str
    fields: dict[str, Field] = field(default_factory=dict)

    def key(self) -> tuple[str, str, tuple[str, ...]]:
        return (self.method, self.action, tuple(sorted(self.fields)))


class FormParser(HTMLParser):
    """The forms of a page, with their fields and the values they offer."""

    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[PageForm] = []
        self.form: PageForm | None = None
        self.select: Field | None = None
        self.links: dict[str, PageForm] = {}  # path -> its query arguments, as a GET form

    def add(self, name: str | None, kind: str, value: str | None = None) -> Field | None:
        if self.form is None or not name:
            return None
        found = self.form.fields.setdefault(name, Field(name, kind))
        if value is not None and value not in found.options:
            found.options.append(value)
        return found

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and "?" in a.get("href", ""):
            self.add_link(a["href"])
        if tag == "form":
            action = urlsplit(a.get("action") or self.page_url)
            self.form = PageForm(
                action=action.path or urlsplit(self.page_url).path,
                method=(a.get("method") or "get").upper(),
                enctype=a.get("enctype") or "application/x-www-form-urlencoded",
            )
            self.forms.append(self.form)
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                self.add(a.get("name"), "button", a.get("value", ""))
            else:
                self.add(a.get("name"), kind, a.get("value", "") or None)
        elif tag == "button" and a.get("name"):
            self.add(a.get("name"), "button", a.get("value", ""))
        elif tag == "textarea":
            self.add(a.get("name"), "textarea")
        elif tag == "select":
            self.select = self.add(a.get("name"), "select")
            if self.select is not None:
                self.select.multiple = "multiple" in a
        elif tag == "option" and self.select is not None:
            value = a.get("value", "")
            if value not in self.select.options:
                self.select.options.append(value)

    def add_link(self, href: str) -> None:
        """A link with a query string is a GET form too (pages, filters, sorting)."""
        target = urlsplit(href)
        if target.netloc or not target.path.startswith("/"):
            return
        link = self.links.setdefault(
            target.path, PageForm(target.path, "GET", "application/x-www-form-urlencoded")
        )
        for name, value in parse_qsl(target.query, keep_blank_values=True):
            found = link.fields.setdefault(name, Field(name, "text"))
            if value not in found.options:
                found.options.append(value)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "select":
            self.select = None


def forms_of(client: Any, url: str) -> list[PageForm]:
    response = client.get(url)
    if response.status_code != 200 or response.mimetype != "text/html":
        response.close()
        return []
    parser = FormParser(url)
    parser.feed(response.get_data(as_text=True))
    return parser.forms + list(parser.links.values())


def discover(app: Any, client: Any, urls: list[str]) -> list[PageForm]:
    """The distinct forms of the pages at ``urls`` (one per action and set of fields)."""
    found: dict[tuple, PageForm] = {}
    links: dict[str, PageForm] = {}  # one GET form per linked path, all its arguments
    for url in urls:
        for form in forms_of(client, url):
            if form.method == "POST" and any(form.action.startswith(s) for s in SKIPPED_ACTIONS):
                continue
            if form.method == "GET" and not form.fields:
                continue
            if form.method == "GET":
                merged = links.setdefault(form.action, PageForm(form.action, "GET", form.enctype))
                for name, f in form.fields.items():
                    known = merged.fields.setdefault(name, Field(name, f.kind))
                    known.options += [o for o in f.options if o not in known.options]
                    known.multiple = known.multiple or f.multiple
            else:
                found.setdefault(form.key(), form)
    return list(found.values()) + list(links.values())


def get_urls(app: Any, ids: dict[str, Any]) -> list[str]:
    return sorted(
        {
            url_of(rule, ids)
            for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.endpoint not in ("static", "plugin_static")
        }
    )


# --- the values ------------------------------------------------------------------------------

HUGE = "x" * 10_000
NASTY = [
    "",
    " ",
    HUGE,
    "\x00",
    "a\x00b",
    "\u202e\u202dterbalik\u202c",  # right-to-left override
    "\u200f\u061c",  # RTL mark, Arabic letter mark
    "٣٤",  # Arabic-Indic digits
    "²",
    "𝟗",
    "ß\u0301",
    "-1",
    "0",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "9" * 400,
    "1e309",
    "-1e309",
    "nan",
    "inf",
    "1,5",
    "0x10",
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%(name)s %s {0}",
    "{{ 7 * 7 }}",
    "../../etc/passwd",
    "true",
    "null",
    "[]",
    "{}",
]
QUERY_NAMES = (  # every query argument a view of the host or a plugin reads
    "a", "action", "b", "box", "code", "eselon", "format", "from", "golongan", "kind", "name",
    "next", "nip", "object_id", "object_type", "page", "period", "position", "q", "run",
    "show", "sifat", "sort", "status", "to", "u", "unit", "user",
)  # fmt: skip
EXTRA_NAMES = ["extra", "id", "user_id", "csrf_token", "period", "reason", "action", "0", "ä\u202e"]


def _headers() -> dict[str, list[tuple[str, ...]]]:
    """The columns of every import the portal offers, by the path of its form."""
    from sikd_archive import klasifikasi
    from sikd_simantap.rules_import import COLUMNS

    from sikd_host.org.importer import POSITION_COLUMNS, UNIT_COLUMNS

    return {
        "/admin/org/import": [UNIT_COLUMNS, POSITION_COLUMNS],
        "/arsip/klasifikasi": [klasifikasi.COLUMNS + klasifikasi.OPTIONAL],
        "/simantap/import": list(COLUMNS.values()),
    }


HEADERS = _headers()
PLAUSIBLE_CELLS = ["1", "2026", "2026-01-31", "B", "III.a", "IV/a", "S1", "baik", "atasan",
                   "198501012010011001", "SETJEN", "musnah", "permanen", "ya", "80,5"]  # fmt: skip
texts = st.text(max_size=30)  # any code point but surrogates, NUL included
numbers = st.integers(min_value=-(2**80), max_value=2**80).map(str)
floats = st.floats(allow_nan=True, allow_infinity=True).map(repr)
nasty = st.sampled_from(NASTY)


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def tables(action: str) -> st.SearchStrategy[bytes]:
    """An import file with the right header for the form at ``action`` and bad cells."""
    headers = HEADERS.get(action) or [h for found in HEADERS.values() for h in found]
    cells = st.one_of(st.sampled_from(PLAUSIBLE_CELLS), nasty, nasty, texts, numbers)
    return st.builds(
        _csv,
        st.sampled_from(headers),
        st.lists(st.lists(cells, max_size=9), min_size=1, max_size=3),
    )


def value_for(f: Field, action: str = "") -> st.SearchStrategy[Any]:
    offered = [o for o in f.options if o is not None]
    choices = [nasty, nasty, nasty, texts, numbers, floats]  # nasty values half the time
    if offered:
        choices = [st.sampled_from(offered)] * 2 + choices  # plausible ones a quarter
    single = st.one_of(*choices)
    if f.kind == "file":
        return st.tuples(
            st.one_of(
                tables(action),
                tables(action),
                tables(action),
                st.binary(max_size=300),
                st.sampled_from(
                    [
                        b"",
                        b"\xef\xbb\xbfkode,nama\n1,2\n",
                        b"PK\x03\x04garbage",
                        b"%PDF-1.4\n%%EOF",
                        b"a,b\n" + b"x" * 200_000 + b"\n",
                        b'"unclosed\n',
                        "nip,nama\n١٢٣,ü\u202e\n".encode(),
                    ]
                ),
            ),
            st.one_of(
                st.sampled_from(["a.csv", "a.xlsx", "a.pdf", "", ".csv", "a" * 300 + ".csv"]),
                texts,
            ),
        )
    if f.multiple or f.kind == "checkbox":
        return st.one_of(single, st.lists(single, max_size=4))
    return st.one_of(single, st.lists(single, min_size=2, max_size=3))  # wrong: a list


def form_data(form: PageForm) -> st.SearchStrategy[dict[str, Any]]:
    """Values for some of the form's fields (each may be left out), plus extra fields."""
    optional = {name: value_for(f, form.action) for name, f in form.fields.items()}
    return st.tuples(
        st.fixed_dictionaries({}, optional=optional),
        st.dictionaries(st.sampled_from(EXTRA_NAMES), st.one_of(nasty, texts), max_size=2),
    ).map(lambda pair: {**pair[1], **pair[0]})


def encode(data: dict[str, Any], multipart: bool) -> tuple[dict[str, Any], str | None]:
    """Form data for the test client: files as (stream, name); text for a text request."""
    out: dict[str, Any] = {}
    has_file = False
    for name, value in data.items():
        if isinstance(value, tuple):
            content, filename = value
            out[name] = (io.BytesIO(content), filename)
            has_file = True
        else:
            out[name] = value
    return out, ("multipart/form-data" if (multipart or has_file) else None)


# --- the checks ------------------------------------------------------------------------------


class Errors(logging.Handler):
    """Collects what the app's 500 handler logs (with its traceback)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


@pytest.fixture
def errors(app):
    handler = Errors()
    handler.setFormatter(logging.Formatter("%(message)s"))
    app.logger.addHandler(handler)
    yield handler
    app.logger.removeHandler(handler)


class Checker:
    def __init__(self, app: Any, errors: Errors):
        self.app, self.errors = app, errors
        self.statuses: dict[int, int] = {}
        self.requests = 0

    def send(self, client: Any, method: str, url: str, **kwargs: Any) -> Any:
        before = row_counts(self.app) if method != "GET" else None
        self.errors.records.clear()
        response = client.open(url, method=method, **kwargs)
        response.get_data()
        response.close()
        self.requests += 1
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        described = f"{method} {url} {kwargs!r:.600}"
        assert response.status_code < 500 and not self.errors.records, (
            f"{described} answered {response.status_code}:\n" + "\n".join(self.errors.records)
        )
        if before is not None and 400 <= response.status_code < 500:
            after = row_counts(self.app)
            changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
            if set(changed) == {"audit_event"}:  # only the audit of a refused decision
                actions = self.last_audit_actions(after["audit_event"] - before["audit_event"])
                if all(action.endswith(AUDITED_REFUSALS) for action in actions):
                    changed = {}
            assert not changed, f"{described} answered {response.status_code} but wrote {changed}"
        return response

    def last_audit_actions(self, count: int) -> list[str]:
        from sqlalchemy import select

        from sikd_host.audit.models import AuditEvent
        from sikd_host.extensions import db

        with self.app.app_context():
            return list(
                db.session.scalars(
                    select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(count)
                )
            )


def fuzz_form(checker: Checker, client: Any, form: PageForm, examples: int = EXAMPLES) -> None:
    multipart = form.enctype == "multipart/form-data"

    @settings(SETTINGS, max_examples=examples)
    @given(data=form_data(form), as_json=st.sampled_from([False] * 7 + [True]))
    def run(data: dict[str, Any], as_json: bool) -> None:
        if form.method == "GET":
            query = {k: v for k, v in data.items() if not isinstance(v, tuple)}
            checker.send(client, "GET", form.action, query_string=query)
        elif as_json:
            plain = {k: v for k, v in data.items() if not isinstance(v, tuple)}
            checker.send(client, "POST", form.action, json=plain)
        else:
            body, content_type = encode(data, multipart)
            kwargs = {"data": body}
            if content_type:
                kwargs["content_type"] = content_type
            checker.send(client, "POST", form.action, **kwargs)

    run()


def still_logged_in(client: Any) -> bool:
    response = client.get("/")
    response.close()
    return response.status_code == 200


# --- the tests -------------------------------------------------------------------------------


@pytest.fixture
def dataset(app, make_user):
    return build(app, make_user)


def test_every_form_of_every_page_survives_fuzzing(app, dataset, errors, enabled_plugins):
    enabled_plugins("archive", "simantap")
    started = time.perf_counter()
    checker = Checker(app, errors)
    admin = client_for(app, "admin", dataset)
    forms = discover(app, admin, get_urls(app, dataset.ids))
    posted = {form.action for form in forms if form.method == "POST"}
    assert len(forms) > 40, [f.action for f in forms]
    # the forms of other people's objects, as their owners (first: the admin's fuzzing
    # may take their permissions away)
    for identity, url in (
        (dataset.owners["assignment"], f"/simantap/360/{dataset.ids['assignment']}"),
        (dataset.owners["disposition"], f"/arsip/disposisi/{dataset.ids['disposition']}"),
    ):
        owner = client_for(app, identity, dataset)
        own_forms = [f for f in discover(app, owner, [url]) if f.action == url]
        assert own_forms, url
        for form in own_forms:
            fuzz_form(checker, owner, form)
        posted.add(url)
    for form in forms:
        fuzz_form(checker, admin, form)
        if not still_logged_in(admin):  # a fuzzed request may end the session: log in again
            admin = client_for(app, "admin", dataset)
    # POST routes no page offered a form for, with made-up fields
    bound = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        url = url_of(rule, dataset.ids)
        if url in posted or any(url.startswith(s) for s in SKIPPED_ACTIONS):
            continue
        assert bound.match(url, method="POST")
        guessed = PageForm(url, "POST", "multipart/form-data")
        for name in ("reason", "note", "text", "action", "direction", "period", "token",
                     "sha256", "record_ids", "receiver", "decision", "years", "override_id",
                     "nip", "closed_on", "file", "language", "next"):  # fmt: skip
            guessed.fields[name] = Field(name, "file" if name == "file" else "text")
        fuzz_form(checker, admin, guessed)
    # every GET route with query arguments any view reads, whatever its page links to
    query = PageForm("", "GET", "application/x-www-form-urlencoded")
    query.fields = {name: Field(name, "text") for name in QUERY_NAMES}
    for url in get_urls(app, dataset.ids):
        fuzz_form(checker, admin, PageForm(url, "GET", query.enctype, query.fields), EXAMPLES // 2)
    print(
        f"{len(forms)} forms, {checker.requests} requests in "
        f"{time.perf_counter() - started:.1f}s; statuses {sorted(checker.statuses.items())}"
    )


def test_the_login_form_survives_fuzzing_anonymously(app, errors):
    checker = Checker(app, errors)
    client = app.test_client()
    forms = [f for f in discover(app, client, ["/login"]) if f.action == "/login"]
    assert forms
    for form in forms:
        fuzz_form(checker, client, form)


# --- JSON -------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | nasty,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(texts, children, max_size=3),
    max_leaves=12,
)
weights = st.dictionaries(
    st.sampled_from(["skp", "ekinerja", "kompetensi", "potensi", "360", "x", ""]),
    json_values | st.floats(),
    max_size=4,
)
profiles = st.fixed_dictionaries(
    {},
    optional={
        "weights": st.one_of(
            json_values, st.dictionaries(st.sampled_from(["kinerja", "potensial"]), weights)
        ),
        "bands": st.one_of(
            json_values,
            st.dictionaries(
                st.sampled_from(["kinerja", "potensial"]), st.lists(json_values, max_size=3)
            ),
        ),
        "groups": st.one_of(
            json_values,
            st.dictionaries(st.sampled_from(["atasan", "rekan", "bawahan", "diri"]), json_values),
        ),
        "k": json_values,
        "coverage_min": json_values,
    },
)
what_if_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {}, optional={"period": st.one_of(st.just("PERIOD"), json_values), "profile": profiles}
    ),
)


RAW_BODIES = [  # sent as application/json
    b"",
    b"{",
    b"[" * 50_000,  # deeper than any JSON parser recurses
    b"[" * 900 + b"]" * 900,  # parses, yet deep enough to overflow a recursive walk
    b'{"period": NaN, "profile": {"k": Infinity}}',
    b"\xff\xfe\x00",
    b'{"period": "\\ud800"}',  # a lone surrogate: no database can store it
]


def test_the_json_endpoint_and_every_post_route_survive_bad_json(
    app, dataset, errors, enabled_plugins
):
    """``/simantap/whatif`` (the JSON endpoint) gets JSON of every wrong shape; every POST
    route gets bodies that are not JSON at all, as an admin and anonymously."""
    enabled_plugins("archive", "simantap")
    checker = Checker(app, errors)
    hr = client_for(app, "sdm", dataset)
    code = dataset.ids["period_code"]

    @settings(SETTINGS, max_examples=EXAMPLES * 6)
    @given(body=what_if_bodies)
    def run(body: Any) -> None:
        if isinstance(body, dict) and body.get("period") == "PERIOD":
            body = {**body, "period": code}
        checker.send(hr, "POST", "/simantap/whatif", json=body)

    run()
    for body in RAW_BODIES:
        response = hr.post("/simantap/whatif", data=body, content_type="application/json")
        assert response.status_code == 400, body[:20]
        assert response.is_json and response.json.get("error"), body[:20]
    for who in ("anonymous", "admin"):
        client = client_for(app, who, dataset)
        for rule in app.url_map.iter_rules():
            if "POST" not in rule.methods or rule.rule.startswith(SKIPPED_ACTIONS):
                continue
            url = url_of(rule, dataset.ids)
            for body in RAW_BODIES[1:4] + RAW_BODIES[-1:]:  # the whole list on the what-if
                checker.send(client, "POST", url, data=body, content_type="application/json")


# --- what the fuzzing found ------------------------------------------------------------------

DEEP = b"[" * 900 + b"]" * 900  # parses, yet deep enough to overflow a recursive walk
JRA = b"kode,nama,retensi_aktif,retensi_inaktif,nasib_akhir\n"
REGRESSIONS = [  # (who, method, url, request arguments, the answer now)
    # JSON nested deeper than the parser recurses: a RecursionError in the NUL check
    ("anonymous", "POST", "/login", {"data": b"[" * 5000, "content_type": "application/json"}, 400),
    ("admin", "POST", "/admin/org/units/new", {"data": DEEP, "content_type": "application/json"},
     400),
    # Flask-WTF reads a JSON body into the form as it is: a list or an object in a field
    ("admin", "POST", "/admin/org/units/new", {"json": [["code", "X"]]}, 400),
    ("admin", "POST", "/admin/org/units/new", {"json": {"code": {"a": 1}, "name": "N"}}, 400),
    ("admin", "POST", "/admin/roles/new", {"json": 7}, 400),
    # a lone surrogate in a JSON string cannot be encoded for the database; NaN is not JSON
    ("sdm", "POST", "/simantap/whatif",
     {"data": b'{"period": "\\ud800"}', "content_type": "application/json"}, 400),
    ("sdm", "POST", "/simantap/whatif",
     {"data": b'{"period": "PERIOD", "profile": {"k": NaN}}', "content_type": "application/json"},
     400),
    # a draft profile of the wrong shape reached the validation, which expected mappings
    ("sdm", "POST", "/simantap/whatif", {"json": {"profile": {"bands": [True]}}}, 422),
    ("sdm", "POST", "/simantap/whatif", {"json": {"profile": {"weights": [1], "groups": "x"}}},
     422),
    ("sdm", "POST", "/simantap/whatif",
     {"json": {"profile": {"weights": {"kinerja": [1], "potensial": {"skp": 1e308}}}}}, 422),
    # the what-if form takes "nan" and "1e999" (float() does); they are not weights
    ("sdm", "POST", "/simantap/whatif", {"data": {"period": "PERIOD", "weights.kinerja.skp": "nan",
     "weights.potensial.potensi": "1e999"}}, 422),
    # a weight too large for a float on the profile page (the shares overflowed)
    ("sdm", "POST", "/simantap/periods/PERIOD_ID/profile",
     {"data": {"weights.kinerja.skp": "9" * 400, "k": "3"}}, 409),
    # numbers in query strings: "²" passes isdigit() and fails int(); huge ones fail the query
    ("sdm", "GET", "/simantap/pegawai?page=99999999999999999999", {}, 200),
    ("sdm", "GET", "/simantap/pegawai?unit=99999999999999999999&page=%C2%B2", {}, 200),
    ("sdm", "GET", "/simantap/runs/compare?a=%C2%B2&b=1", {}, 303),
    ("sdm", "GET", "/simantap/runs/compare?a=99999999999999999999&b=1", {}, 404),
    ("sdm", "GET", "/simantap/ninebox?box=%C2%B2", {}, 400),
    ("sdm", "GET", "/simantap/unit-kerja?unit=%C2%B2", {}, 404),
    # the JRA years of a classification import: "²", and more digits than int() reads
    ("arsiparis", "POST", "/arsip/klasifikasi",
     {"data": {"file": JRA + "X.1,Nama,²,1,musnah\n".encode()}}, 422),
    ("arsiparis", "POST", "/arsip/klasifikasi",
     {"data": {"file": JRA + b"X.1,N,1,%s,musnah\n" % (b"9" * 5000)}}, 422),
]  # fmt: skip


def test_what_the_fuzzing_found_answers_without_500(app, dataset, errors, enabled_plugins):
    enabled_plugins("archive", "simantap")
    checker = Checker(app, errors)
    clients = {}
    code, period_id = dataset.ids["period_code"], dataset.ids["period"]
    for who, method, url, kwargs, expected in REGRESSIONS:
        client = clients.get(who) or clients.setdefault(who, client_for(app, who, dataset))
        url = url.replace("PERIOD_ID", str(period_id))
        if isinstance(kwargs.get("data"), bytes):
            kwargs = {**kwargs, "data": kwargs["data"].replace(b"PERIOD", code.encode())}
        elif isinstance(kwargs.get("data"), dict):
            data = {k: code if v == "PERIOD" else v for k, v in kwargs["data"].items()}
            files = {k: (io.BytesIO(v), "upload.csv") for k, v in data.items() if type(v) is bytes}
            kwargs = {**kwargs, "data": {**data, **files}}
        response = checker.send(client, method, url, **kwargs)
        assert response.status_code == expected, (method, url, kwargs, response.status_code)


def test_a_profile_of_the_wrong_shape_is_named_not_raised():
    from sikd_simantap.scoring import profile

    errors = profile.validate({"weights": [1], "bands": "x", "groups": [("atasan", 1)], "k": 3})
    assert {"weights", "bands", "groups"} <= set(errors)
    good = profile.preset("MK")
    assert profile.validate(good) == {}
    for bad in (float("nan"), float("inf"), 10**400, True):
        draft = profile.preset("MK")
        draft["weights"]["kinerja"]["skp"] = bad
        assert "weights.kinerja.skp" in profile.validate(draft), bad
