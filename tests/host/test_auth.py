"""Login, rate limits, session revocation, CSRF and timeouts."""

import re
import time

import pytest
from sqlalchemy import select

from sikd_host.auth.models import User
from sikd_host.auth.passwords import HASHER
from sikd_host.extensions import db
from sikd_host.testing import TEST_PASSWORD, log_in


def test_login_and_logout(client, make_user):
    make_user("budi")
    response = log_in(client, "budi")
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_answer(client, make_user):
    make_user("budi")
    wrong = log_in(client, "budi", "not the password")
    unknown = log_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 200
    strip = lambda body: re.sub(rb'value="[^"]*"', b"", body)  # noqa: E731 - the typed name
    assert strip(wrong.data) == strip(unknown.data).replace(b"nobody", b"budi")


def test_passwords_are_argon2id_at_owasp_strength(app, make_user):
    make_user("budi")
    with app.app_context():
        stored = db.session.scalar(select(User.password_hash).where(User.username == "budi"))
    assert stored.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in stored
    assert HASHER.memory_cost >= 19 * 1024 and HASHER.time_cost >= 2


@pytest.mark.parametrize("username", ["budi", "nobody"])
def test_failed_login_one_past_the_account_limit_answers_429(client, make_user, username):
    make_user("budi")
    for _ in range(5):
        assert log_in(client, username, "wrong password").status_code == 200
    response = log_in(client, username, "wrong password")
    assert response.status_code == 429
    assert b"budi" not in response.data and b"nobody" not in response.data
    text = response.data.decode()
    assert "Terlalu banyak" in text or "Too many" in text
    if username == "budi":  # even the right password is refused while the account is locked
        assert log_in(client, "budi").status_code == 429


def test_failed_logins_from_one_address_are_limited_across_accounts(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per 15 minutes"
    for name in ("a1", "a2", "a3"):
        assert log_in(client, name, "wrong password").status_code == 200
    assert log_in(client, "a4", "wrong password").status_code == 429


def test_successful_logins_do_not_count(client, make_user):
    make_user("budi")
    for _ in range(7):
        assert log_in(client, "budi").status_code == 302
        client.post("/logout")


def _session_cookie(client):
    return client.get_cookie("sikd_session").value


def _replay(app, cookie):
    other = app.test_client()
    other.set_cookie("sikd_session", cookie)
    return other.get("/")


def test_cookie_replayed_after_logout_is_refused(app, client, make_user):
    make_user("budi")
    log_in(client, "budi")
    cookie = _session_cookie(client)
    assert _replay(app, cookie).status_code == 200
    client.post("/logout")
    response = _replay(app, cookie)
    assert response.status_code == 302 and "/login" in response.location


def test_cookie_replayed_after_password_change_is_refused(app, client, make_user):
    make_user("budi")
    log_in(client, "budi")
    cookie = _session_cookie(client)
    response = client.post(
        "/account/password",
        data={
            "current_password": TEST_PASSWORD,
            "new_password": "a new secret 123",
            "confirm": "a new secret 123",
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this browser stays logged in
    assert _replay(app, cookie).status_code == 302
    assert log_in(app.test_client(), "budi", "a new secret 123").status_code == 302


def test_cookie_replayed_after_account_disabled_is_refused(app, client, make_user, runner):
    make_user("budi")
    log_in(client, "budi")
    cookie = _session_cookie(client)
    result = runner.invoke(args=["users", "disable", "budi"])
    assert result.exit_code == 0, result.output
    assert _replay(app, cookie).status_code == 302
    assert log_in(app.test_client(), "budi").status_code == 200  # cannot log in again


def test_wrong_current_password_is_refused(client, login_as):
    login_as("pegawai")
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong one here",
            "new_password": "a new secret 123",
            "confirm": "a new secret 123",
        },
    )
    assert response.status_code == 422


def test_weak_new_password_is_refused(client, login_as):
    login_as("pegawai")
    response = client.post(
        "/account/password",
        data={"current_password": TEST_PASSWORD, "new_password": "short", "confirm": "short"},
    )
    assert response.status_code == 422
    assert b"10" in response.data


def test_absolute_session_lifetime(app, client, make_user):
    make_user("budi")
    log_in(client, "budi")
    with client.session_transaction() as session:
        session["login_at"] = time.time() - 13 * 3600
    assert client.get("/").status_code == 302


@pytest.fixture
def clock(monkeypatch):
    """``clock["seconds"] = n`` moves the time the server sees (signatures, lifetimes) n
    seconds ahead of the real one."""
    real_time, shift = time.time, {"seconds": 0.0}
    monkeypatch.setattr(time, "time", lambda: real_time() + shift["seconds"])
    return shift


def _session_cookie_sent(response) -> bool:
    return any(h.startswith("sikd_session=") for h in response.headers.getlist("Set-Cookie"))


def test_an_idle_session_ends_and_an_active_one_goes_on(app, client, make_user, clock):
    idle = app.permanent_session_lifetime.total_seconds()
    make_user("budi")
    log_in(client, "budi")
    assert _session_cookie_sent(client.get("/profile"))  # its first form adds a CSRF token
    clock["seconds"] = 30
    fresh = client.get("/profile")
    assert fresh.status_code == 200
    assert not _session_cookie_sent(fresh), "a cookie signed 30 s ago was sent again"
    clock["seconds"] = idle - 60
    active = client.get("/profile")
    assert active.status_code == 200 and _session_cookie_sent(active)  # signed again
    clock["seconds"] += idle - 60  # longer than the idle timeout after the login
    assert client.get("/profile").status_code == 200
    clock["seconds"] += idle + 1
    assert client.get("/profile").status_code == 302


def test_a_short_idle_timeout_signs_the_cookie_again_sooner(app, client, make_user, clock):
    import datetime as dt

    app.config["PERMANENT_SESSION_LIFETIME"] = dt.timedelta(minutes=2)
    make_user("budi")
    log_in(client, "budi")
    client.get("/profile")
    clock["seconds"] = 40  # a quarter of two minutes is past: signed again
    assert _session_cookie_sent(client.get("/profile"))
    clock["seconds"] = 40 + 100  # 140 s after the login, 100 s after the last request
    assert client.get("/profile").status_code == 200


def test_a_changed_session_is_always_sent_again(client, make_user):
    make_user("budi")
    log_in(client, "budi")
    response = client.post("/language", data={"language": "en", "next": "/profile"})
    assert response.status_code == 302 and _session_cookie_sent(response)
    assert b'lang="en"' in client.get("/profile").data


def test_session_cookie_flags(app, client, make_user):
    make_user("budi")
    response = log_in(client, "budi")
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("sikd_session"))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header
    data = {"username": "budi", "password": TEST_PASSWORD}
    secure = app.test_client().post("/login", data=data, base_url="https://localhost")
    headers = [h for h in secure.headers.getlist("Set-Cookie") if h.startswith("sikd_session")]
    assert headers, "the HTTPS answer sets no session cookie: nothing was checked"
    assert all("Secure" in h for h in headers)


