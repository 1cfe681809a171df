"""The inbox costs the same number of queries whatever the number of items on the page (the
subjects come with the page, not one query per row)."""

import datetime as dt
import re

import pytest
from archive_helpers import client_for, query_plan
from sikd_archive import disposition, records
from sikd_archive.models import Disposition, Record
from sqlalchemy import select, text

from sikd_host.auth.models import User
from sikd_host.extensions import db
from sikd_host.testing import statements_sent


def route(app, org, count):
    with app.app_context():
        kabag = db.session.scalar(select(User).where(User.username == "kabag"))
        arsiparis = db.session.scalar(select(User).where(User.username == "arsiparis"))
        for number in range(count):
            record = records.register(
                arsiparis,
                org.units["B.A"],
                {"kind": "memo", "nomor": f"M-{number}", "tanggal": dt.date(2026, 3, 2),
                 "perihal": f"Perihal nomor {number}"},
            )  # fmt: skip
            disposition.send(
                kabag, record, [org.users["staf1"]], instruction=disposition.instructions()[0]
            )
        db.session.commit()


def statements_of_the_inbox(app, client):
    with statements_sent(app) as seen:
        page = client.get("/arsip/kotak-masuk")
    assert page.status_code == 200
    return page.get_data(as_text=True), len(seen)


def test_the_inbox_does_not_query_per_row(app, org):
    route(app, org, 2)
    staf1 = client_for(app, "staf1")
    statements_of_the_inbox(app, staf1)  # warm: what only a first page reads
    page, few = statements_of_the_inbox(app, staf1)
    assert "Perihal nomor 1" in page
    route(app, org, 10)
    page, many = statements_of_the_inbox(app, staf1)
    assert "Perihal nomor 9" in page and page.count("Perihal nomor") == 12
    assert many == few


def test_an_inbox_page_is_read_from_the_index_in_its_order(app, org):
    """The open items, unread first, newest first, come from ix_archive_disposition_open,
    not from sorting every open item of the recipient (SQLite and PostgreSQL)."""
    route(app, org, 3)
    with app.app_context():
        staf1 = db.session.get(User, org.users["staf1"])
        plan = query_plan(disposition.inbox_query(staf1, "open", limit=51))
    assert "ix_archive_disposition_open" in plan, plan
    assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # no sort of its own


def test_the_inbox_counts_come_from_the_index_alone_on_postgresql(app, org, sikd_database):
    """The open, unread and overdue counts read no table row: ix_archive_disposition_open
    holds read_at and due_on (an index-only scan, once VACUUM has marked the pages)."""
    if sikd_database["kind"] != "postgresql":
        pytest.skip("PostgreSQL only (INCLUDE columns): set SIKD_TEST_DATABASE_URL")
    route(app, org, 3)
    with app.app_context():
        with db.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE archive_disposition")
            )
        staf1 = db.session.get(User, org.users["staf1"])
        plan = query_plan(disposition.inbox_counts_query(staf1, dt.date(2026, 3, 2)))
    assert "Index Only Scan using ix_archive_disposition_open" in plan, plan


def test_each_inbox_link_opens_its_own_item(app, org):
    """The rows' links are built from one URL (url_maker): each one names its own item."""
    route(app, org, 3)
    staf1 = client_for(app, "staf1")
    page = staf1.get("/arsip/kotak-masuk").get_data(as_text=True)
    with app.app_context():
        ids = db.session.scalars(
            select(Disposition.id).where(Disposition.recipient_id == org.users["staf1"])
        ).all()
    links = re.findall(r'href="/arsip/disposisi/(\d+)">Perihal nomor (\d+)<', page)
    assert sorted(int(item) for item, _ in links) == sorted(ids) and len(ids) == 3
    for item, number in links:
        opened = staf1.get(f"/arsip/disposisi/{item}")
        assert opened.status_code == 200 and f"Perihal nomor {number}" in opened.get_data(
            as_text=True
        )


