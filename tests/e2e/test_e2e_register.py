"""An arsiparis registers an incoming letter with a PDF and sends a disposition to a
subordinate, who then finds it in their Kotak Masuk."""

import datetime as dt
import re
import uuid

import pytest

expect = pytest.importorskip(
    "playwright.sync_api", reason="e2e: Playwright is not installed (pip install -e '.[test]')"
).expect


def test_arsiparis_registers_a_letter_and_sends_a_disposition(
    page, login, shot, demo, server, make_pdf, tmp_path
):
    subject = f"Undangan rapat koordinasi e2e {uuid.uuid4().hex[:6]}"
    pdf = tmp_path / "undangan-rapat.pdf"
    pdf.write_bytes(make_pdf("Undangan rapat koordinasi"))

    login(demo.arsiparis)
    page.get_by_role("link", name="Naskah", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Naskah")
    page.get_by_role("link", name="Registrasi naskah").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrasi naskah")
    page.get_by_label("Jenis").select_option(label="Surat masuk")
    page.get_by_label("Nomor").fill("005/UND/E2E/2026")
    expect(page.get_by_label("Tanggal")).to_have_value(dt.date.today().isoformat())
    page.get_by_label("Perihal").fill(subject)
    page.get_by_label("Asal").fill("Dinas Komunikasi dan Informatika")
    page.get_by_label("Lampiran (opsional)").set_input_files(pdf)
    shot("form")
    page.get_by_role("button", name="Simpan").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    flash = page.get_by_role("alert")
    expect(flash).to_contain_text("Teregistrasi dengan nomor agenda")
    agenda = re.search(r"nomor agenda (\S+)\.", flash.inner_text()).group(1)
    expect(page.get_by_text(agenda, exact=True)).to_be_visible()
    details = page.locator("dl").first
    expect(details).to_contain_text("Surat masuk")
    expect(details).to_contain_text("005/UND/E2E/2026")
    expect(details).to_contain_text("Dinas Komunikasi dan Informatika")
    attachments = page.locator(
        ".card", has=page.get_by_role("heading", name="Lampiran", exact=True)
    )
    download = attachments.get_by_role("link", name="undangan-rapat.pdf")
    expect(download).to_be_visible()
    stored = page.request.get(download.get_attribute("href"))  # with the user's session
    assert stored.ok and stored.headers["content-type"] == "application/pdf"
    assert stored.body() == pdf.read_bytes()
    expect(page.get_by_text("Belum didisposisikan.")).to_be_visible()
    shot("registered")

    recipients = page.get_by_role("group", name="Penerima", exact=True)
    options = {
        int(box.get_attribute("value")): page.locator(f'label[for="{box.get_attribute("id")}"]')
        .inner_text()
        .strip()
        for box in recipients.get_by_role("checkbox").all()
    }
    assert options, "the arsiparis has nobody to send a disposition to"
    usernames = dict(server.query('SELECT id, username FROM "user"'))
    # a subordinate no other journey logs in as
    recipient_id = next(i for i in options if usernames[i] not in demo.taken)
    recipient = usernames[recipient_id]
    recipient_name = options[recipient_id].split(" · ")[0]  # "name · position"
    # the form finds people by name too ("Cari" sends it back, keeping what was typed)
    page.locator("#note").fill("Mohon dihadiri dan dilaporkan.")
    page.get_by_label("Cari penerima").fill(recipient_name)
    page.get_by_role("button", name="Cari", exact=True).click()
    expect(page.get_by_label("Cari penerima")).to_have_value(recipient_name)
    expect(page.get_by_role("status")).to_contain_text("Belum dikirim")
    found = recipients.get_by_role("checkbox")
    expect(found).not_to_have_count(0)
    labels = [
        page.locator(f'label[for="{box.get_attribute("id")}"]').inner_text() for box in found.all()
    ]
    assert all(recipient_name in label for label in labels), labels
    recipients.get_by_label(options[recipient_id], exact=True).check()
    page.get_by_label("Instruksi").select_option(label="Tindak lanjuti")
    expect(page.locator("#note")).to_have_value("Mohon dihadiri dan dilaporkan.")
    page.get_by_role("button", name="Kirim", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Terkirim kepada 1 penerima.")
    tracking = page.locator(".card", has=page.get_by_role("heading", name="Disposisi", exact=True))
    expect(tracking).to_contain_text(recipient_name)
    expect(tracking).to_contain_text("belum dibaca")
    shot("sent")

    page.context.clear_cookies()
    login(recipient)
    page.get_by_role("link", name="Kotak Masuk", exact=True).click()
    row = page.locator("tbody tr", has=page.get_by_role("link", name=subject, exact=True))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Tindak lanjuti")
    expect(row.locator("td").last).to_have_text("belum dibaca")
    shot("recipient-inbox")
