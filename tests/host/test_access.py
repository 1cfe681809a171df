"""Every route needs login except the public ones; permissions answer 403 naming themselves."""

import re
from html.parser import HTMLParser

import pytest
from werkzeug.routing import Rule

PUBLIC = {"static", "plugin_static", "auth.login", "portal.healthz", "portal.set_language"}


def _example_url(rule: Rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        values[name] = 1 if converter == "IntegerConverter" else "x"
    return rule.build(values, append_unknown=False)[1]


def _routes(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint not in PUBLIC]


def test_every_non_public_route_redirects_anonymous_users_to_login(app, client):
    rules = _routes(app)
    assert len(rules) > 15
    for rule in rules:
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 302, (method, url, response.status_code)
            assert response.location.startswith("/login"), (method, url)


def test_a_disabled_plugins_routes_answer_404_even_to_anonymous_users(app, client, runner):
    from sikd_host.pluginmanager import current_host

    host = current_host(app)
    for plugin in ("archive", "simantap"):
        assert runner.invoke(args=["plugins", "disable", plugin]).exit_code == 0
    host.sync(force=True)
    rules = [
        rule
        for rule in app.url_map.iter_rules()
        if host.blueprint_owner.get(rule.endpoint.rpartition(".")[0])
    ]
    assert {host.blueprint_owner[r.endpoint.rpartition(".")[0]] for r in rules} >= {
        "archive",
        "simantap",
    }
    for rule in rules:
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code == 404, (method, url, response.status_code)


def test_public_routes_answer_without_login(client):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").json["status"] == "ok"
    assert client.get("/static/sikd.css").status_code == 200


def test_unknown_url_answers_404_page(client, login_as):
    login_as("pegawai")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"404" in response.data


@pytest.mark.parametrize(
    "url", ["/admin/users", "/admin/roles", "/admin/org/units", "/admin/audit/"]
)
def test_pegawai_gets_403_naming_the_permission(client, login_as, url):
    login_as("pegawai")
    response = client.get(url)
    assert response.status_code == 403
    assert b"admin." in response.data


def test_permission_granted_through_a_role(app, client, login_as, runner):
    login_as("sdm")  # seeded with admin.org
    assert client.get("/admin/org/units").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_security_headers_on_every_response(client, login_as):
    for response in (client.get("/login"), client.get("/healthz"), client.get("/nope")):
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]


class InlineScript(HTMLParser):
    """Finds what a CSP without 'unsafe-inline' would block: a <script> without ``src``, an
    ``on*`` event attribute, a ``javascript:`` URL; and assets served from another site."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag == "script" and not values.get("src"):
            self.problems.append("a <script> without src")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"the event attribute {name} on <{tag}>")
            if name in ("href", "src", "action", "formaction"):
                if value.strip().lower().startswith("javascript:"):
                    self.problems.append(f"a javascript: URL in {name} of <{tag}>")
                if re.match(r"(https?:)?//", value) and tag in ("script", "link", "img"):
                    self.problems.append(f"the external asset {value}")
        if tag == "a" and values.get("data-menu-id") and values.get("href", "").startswith("/"):
            self.links.append(values["href"])


def inline_script_problems(body: str) -> tuple[list[str], list[str]]:
    parser = InlineScript()
    parser.feed(body)
    return parser.problems, parser.links


def test_the_inline_script_check_catches_what_it_must():
    for sample in (
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        "<SCRIPT >x()</SCRIPT>",
        '<button onclick="x()">b</button>',
        "<img src=x OnError=alert(1)>",
        '<a href=" javascript:x()">a</a>',
        '<script src="https://cdn.example/x.js"></script>',
    ):
        assert inline_script_problems(sample)[0], sample
    assert not inline_script_problems('<script src="/static/x.js"></script>')[0]


def test_pages_carry_no_inline_script_and_no_cdn(client, login_as):
    anonymous = client.get("/login").data.decode()
    assert inline_script_problems(anonymous)[0] == [], "/login"
    login_as("admin")
    dashboard = client.get("/").data.decode()
    links = inline_script_problems(dashboard)[1]
    assert len(links) > 10  # every side-menu page of the host and both plugins
    pages = {"/", "/profile", "/account/password", "/admin/users/new", "/admin/roles/new", *links}
    checked = 0
    for url in sorted(pages):
        response = client.get(url)
        assert response.status_code < 500, url
        if response.mimetype == "text/html":  # a page, or its friendly 404 (no data yet)
            problems, _links = inline_script_problems(response.data.decode())
            assert problems == [], url
            checked += 1
    assert checked == len(pages)


def test_healthz_reports_a_broken_database(app, client, tmp_path):
    from sikd_host import create_app

    broken = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db",
            "INSTANCE_PATH": str(tmp_path / "i2"),
            "SECRET_KEY": "x",
        }
    )
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
