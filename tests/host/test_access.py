"""Every route needs login except the public ones; permissions answer 403 naming themselves."""

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


def test_pages_carry_no_inline_script_and_no_cdn(client, login_as):
    login_as("admin")
    for url in ("/", "/profile", "/admin/users", "/admin/org/units", "/login"):
        body = client.get(url).data.decode()
        assert "<script>" not in body and "onclick=" not in body
        for src in __import__("re").findall(r'(?:src|href)="(https?://[^"]+)"', body):
            raise AssertionError(f"external asset {src} on {url}")


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
