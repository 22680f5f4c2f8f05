"""The trash and bulk actions in a real Chromium against the live server and SeaweedFS (LIFE-01, LIFE-03)."""

import re

import pytest
from playwright.sync_api import expect

from conftest import upload_document
from documents.models import Document
from documents.tests.factories import DocumentFactory
from quotas.models import Quota
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trash_a_document_and_restore_it_from_the_trash_page(page, alice, alice_api, log_in):
    """LIFE-01, UI-03: "Move to trash" on the document page empties the list and the quota meter; the trash page,
    reached from the navigation, shows the document and restores it, charging the quota again."""
    document = upload_document(alice_api, b"A letter about the garden and the roses.\n" * 3, filename="garden.txt")
    size = document["size_bytes"]
    log_in(alice)
    expect(page.locator("#quota-progress")).to_have_attribute("value", str(size))
    page.get_by_role("link", name="garden", exact=True).click()
    page.get_by_role("link", name="Move to trash…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move “garden” to the trash?")
    page.get_by_role("button", name="Move to trash").click()
    page.wait_for_url(re.compile(r"/documents/$"))
    expect(page.get_by_role("status")).to_contain_text("Moved “garden” to the trash.")
    expect(page.locator("table.documents tbody tr")).to_have_count(0)
    expect(page.locator("#quota-progress")).to_have_attribute("value", "0")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trash")
    rows = page.locator("table.trash-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("garden.txt")
    page.get_by_role("button", name="Restore garden").click()
    expect(page.get_by_role("status")).to_contain_text("Restored 1 document.")
    expect(page.locator("main")).to_contain_text("The trash is empty.")
    expect(page.locator("#quota-progress")).to_have_attribute("value", str(size))
    assert Quota.objects.get(user=alice).used_bytes == size
    assert Document.objects.owned_by(alice).filter(pk=document["id"]).exists()

    page.get_by_role("link", name="Documents", exact=True).click()
    expect(page.locator("table.documents tbody tr")).to_have_count(1)


def test_bulk_retag_thirty_documents_from_the_list(page, alice, log_in):
    """LIFE-03, UI-01: select all on the page, then all 30 documents the search finds (past the 25 shown), add a
    topic from the action bar; every one of the 30 is filed under it by hand, and nothing else is."""
    topic = TopicFactory(owner=alice, name="Reports")
    reports = [
        DocumentFactory(owner=alice, title=f"report {n:02}", size_bytes=10, state=Document.State.SKIPPED)
        for n in range(30)
    ]
    other = DocumentFactory(owner=alice, title="holiday plans", size_bytes=10, state=Document.State.SKIPPED)
    log_in(alice)
    page.get_by_label("Search").fill("report")
    page.get_by_role("button", name="Search").click()
    boxes = page.locator('table.documents tbody input[type="checkbox"]')
    expect(boxes).to_have_count(25)

    page.get_by_label("Select all on this page").check()
    expect(page.locator("#bulk-count")).to_have_text("25 selected")
    for index in range(25):
        expect(boxes.nth(index)).to_be_checked()
    page.get_by_label("All 30 documents found").check()
    expect(page.locator("#bulk-count")).to_have_text("30 selected")
    page.get_by_label("Action").select_option(label="Add topic")
    page.get_by_label("Topic to add or remove").select_option(label="Reports")
    page.get_by_role("button", name="Apply").click()

    expect(page.get_by_role("status")).to_contain_text("Add topic: done for 30 documents.")
    expect(page.get_by_label("Search")).to_have_value("report")
    expect(page.locator("table.documents tbody tr .topics-cell").first).to_contain_text("Reports")
    tagged = DocumentTopic.objects.filter(topic=topic, source=DocumentTopic.Source.MANUAL)
    assert set(tagged.values_list("document_id", flat=True)) == {document.pk for document in reports}
    assert not DocumentTopic.objects.filter(document=other).exists()
