"""An admin disables Simantap on Admin > Plugin: its menu goes and its URLs answer 404; enabling
it again brings them back, without a restart."""

import time
import urllib.error
import urllib.request

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="e2e: Playwright is not installed (pip install -e '.[test]')"
).expect

SIMANTAP_URL = "/simantap/360"


def _anonymous_status(url):
    """The status of an anonymous GET, redirects not followed (302 to the login when the
    route exists, 404 when it does not)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        with urllib.request.build_opener(NoRedirect).open(url, timeout=5) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def simantap_back_on(server):
    """Whatever happens in the test, Simantap is enabled again afterwards."""
    yield
    rows = server.query("SELECT enabled FROM plugin_state WHERE name = 'simantap'")
    if rows and not rows[0][0]:
        result = server.sikd("plugins", "enable", "simantap")
        assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 10
    while _anonymous_status(server.url + SIMANTAP_URL) == 404:
        assert time.monotonic() < deadline, "Simantap did not come back"
        time.sleep(0.2)


def _simantap_menu(page):
    return page.locator('aside a[data-menu-id^="simantap."]')


def test_admin_disables_and_enables_simantap(page, login, shot, demo, server, simantap_back_on):
    login(demo.admin)
    sections = page.locator("aside .sikd-section")
    expect(sections.filter(has_text="Simantap")).to_have_count(1)
    assert _simantap_menu(page).count() > 0
    shot("menu-before")

    page.get_by_role("link", name="Plugin", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plugin")
    card = page.locator("[data-plugin=simantap]")
    expect(card.locator(".badge")).to_have_text("aktif")
    card.get_by_role("button", name="Nonaktifkan").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "Plugin simantap berhasil dinonaktifkan. Datanya tetap disimpan."
    )
    card = page.locator("[data-plugin=simantap]")
    expect(card.locator(".badge")).to_have_text("nonaktif")
    expect(card.get_by_role("button", name="Aktifkan")).to_be_visible()
    expect(_simantap_menu(page)).to_have_count(0)
    expect(sections.filter(has_text="Simantap")).to_have_count(0)
    expect(page.get_by_role("link", name="Kotak Masuk", exact=True)).to_be_visible()  # archive
    shot("disabled")

    response = page.goto(SIMANTAP_URL)
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Halaman tidak ditemukan")
    expect(_simantap_menu(page)).to_have_count(0)
    shot("simantap-404")

    page.get_by_role("link", name="Plugin", exact=True).click()
    page.locator("[data-plugin=simantap]").get_by_role("button", name="Aktifkan").click()
    expect(page.get_by_role("alert")).to_contain_text("Plugin simantap berhasil diaktifkan.")
    expect(page.locator("[data-plugin=simantap]").get_by_role("button")).to_have_text("Nonaktifkan")
    expect(sections.filter(has_text="Simantap")).to_have_count(1)
    expect(_simantap_menu(page).first).to_be_visible()
    shot("enabled")

    _simantap_menu(page).filter(has_text="Penilaian 360 saya").click()
    expect(page).to_have_url(server.url + SIMANTAP_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Penilaian 360 saya")
    shot("simantap-back")