def test_open_redirect_after_login_is_refused(client, make_user):
    make_user("budi")
    client.get("/login")
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "budi", "password": TEST_PASSWORD}
    )
    assert response.location == "/"


EVIL_TARGETS = ["//evil.example/x", "/\\evil.example/x", "/\\/evil.example", "/\t/evil.example",
                "https://evil.example/", "javascript:alert(1)"]  # fmt: skip


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_the_language_switch_never_redirects_to_another_site(client, target):
    response = client.post("/language", data={"language": "en", "next": target})
    assert response.status_code == 302 and response.location == "/", target
    kept = client.post("/language", data={"language": "id", "next": "/profile?tab=1"})
    assert kept.location == "/profile?tab=1"


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_login_never_redirects_to_another_site(client, make_user, target):
    make_user("budi")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"username": "budi", "password": TEST_PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/", target


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_post_without_token_is_refused(self, client, make_user):
        make_user("budi")
        response = client.post("/login", data={"username": "budi", "password": TEST_PASSWORD})
        assert response.status_code == 400
        assert client.get("/").status_code == 302  # not logged in

    def test_post_with_token_works(self, client, make_user):
        make_user("budi")
        assert log_in(client, "budi").status_code == 302

    def test_logged_in_post_without_token_is_refused(self, client, make_user):
        make_user("budi")
        log_in(client, "budi")
        assert client.post("/logout").status_code == 400
        assert client.get("/").status_code == 200  # still logged in


def test_logins_still_work_when_the_configured_redis_does_not_answer(
    database_url, tmp_path, make_user
):
    from sikd_host import create_app
    from sikd_host.testing import log_in

    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "x",
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing listens there
            "INSTANCE_PATH": str(tmp_path / "a"),
        }
    )
    make_user("budi")
    client = app.test_client()
    assert log_in(client, "budi", "wrong password").status_code == 200
    assert log_in(client, "budi").status_code == 302


def test_the_grants_read_with_the_session_follow_a_change_of_roles(app, make_user):
    from sikd_host.auth import accounts
    from sikd_host.auth.sessions import load_user
    from sikd_host.extensions import db

    user_id = make_user("budi", roles=["pegawai"])
    with app.test_request_context():
        from sikd_host.auth.models import User

        user = load_user(db.session.get(User, user_id).get_id())
        assert "_grants" in user.__dict__ and not user.has_permission("admin.users")
        user.roles = accounts.roles_named(["admin"])
        assert user.has_permission("admin.users") and user.role_names == {"admin"}