def test_each_view_of_the_inbox_lists_its_own_items(app, org):
    """Open, unread, overdue and done through the page: the statements are built once per
    view, with the recipient, the day and the page as parameters."""
    route(app, org, 4)  # Perihal nomor 0 to 3
    with app.app_context():
        items = {
            db.session.scalar(select(Record.perihal).where(Record.id == item.record_id)): item
            for item in db.session.scalars(
                select(Disposition).where(Disposition.recipient_id == org.users["staf1"])
            )
        }
        now = dt.datetime(2026, 3, 3, 9, 0)
        items["Perihal nomor 0"].read_at = now
        items["Perihal nomor 1"].read_at = items["Perihal nomor 1"].done_at = now
        items["Perihal nomor 2"].due_on = dt.date.today() - dt.timedelta(days=1)
        items["Perihal nomor 3"].due_on = dt.date.today() + dt.timedelta(days=1)
        db.session.commit()
    staf1 = client_for(app, "staf1")

    def listed(show):
        page = staf1.get(f"/arsip/kotak-masuk?show={show}")
        assert page.status_code == 200
        return sorted(re.findall(r"Perihal nomor (\d)<", page.get_data(as_text=True)))

    assert listed("open") == ["0", "2", "3"]
    assert listed("unread") == ["2", "3"]
    assert listed("overdue") == ["2"]
    assert listed("done") == ["1"]
    assert listed("anything else") == ["0", "2", "3"]
    kabag = client_for(app, "kabag")  # another recipient's inbox: none of these
    assert "Perihal nomor" not in kabag.get("/arsip/kotak-masuk").get_data(as_text=True)
    # every view's tabs count the open items: 3 open, 2 of them unread, 1 overdue
    for show in ("open", "unread", "overdue", "done"):
        assert tab_counts(staf1, show) == {"open": 3, "unread": 2, "overdue": 1}, show
    assert tab_counts(kabag, "open") == {"open": 0, "unread": 0, "overdue": 0}


def tab_counts(client, show):
    page = client.get(f"/arsip/kotak-masuk?show={show}").get_data(as_text=True)
    return {tab: int(n) for tab, n in re.findall(r'data-count="(\w+)">(\d+)<', page)}


def test_a_page_of_the_inbox_and_its_counts_are_one_statement(app, org):
    """The items of the page come with the tabs' counts; an empty page asks for the counts
    on their own."""
    route(app, org, 3)
    staf1 = client_for(app, "staf1")
    staf1.get("/arsip/kotak-masuk")  # warm: what only a first page reads
    with statements_sent(app) as full:
        assert staf1.get("/arsip/kotak-masuk").status_code == 200
    with statements_sent(app) as empty:
        assert staf1.get("/arsip/kotak-masuk?show=done").status_code == 200
    inbox = [s for s in full if "archive_disposition" in s]
    assert len(inbox) == 1 and "open_count" in inbox[0], inbox
    assert len([s for s in empty if "archive_disposition" in s]) == 2
    assert tab_counts(staf1, "done") == {"open": 3, "unread": 3, "overdue": 0}


def test_the_inbox_pages_through_its_items(app, org, monkeypatch):
    from sikd_archive.views import inbox

    monkeypatch.setattr(inbox, "PAGE_SIZE", 2)
    route(app, org, 5)
    staf1 = client_for(app, "staf1")
    seen = []
    for number in (1, 2, 3):
        page = staf1.get(f"/arsip/kotak-masuk?page={number}").get_data(as_text=True)
        seen.append(re.findall(r"Perihal nomor (\d)<", page))
        assert (f"page={number + 1}" in page) == (number < 3)
    assert [len(found) for found in seen] == [2, 2, 1]
    assert sorted(sum(seen, [])) == ["0", "1", "2", "3", "4"]
    assert seen[0] == ["4", "3"]  # newest first
