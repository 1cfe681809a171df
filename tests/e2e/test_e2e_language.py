"""A user switches the interface language with the ID/EN buttons of the top bar."""

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="e2e: Playwright is not installed (pip install -e '.[test]')"
).expect


def test_user_switches_the_interface_language(page, login, shot, demo):
    login(demo.language_user)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Dasbor")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("link", name="Kotak Masuk", exact=True)).to_be_visible()
    shot("indonesian")

    page.get_by_role("button", name="EN", exact=True).click()
    expect(heading).to_have_text("Dashboard")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="EN", exact=True)).to_have_class("btn btn-sm btn-light")
    page.get_by_role("link", name="Inbox", exact=True).click()
    expect(heading).to_have_text("Inbox (Kotak Masuk)")
    shot("english-inbox")

    # the choice is kept for the user: a new session (no cookies at all) is English too
    page.context.clear_cookies()
    login(demo.language_user)
    expect(heading).to_have_text("Dashboard")
    shot("english-again")

    page.get_by_role("button", name="ID", exact=True).click()
    expect(heading).to_have_text("Dasbor")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("link", name="Kotak Masuk", exact=True)).to_be_visible()
    shot("indonesian-again")
