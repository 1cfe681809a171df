"""How a transaction ends (on PostgreSQL a read-only one with COMMIT, which keeps psycopg's
prepared statements; anything else with ROLLBACK)."""

import pytest
from sqlalchemy import select, text, update

from sikd_host.auth.models import User
from sikd_host.extensions import db


@pytest.fixture
def postgresql_app(app, sikd_database):
    if sikd_database["kind"] != "postgresql":
        pytest.skip("PostgreSQL only: set SIKD_TEST_DATABASE_URL (prepared statements)")
    return app


@pytest.fixture
def commits(app, monkeypatch):
    """The COMMITs the app's connections are sent (by a session or under it)."""
    with app.app_context():
        dialect = db.engine.dialect
    sent = []
    real_commit = dialect.do_commit
    monkeypatch.setattr(dialect, "do_commit", lambda dbapi: sent.append(1) or real_commit(dbapi))
    return sent


def full_name(app, username):
    with app.app_context():
        return db.session.scalar(select(User.full_name).where(User.username == username))


def add_pages(app):
    """Pages that change the signed-in user's name in ways a view must not leave half
    done: none of them commits, so none of the changes may stay."""

    def me():
        from flask_login import current_user

        return db.session.get(User, current_user.id)

    def change_in_session():
        me().full_name = "Changed in the session"
        return "ok"

    def change_and_flush():
        me().full_name = "Changed and flushed"
        db.session.flush()
        return "ok"

    def change_with_sql():
        db.session.execute(update(User).values(full_name="Changed by an UPDATE"))
        db.session.expire_all()
        return "ok"

    def change_then_fail():
        me().full_name = "Changed before an error"
        db.session.flush()
        raise RuntimeError("the view fails after its flush")

    for view in (change_in_session, change_and_flush, change_with_sql, change_then_fail):
        app.add_url_rule(f"/test/{view.__name__}", view.__name__, view)


def test_only_a_select_built_by_sqlalchemy_counts_as_a_read(postgresql_app, commits):
    """A SELECT construct ends with COMMIT; text, even one that starts with SELECT (it may
    hold a second statement after a ``;``), and any write end with ROLLBACK."""
    cases = [
        (lambda: db.session.execute(select(User.id)), True),
        (lambda: db.session.execute(select(User.id).union(select(User.id))), True),
        (lambda: db.session.execute(text("SELECT 1")), False),
        (lambda: db.session.execute(text('SELECT id FROM "user"').columns()), False),
        (lambda: db.session.connection().exec_driver_sql("SELECT 1"), False),
        (lambda: db.session.execute(update(User).values(locale="id")), False),
    ]
    for run, read in cases:
        with postgresql_app.app_context():
            commits.clear()
            run()
            db.session.rollback()
            assert commits == ([1] if read else []), run


def test_a_statement_after_a_select_in_the_same_text_is_rolled_back(postgresql_app, make_user):
    make_user("ani", full_name="Ani Lestari")
    with postgresql_app.app_context():
        db.session.execute(text("SELECT 1; UPDATE \"user\" SET full_name = 'Changed'"))
        db.session.rollback()
    assert full_name(postgresql_app, "ani") == "Ani Lestari"


def test_a_read_after_a_rolled_back_write_on_the_same_connection_ends_with_commit(
    postgresql_app, client, login_as, commits
):
    """The flag belongs to one transaction: a write rolled back on a pooled connection
    does not make the next request's read roll back, nor the reverse."""
    add_pages(postgresql_app)
    username = login_as("pegawai")
    before = full_name(postgresql_app, username)
    commits.clear()
    assert client.get("/test/change_with_sql").status_code == 200
    assert commits == []
    assert client.get("/jobs/").status_code == 200
    assert commits == [1]
    assert client.get("/test/change_and_flush").status_code == 200
    assert commits == [1] and full_name(postgresql_app, username) == before


def test_a_page_that_only_reads_ends_its_transaction_with_commit(
    postgresql_app, client, login_as, commits
):
    login_as("pegawai")
    commits.clear()
    assert client.get("/jobs/").status_code == 200
    assert commits == [1]


@pytest.mark.parametrize(
    "page", ["change_in_session", "change_and_flush", "change_with_sql", "change_then_fail"]
)
def test_what_a_page_did_not_commit_is_rolled_back(app, client, login_as, commits, page):
    add_pages(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # the failing page answers 500, as in production
    username = login_as("pegawai")
    before = full_name(app, username)
    commits.clear()
    response = client.get(f"/test/{page}")
    assert response.status_code == (500 if page == "change_then_fail" else 200)
    if page in ("change_and_flush", "change_with_sql"):  # they sent an UPDATE
        assert commits == []
    assert full_name(app, username) == before


def test_objects_read_in_an_app_context_stay_loaded_after_it(app, make_user):
    """Ending a read with COMMIT under the session does not expire what it read."""
    make_user("ani", full_name="Ani Lestari")
    with app.app_context():
        ani = db.session.scalar(select(User).where(User.username == "ani"))
    assert ani.full_name == "Ani Lestari"  # a session COMMIT would have expired it


def backend_of_the_pool(app):
    """The server process and prepared statements of the pool's one connection."""
    with app.app_context():
        connection = db.engine.raw_connection()
        try:
            cursor = connection.driver_connection.cursor()
            pid = cursor.execute("SELECT pg_backend_pid()").fetchone()[0]
            prepared = cursor.execute("SELECT statement FROM pg_prepared_statements").fetchall()
            connection.driver_connection.commit()
        finally:
            connection.close()
    return pid, [row[0] for row in prepared]


def test_the_session_user_statement_stays_prepared_across_requests(
    postgresql_app, client, login_as
):
    login_as("pegawai")
    for _ in range(7):  # psycopg prepares a statement on its fifth use on a connection
        assert client.get("/jobs/").status_code == 200
    _pid, prepared = backend_of_the_pool(postgresql_app)
    assert any('FROM "user"' in statement and "string_agg" in statement for statement in prepared)
