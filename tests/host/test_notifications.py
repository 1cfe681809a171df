"""In-app notifications: notify() in the caller's transaction, the page shows only one's own
notifications newest first with the unread marked, the bell counts them, and a CSRF-checked
POST marks them read."""

import re

import pytest
from sqlalchemy import func, select

from sikd_host import plugin_api
from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.notifications import service
from sikd_host.notifications.models import Notification
from sikd_host.testing import log_in, statements_sent


def user(username):
    return db.session.scalar(select(User).where(User.username == username))


def notify(app, usernames, message, link="", **params):
    with app.app_context():
        ids = [user(name).id for name in usernames]
        count = service.notify(ids, message, link, **params)
        db.session.commit()
        return count


def test_notify_adds_one_row_per_user_in_the_callers_transaction(app, make_user):
    make_user("ani")
    make_user("budi")
    with app.app_context():
        ids = [user("ani").id, user("budi").id]
        assert plugin_api.notifications.notify(ids + ids[:1], "Hello %(name)s.", name="x") == 2
        db.session.rollback()  # not committed: nothing stays
        assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
        service.notify(ids, "Hello %(name)s.", "/notifications/", name="x")
        db.session.commit()
        assert service.unread_count(user("ani")) == 1
        assert service.notify([], "Nobody.") == 0


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_links_must_stay_inside_sikd(app, make_user, link):
    make_user("ani")
    with app.app_context(), pytest.raises(ValueError):
        service.notify([user("ani").id], "Hello.", link)


def test_the_page_lists_only_ones_own_newest_first_with_unread_marked(app, make_user, client):
    make_user("ani")
    make_user("budi")
    notify(app, ["ani"], "First for %(who)s.", who="Ani")
    notify(app, ["ani"], "Second for %(who)s.", "/profile", who="Ani")
    notify(app, ["budi"], "Secret for Budi.")
    log_in(client, "ani")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Secret for Budi" not in page
    assert page.index("Second for Ani.") < page.index("First for Ani.")  # newest first
    assert page.count('data-unread="yes"') == 2
    assert '<a href="/profile">Second for Ani.</a>' in page
    bell = re.search(r'id="notifications-unread">(\d+)<', page)
    assert bell and bell.group(1) == "2"


def test_marking_read_changes_only_ones_own(app, make_user, client):
    make_user("ani")
    make_user("budi")
    notify(app, ["ani", "budi"], "For both.")
    log_in(client, "ani")
    response = client.post("/notifications/read")
    assert response.status_code == 303
    page = client.get("/notifications/").get_data(as_text=True)
    assert 'data-unread="yes"' not in page and 'data-unread="no"' in page
    assert 'id="notifications-unread"' not in page
    with app.app_context():
        assert service.unread_count(user("ani")) == 0
        assert service.unread_count(user("budi")) == 1


def test_the_page_needs_a_login(client):
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_messages_are_shown_in_the_readers_language(app, make_user, client):
    make_user("ani")
    notify(app, ["ani"], "Please log in to open this page.")  # a host msgid
    log_in(client, "ani")
    client.set_cookie("sikd_locale", "id")
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Silakan masuk untuk membuka halaman ini." in page
    client.set_cookie("sikd_locale", "en")
    assert "Please log in to open this page." in client.get("/notifications/").get_data(
        as_text=True
    )


class TestCsrf:
    @pytest.fixture
    def app_config(self):
        return {"WTF_CSRF_ENABLED": True}

    def test_marking_read_needs_the_csrf_token(self, app, make_user, client):
        make_user("ani")
        notify(app, ["ani"], "Hello.")
        log_in(client, "ani")
        assert client.post("/notifications/read").status_code == 400
        with app.app_context():
            assert service.unread_count(user("ani")) == 1
        page = client.get("/notifications/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 303
        with app.app_context():
            assert service.unread_count(user("ani")) == 0


def test_a_page_number_no_query_can_hold_is_a_bad_request(app, make_user):
    from sikd_host.testing import log_in

    make_user("budi")
    client = app.test_client()
    log_in(client, "budi")
    assert client.get("/notifications/?page=99999999999999999999").status_code == 400
    assert client.get("/notifications/?page=2").status_code == 200


def test_the_bell_counts_what_was_added_or_read_during_the_request(app, make_user):
    make_user("ani")
    notify(app, ["ani"], "One.")
    with app.test_request_context():
        ani = user("ani")
        service.remember_unread(ani, 1)  # as read with the session's user
        service.notify([ani.id], "Two.")
        assert service.unread_count(ani) == 2
        service.remember_unread(ani, 2)
        service.mark_read(ani)
        assert service.unread_count(ani) == 0


def test_a_page_reads_its_user_grants_and_bell_in_one_statement(app, make_user, client):
    make_user("ani", roles=["admin"])
    notify(app, ["ani", "ani"], "One.")
    notify(app, ["ani"], "Two.")
    log_in(client, "ani")
    client.get("/jobs/")  # the first page adds a CSRF token to the session
    with statements_sent(app) as statements:
        page = client.get("/jobs/").get_data(as_text=True)
    assert re.search(r'id="notifications-unread">2<', page)
    assert 'data-menu-id="admin.users"' in page  # the admin role's grants were read
    assert len(statements) == 2, statements  # the session's user, then the list of jobs
    assert "notification" in statements[0] and "role" in statements[0]
