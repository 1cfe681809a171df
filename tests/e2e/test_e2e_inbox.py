"""A pegawai finds a disposition in the Kotak Masuk, reads it and marks it done."""

import re

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="e2e: Playwright is not installed (pip install -e '.[test]')"
).expect

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def _detail(page, term):
    """The <dd> after the <dt> named ``term`` on a disposition's page."""
    return page.locator("dl dt", has_text=re.compile(f"^{term}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def test_pegawai_reads_and_completes_a_disposition(page, login, shot, demo, server):
    subject = demo.inbox_subject
    login(demo.inbox_user)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dasbor")
    shot("dashboard")

    page.get_by_role("link", name="Kotak Masuk", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kotak Masuk")
    unread = int(page.locator("[data-count=unread]").inner_text())
    assert unread >= 1
    row = page.locator("tbody tr", has=page.get_by_role("link", name=subject, exact=True))
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_have_text("belum dibaca")
    shot("inbox")

    row.get_by_role("link", name=subject, exact=True).click()
    expect(page).to_have_url(re.compile(rf"/arsip/disposisi/{demo.inbox_disposition}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    expect(_detail(page, "Dibaca")).to_have_text(TIMESTAMP)  # the read time is recorded
    expect(_detail(page, "Selesai")).to_have_text("-")
    shot("opened")
    (read_at,) = server.query(
        "SELECT read_at FROM archive_disposition WHERE id = :id", id=demo.inbox_disposition
    )[0]
    assert read_at is not None

    page.get_by_label("Tindakan").select_option(label="Tandai selesai")
    page.get_by_label("Catatan").fill("Sudah ditindaklanjuti (uji e2e).")
    page.get_by_role("button", name="Simpan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kotak Masuk")
    expect(page.get_by_role("alert")).to_contain_text("Tersimpan.")
    expect(page.get_by_role("link", name=subject, exact=True)).to_have_count(0)  # not open now
    expect(page.locator("[data-count=unread]")).to_have_text(str(unread - 1))
    shot("saved")

    page.get_by_role("link", name="Selesai", exact=True).click()
    row = page.locator("tbody tr", has=page.get_by_role("link", name=subject, exact=True))
    expect(row.locator("td").last).to_have_text("selesai")
    shot("done-list")

    row.get_by_role("link", name=subject, exact=True).click()
    expect(_detail(page, "Selesai")).to_have_text(TIMESTAMP)
    expect(page.get_by_text("selesai: Sudah ditindaklanjuti (uji e2e).")).to_be_visible()
    expect(page.get_by_role("button", name="Simpan")).to_have_count(0)  # nothing left to do
    shot("done-item")
