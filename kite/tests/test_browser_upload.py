"""A person signs up and uploads a PDF in a real Chromium, straight to storage (D-05, STORE-04)."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from devtools.testing.samples import make_pdf
from documents.models import Document
from kite.tests.conftest import sign_up
from quotas.models import Quota

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_upload_a_pdf_and_see_it_listed_with_the_quota_charged(page, worker, tmp_path):
    """D-05, STORE-04, UI-02: sign up, upload to storage from the browser, see it listed and the exact size charged."""
    pdf = tmp_path / "invoice.pdf"
    pdf.write_bytes(make_pdf("Invoice 2026-11: consulting services, total due 1200 EUR."))
    size = pdf.stat().st_size

    sign_up(page, "dora")

    page.get_by_role("link", name="Upload", exact=True).first.click()
    page.set_input_files("#files", str(pdf))
    page.wait_for_selector(".upload-item.done")

    user = User.objects.get(username="dora")
    document = Document.objects.get(owner=user)
    assert document.filename == "invoice.pdf" and document.size_bytes == size
    assert Quota.objects.get(user=user).used_bytes == size

    page.get_by_role("link", name="Documents", exact=True).click()
    row = page.locator("table.documents tbody tr")
    assert row.count() == 1
    assert "invoice.pdf" in row.inner_text()
    assert page.locator("#quota-progress").get_attribute("value") == str(size)
    assert f"{size}\xa0bytes" in page.locator(".quota-meter").inner_text()


def test_an_administrator_made_by_createsuperuser_uploads_through_the_page(page, log_in, tmp_path, monkeypatch):
    """ACC-02, D-05: the administrator `manage.py createsuperuser` makes has a quota and uploads on the page,
    and the menu leads them to the admin."""
    from django.core.management import call_command

    from accounts.tests.factories import PASSWORD

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command("createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.com")
    admin = User.objects.get(username="admin")
    note = tmp_path / "note.txt"
    note.write_bytes(b"The first note of the household's administrator.")

    log_in(admin)
    page.get_by_role("link", name="Upload", exact=True).first.click()
    page.set_input_files("#files", str(note))
    page.wait_for_selector(".upload-item.done")
    assert Quota.objects.get(user=admin).used_bytes == note.stat().st_size
    page.get_by_role("link", name="Admin").click()
    page.wait_for_url("**/admin/")


def test_a_browser_without_crypto_subtle_still_sends_the_checksum(page, worker, tmp_path):
    """D-09b, D-05: over plain HTTP on a LAN address the browser has no crypto.subtle; the page hashes the file
    itself, so storage still pins the upload to its bytes and duplicates are still caught."""
    import hashlib

    page.add_init_script("Object.defineProperty(globalThis.crypto, 'subtle', { get: () => undefined })")
    note = tmp_path / "lan.txt"
    note.write_bytes(b"Uploaded from a laptop on the home network. " * 2000)  # several SHA-256 blocks
    sign_up(page, "lena")
    assert page.evaluate("globalThis.crypto.subtle") is None
    page.get_by_role("link", name="Upload", exact=True).first.click()
    page.set_input_files("#files", str(note))
    page.wait_for_selector(".upload-item.done")
    document = Document.objects.get(owner__username="lena")
    assert document.sha256 == hashlib.sha256(note.read_bytes()).hexdigest()


# Wraps the page's XMLHttpRequest: with `__failParts`, PUTs of parts after the first fail as a dropped connection
# would; with `__holdParts`, they wait until `__releaseParts()` is called.
PART_CONTROL = """
(() => {
  const send = XMLHttpRequest.prototype.send;
  const open = XMLHttpRequest.prototype.open;
  const held = [];
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.__part = method === "PUT" ? Number((/[?&]partNumber=(\\d+)/.exec(url) || [])[1] || 0) : 0;
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.send = function (body) {
    if (this.__part > 1 && window.__failParts) {
      setTimeout(() => this.dispatchEvent(new ProgressEvent("error")), 10);
      return;
    }
    if (this.__part && window.__holdParts) {
      held.push(() => send.call(this, body));
      return;
    }
    return send.call(this, body);
  };
  window.__releaseParts = () => {
    window.__holdParts = false;
    held.splice(0).forEach((go) => go());
  };
})();
"""


def test_a_large_upload_interrupted_by_a_reload_resumes_where_it_was(page, tmp_path, settings):
    """UP-01, UP-02: a 12 MiB file goes up in 5 MiB parts; the connection drops after the first part and the page
    is reloaded; the same file picked again goes on from the stored part (within the reservation it holds), its
    progress bar starting where it was, and the document is the file, byte for byte, charged once."""
    import hashlib

    import requests

    from documents import storage

    settings.KITE_MULTIPART_THRESHOLD = settings.KITE_MULTIPART_PART_SIZE = 5 * 1024 * 1024
    data = hashlib.sha256(b"scan").digest() * (12 * 1024 * 1024 // 32)
    archive = tmp_path / "archive.bin"
    archive.write_bytes(data)
    page.add_init_script(PART_CONTROL)
    sign_up(page, "mira")
    # Room for this file only: resuming must not count its own reservation against it.
    Quota.objects.filter(user__username="mira").update(limit_bytes=len(data) + 1000)
    page.get_by_role("link", name="Upload", exact=True).first.click()

    page.evaluate("window.__failParts = true")
    page.set_input_files("#files", str(archive))
    page.wait_for_selector(".upload-item.failed")
    document = Document.objects.get(owner__username="mira")
    assert document.state == "uploading"

    page.reload()
    page.evaluate("window.__holdParts = true")
    page.set_input_files("#files", str(archive))
    status = page.locator(".upload-item .status")
    status.filter(has_text="Uploading… 41%").wait_for()  # 5 of 12 MiB already stored
    assert float(page.locator(".upload-item progress").evaluate("bar => bar.value")) >= 5 / 12
    page.evaluate("window.__releaseParts()")
    page.wait_for_selector(".upload-item.done")

    document.refresh_from_db()
    assert document.state != "uploading" and document.size_bytes == len(data)
    quota = Quota.objects.get(user=document.owner)
    assert (quota.used_bytes, quota.reserved_bytes) == (len(data), 0)
    url = storage.presigned_get(key=document.key, filename=document.filename, content_type=document.content_type)
    assert requests.get(url, timeout=60).content == data
    assert page.evaluate("Object.keys(localStorage).filter(k => k.startsWith('kite-upload:')).length") == 0


def test_upload_results_add_up_put_failures_first_and_outlive_the_page(page, worker, alice, log_in, tmp_path):
    """A file over the quota is refused without a Retry (retrying cannot help) and with a way to make room; a file
    uploaded but unreadable is counted as uploaded; failures come first; and after leaving the page the last
    day's uploads are still listed there, the one that could not be read first."""
    good = tmp_path / "letter.txt"
    good.write_bytes(b"Dear Ada, the garden party is on Sunday.\n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nthis is not a PDF at all\n%%EOF\n")
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"x" * 50_000)
    Quota.objects.filter(user=alice).update(limit_bytes=10_000)
    log_in(alice)
    page.goto(page.base_url + "/documents/upload/")

    page.set_input_files("#files", [str(good), str(broken), str(huge)])
    summary = page.locator("#uploads-summary")
    expect(summary).to_have_text("2 of 3 uploaded (1 could not be read), 1 not uploaded", timeout=60_000)
    items = page.locator("#uploads .upload-item")
    refused = items.first
    expect(refused).to_contain_text("huge.txt")
    expect(refused).to_contain_text("Not enough storage")
    expect(refused.get_by_role("button", name="Retry huge.txt")).to_have_count(0)
    expect(refused.get_by_role("button", name="Dismiss huge.txt")).to_be_visible()
    expect(refused.get_by_role("link", name="Make room among your documents")).to_be_visible()

    page.goto(page.base_url + "/documents/")
    page.goto(page.base_url + "/documents/upload/")
    recent = page.locator("#recent-uploads li")
    expect(recent).to_have_count(2)
    expect(recent.first).to_contain_text("broken.pdf")
    expect(recent.first).to_contain_text("Failed")
    expect(recent.nth(1)).to_contain_text("letter.txt")


def test_retry_keeps_keyboard_focus_on_the_file(page, alice, log_in, tmp_path):
    """A lost connection is worth retrying: Retry, pressed from the keyboard, leaves focus on that file (not on
    the page's start) while it goes up again."""
    letter = tmp_path / "letter.txt"
    letter.write_bytes(b"Dear Ada, the garden party is on Sunday.\n")
    log_in(alice)
    page.goto(page.base_url + "/documents/upload/")
    # The connection drops once, as a phone's does: the first request for an upload URL never leaves.
    page.evaluate(
        """() => {
            const fetch = window.fetch;
            let dropped = false;
            window.fetch = (url, options) => {
                if (!dropped && String(url).includes("/upload-url/")) {
                    dropped = true;
                    return Promise.reject(new TypeError("Failed to fetch"));
                }
                return fetch(url, options);
            };
        }"""
    )
    page.set_input_files("#files", str(letter))
    retry = page.get_by_role("button", name="Retry letter.txt")
    expect(retry).to_be_visible()
    retry.focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".upload-item.done")
    assert page.evaluate("document.activeElement.textContent") == "letter.txt"
    expect(page.locator("#uploads-summary")).to_have_text("1 of 1 uploaded")
