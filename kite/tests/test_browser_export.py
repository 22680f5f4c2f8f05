"""The settings page's export in a real Chromium, with the live server, SeaweedFS and a real worker (LIFE-05)."""

import io
import json
import re
import zipfile

import pytest
from playwright.sync_api import expect

from conftest import upload_document

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_export_everything_from_the_settings_page_and_download_the_zip(
    page, alice, alice_api, worker, log_in, unique_bytes
):
    """LIFE-05, UI-04: "Export everything" queues an export; the box follows it to ready without a reload and
    then offers the zip, which downloads with every file and metadata.json."""
    files = {upload_document(alice_api, unique_bytes(2000), filename=f"letter {n}.txt")["id"]: n for n in range(2)}
    log_in(alice)
    page.goto(page.base_url + "/accounts/settings/")
    expect(page.get_by_text("No export yet.")).to_be_visible()
    page.get_by_role("button", name="Export everything").click()
    link = page.get_by_role("link", name=re.compile(r"Download kite-export-\d{4}-\d{2}-\d{2}\.zip"))
    expect(link).to_be_visible(timeout=30_000)
    expect(page.get_by_role("button", name="Export everything")).to_be_enabled()
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert re.fullmatch(r"kite-export-\d{4}-\d{2}-\d{2}\.zip", download.suggested_filename)
    with open(download.path(), "rb") as saved:
        archive = zipfile.ZipFile(io.BytesIO(saved.read()))
    metadata = json.loads(archive.read("metadata.json"))
    assert {entry["id"] for entry in metadata["documents"]} == set(files)
    assert len(archive.namelist()) == 3
