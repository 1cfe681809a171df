"""HR runs a scoring run, publishes it over the demo's published run, and reads the nine-box."""

import re

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="e2e: Playwright is not installed (pip install -e '.[test]')"
).expect

BOX = re.compile(r"^Kotak (\d): (\d+) pegawai$")
REASON = "Data SKP triwulan IV sudah lengkap (uji e2e)."


def _detail(page, term):
    return page.locator("dl dt", has_text=re.compile(f"^{term}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def test_hr_runs_publishes_and_reads_the_nine_box(page, login, shot, demo, server):
    login(demo.sdm)
    page.get_by_role("link", name="Perhitungan skor", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Perhitungan skor")
    period = page.get_by_label("Periode").locator("option:checked").get_attribute("value")
    runs = page.locator("table tbody tr")
    before = runs.count()
    published = runs.filter(has_text="diterbitkan").filter(has_not_text="belum diterbitkan")
    expect(published).to_have_count(1)  # the demo published one run of the period
    old_run = published.locator("td").first.inner_text()
    shot("runs-before")

    page.get_by_role("button", name=f"Jalankan perhitungan periode {period}").click()
    expect(page.get_by_role("alert")).to_contain_text("Perhitungan skor telah selesai.")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(rf"^Perhitungan (\d+) · {period}$"))
    run_id = re.match(r"Perhitungan (\d+)", heading.inner_text()).group(1)
    assert run_id != old_run
    expect(_detail(page, "Status")).to_have_text("belum diterbitkan")
    per_box = page.locator("table", has=page.get_by_role("columnheader", name="Belum dipetakan"))
    cells = [int(c) for c in per_box.locator("tbody td").all_inner_texts()]
    assert len(cells) == 10  # boxes 1-9 and "not mapped"
    employees = int(_detail(page, "Pegawai").inner_text())
    assert sum(cells) == employees > 0
    reason = page.get_by_label("Alasan")
    expect(page.locator("label[for=reason]")).to_contain_text(
        f"wajib diisi: perhitungan {old_run} sudah diterbitkan"
    )
    shot("run-done")

    reason.fill(REASON)
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Perhitungan {run_id} telah diterbitkan.")
    expect(_detail(page, "Status")).to_contain_text("diterbitkan")
    expect(_detail(page, "Status")).to_contain_text(REASON)
    expect(page.get_by_role("button", name="Terbitkan")).to_have_count(0)
    shot("published")

    page.get_by_role("link", name="Semua perhitungan periode ini").click()
    expect(runs).to_have_count(before + 1)
    new_row = runs.filter(has=page.get_by_role("link", name=run_id, exact=True))
    old_row = runs.filter(has=page.get_by_role("link", name=old_run, exact=True))
    expect(new_row.locator("td").last).to_have_text("diterbitkan")
    expect(old_row.locator("td").last).to_have_text("digantikan")
    shot("runs-after")

    page.get_by_role("link", name="Kotak sembilan", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Kotak sembilan {period}")
    summary = page.get_by_text(re.compile(r"\d+ pegawai dipetakan, \d+ belum dipetakan"))
    expect(summary).to_contain_text(f"Perhitungan {run_id}")
    mapped, not_mapped = map(
        int, re.search(r"(\d+) pegawai dipetakan, (\d+) belum", summary.inner_text()).groups()
    )
    boxes = {}
    for label in page.get_by_role("link", name=BOX).all():
        number, count = BOX.match(label.get_attribute("aria-label")).groups()
        boxes[int(number)] = int(count)
    assert sorted(boxes) == list(range(1, 10))
    assert sum(boxes.values()) == mapped  # the grid adds up to the mapped count
    assert [boxes[b] for b in range(1, 10)] == cells[:9]  # the run published is on the grid
    assert mapped + not_mapped == employees
    expect(page.get_by_role("link", name=f"Belum dipetakan: {not_mapped}")).to_be_visible()
    shot("ninebox")
