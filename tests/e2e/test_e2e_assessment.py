"""A pegawai fills in a 360 form (Penilaian 360 saya) and finds their answers again."""

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="e2e: Playwright is not installed (pip install -e '.[test]')"
).expect

ITEMS = (
    "Berorientasi Pelayanan",
    "Akuntabel",
    "Kompeten",
    "Harmonis",
    "Loyal",
    "Adaptif",
    "Kolaboratif",
)
VALUES = (4, 5, 3, 4, 2, 5, 1)
COMMENT = "Selalu membantu rekan kerja; perlu lebih tepat waktu. (uji e2e)"


def _row(page, demo):
    return (
        page.locator("#my-assignments tbody tr")
        .filter(has_text=demo.ratee_name)
        .filter(has_text=demo.rater_period)
    )


def test_pegawai_fills_in_a_360_form(page, login, shot, demo, server):
    login(demo.rater)
    page.get_by_role("link", name="Penilaian 360 saya", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Penilaian 360 saya")
    row = _row(page, demo)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Belum diisi")
    shot("list")

    row.get_by_role("link", name="Isi", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Penilaian 360 untuk {demo.ratee_name}"
    )
    expect(page.get_by_text(f"Periode {demo.rater_period}.")).to_be_visible()
    expect(page.locator("#items tbody tr")).to_have_count(7)
    expect(page.locator("#items input[type=radio]:checked")).to_have_count(0)
    for item, value in zip(ITEMS, VALUES, strict=True):
        page.get_by_role("radio", name=f"{item} {value}", exact=True).check()
    page.get_by_label("Komentar (opsional)").fill(COMMENT)
    shot("filled")
    page.get_by_role("button", name="Simpan").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Penilaian 360 saya")
    expect(page.get_by_role("alert")).to_contain_text("Penilaian Anda telah disimpan.")
    row = _row(page, demo)
    expect(row).to_contain_text("Selesai")
    expect(row.get_by_role("link", name="Ubah", exact=True)).to_be_visible()
    shot("submitted")
    stored = server.query(
        "SELECT r.butir, r.nilai FROM simantap_rating r WHERE r.assignment_id = :id "
        "ORDER BY r.butir",
        id=demo.rater_assignment,
    )
    assert [tuple(r) for r in stored] == list(enumerate(VALUES, start=1))

    row.get_by_role("link", name="Ubah", exact=True).click()
    for item, value in zip(ITEMS, VALUES, strict=True):
        expect(page.get_by_role("radio", name=f"{item} {value}", exact=True)).to_be_checked()
    expect(page.locator("#items input[type=radio]:checked")).to_have_count(7)
    expect(page.get_by_label("Komentar (opsional)")).to_have_value(COMMENT)
    shot("reopened")
