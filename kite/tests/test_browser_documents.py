"""Documents in a real Chromium against the live server, SeaweedFS and a real worker (UI-01, UI-02, UI-03)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from conftest import object_exists, upload_document
from documents import services
from documents.models import Document
from documents.tests.factories import DocumentFactory
from kite.templatetags.sizes import filesize
from kite.tests.conftest import SAMPLES, TOPICS, sign_up, teach
from quotas.models import Quota
from topics.models import DocumentTopic, Topic
from topics.tests.factories import TopicFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILING_TIMEOUT = 30_000  # ms: extraction and classification by the real worker


@pytest.mark.slow
def test_sign_up_then_upload_three_files_at_once_and_watch_each_get_classified(page, worker, sample_files):
    """UI-02, UI-04, D-05, DOC-01, STORE-04: a new person creates topics, picks a PDF, a DOCX and a text file at
    once; each gets its own progress bar, goes straight to storage, and its state follows the worker to
    `classified` with topics (the built-in classifier knowing what their earlier filing taught), without a
    reload; the list and the quota meter then show all three."""
    sign_up(page, "erin")
    expect(page.get_by_text("No documents yet.")).to_be_visible()

    page.get_by_role("link", name="Topics", exact=True).click()
    for name, description in TOPICS.items():
        page.get_by_label("Name").fill(name)
        page.get_by_label("Description").fill(description)
        page.get_by_role("button", name="Create topic").click()
        expect(page.get_by_role("status")).to_contain_text(f"Topic “{name}” created.")
    erin = User.objects.get(username="erin")
    teach(erin, {topic.name: topic for topic in Topic.objects.filter(owner=erin)})

    page.get_by_role("link", name="Upload", exact=True).click()
    page.set_input_files("#files", list(sample_files.values()))
    items = page.locator(".upload-item")
    expect(items).to_have_count(3)
    for name in SAMPLES:
        item = items.filter(has_text=name)
        expect(item.locator("progress")).to_have_attribute("aria-label", f"Upload progress of {name}")
        expect(item).to_have_attribute("data-state", "classified", timeout=FILING_TIMEOUT)
        expect(item.locator(".badge")).to_have_text("Classified")
        expect(item.locator(".topic").first).to_be_visible()
        assert item.locator("progress").evaluate("bar => bar.value") == 1
    expect(page.locator("#uploads-summary")).to_have_text("3 of 3 uploaded")

    user = User.objects.get(username="erin")
    documents = Document.objects.filter(owner=user)
    assert {d.filename for d in documents} == set(SAMPLES)
    assert all(d.state == "classified" and d.assignments.exists() for d in documents)
    total = sum(d.size_bytes for d in documents)
    assert Quota.objects.get(user=user).used_bytes == total
    expect(page.locator("#quota-progress")).to_have_attribute("value", str(total))

    page.get_by_role("link", name="Documents", exact=True).click()
    rows = page.locator("table.documents tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("[data-state-badge]")).to_have_text(["Classified"] * 3)


@pytest.mark.slow
def test_list_badges_follow_the_worker_without_a_reload_and_polling_stops(page, alice, alice_api, log_in, request):
    """UI-01, DOC-06: a queued document's badge and topics change to what the worker decided while the list
    stays open (no reload), and the page stops asking once nothing is pending."""
    TopicFactory(owner=alice, name="Garden", description="Plants, roses, soil and the garden")
    document = upload_document(alice_api, b"Roses need rich soil; the garden plants want water.", filename="g.txt")
    log_in(alice)
    row = page.locator(f"tr[data-document-id='{document['id']}']")
    badge = row.locator("[data-state-badge]")
    expect(badge).to_have_text("Queued")
    page.evaluate("window.sameDocument = true")
    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/documents/states/" in r.url else None)

    request.getfixturevalue("worker")  # starts with an empty queue: hand the document over again
    services.enqueue_processing(document["id"])
    expect(badge).to_have_text("Classified", timeout=FILING_TIMEOUT)
    expect(badge).to_have_class(re.compile(r"\bstate-classified\b"))
    expect(row.locator("[data-topics] .topic")).to_have_text(["Garden"])
    assert page.evaluate("window.sameDocument") is True
    assert polls and all(document["id"] in url for url in polls)

    asked = len(polls)
    page.wait_for_timeout(2_500)  # longer than the polling interval
    assert len(polls) == asked


@pytest.mark.slow
def test_find_by_a_word_filter_by_topic_edit_topics_and_delete(page, alice, filed, log_in):
    """UI-01, UI-03, T-01, DOC-06, STORE-06, STORE-04, LIFE-01: search finds a document by a word of its text; the topic
    filter shows exactly that topic's documents; topics edited on the document page become manual and survive a
    re-classification the page follows live; moving to the trash asks first, says what it frees, keeps the stored
    object for the trash and lowers the quota meter by exactly its size."""
    log_in(alice)
    rows = page.locator("table.documents tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Search").fill("marzipan")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("invoice.pdf")

    page.get_by_role("link", name="Clear").click()
    travel = filed.topics["Travel"]
    page.locator("summary", has_text="Topics").click()
    page.get_by_role("checkbox", name="Travel", exact=True).check()
    page.get_by_role("button", name="Search").click()
    expected = set(Document.objects.filter(assignments__topic=travel).values_list("filename", flat=True))
    assert expected == {"lisbon.txt"}
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("lisbon.txt")

    invoice = filed.documents["invoice.pdf"]
    page.get_by_role("link", name="Clear").click()
    page.get_by_role("link", name="invoice", exact=True).click()
    chips = page.locator("#document-topics .topic")
    expect(chips.filter(has_text="Invoices")).to_contain_text("built-in")
    expect(page.locator("iframe.preview-pdf")).to_have_attribute("src", f"/documents/{invoice.pk}/preview/")
    page.get_by_label("Invoices").uncheck()
    page.get_by_label("Travel").check()
    page.get_by_role("button", name="Save topics").click()
    expect(page.get_by_role("status").filter(has_text="Topics saved.")).to_be_visible()
    expect(chips).to_have_text(["Travel you"])
    assigned = DocumentTopic.objects.filter(document=invoice)
    assert [(a.topic.name, a.source) for a in assigned] == [("Travel", "manual")]

    page.get_by_role("button", name="Re-classify").click()
    expect(page.get_by_role("status").filter(has_text="Kite will file this document again")).to_be_visible()
    expect(page.locator("#document-state")).to_have_text("Classified", timeout=FILING_TIMEOUT)  # no reload
    expect(chips.filter(has_text="Travel")).to_have_text("Travel you")

    used = Quota.objects.get(user=alice).used_bytes
    expect(page.locator("#quota-progress")).to_have_attribute("value", str(used))
    page.get_by_role("link", name="Move to trash…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move “invoice” to the trash?")
    expect(page.locator("main")).to_contain_text(f"This frees {filesize(invoice.size_bytes)}")
    assert Document.objects.owned_by(alice).filter(pk=invoice.pk).exists()  # asking moves nothing
    page.get_by_role("button", name="Move to trash").click()
    page.wait_for_url(re.compile(r"/documents/$"))
    expect(page.get_by_role("status")).to_contain_text("Moved “invoice” to the trash.")
    expect(page.locator("#quota-progress")).to_have_attribute("value", str(used - invoice.size_bytes))
    expect(rows).to_have_count(2)
    assert Document.objects.in_trash_of(alice).filter(pk=invoice.pk).exists()
    assert object_exists(invoice.key)  # in the trash, the file stays until the trash is emptied


def test_uploads_over_the_quota_or_the_size_limit_show_why_and_offer_what_helps(
    page, alice, log_in, tmp_path, settings
):
    """UI-02, STORE-05: a file over the remaining quota and one over the per-file maximum each say why they
    were refused, store nothing and charge nothing. Retrying cannot help either: the quota one links to the
    documents to make room; once there is room, the same file picked again goes up."""
    settings.KITE_MAX_UPLOAD_BYTES = 10_000
    Quota.objects.filter(user=alice).update(limit_bytes=3_000)
    over_quota = tmp_path / "scan.txt"
    over_quota.write_bytes(b"a scan of a long letter " * 200)
    too_large = tmp_path / "video.txt"
    too_large.write_bytes(b"x" * 20_000)

    log_in(alice)
    page.get_by_role("link", name="Upload", exact=True).click()
    page.set_input_files("#files", [over_quota, too_large])
    quota_item = page.locator(".upload-item", has_text="scan.txt")
    large_item = page.locator(".upload-item", has_text="video.txt")
    expect(quota_item).to_have_class(re.compile(r"\bfailed\b"))
    expect(quota_item.get_by_role("alert")).to_have_text(
        "Not enough storage: this file needs 4.7\xa0KB and you have 2.9\xa0KB left."
    )
    expect(quota_item.get_by_role("link", name="Make room among your documents")).to_have_attribute(
        "href", "/documents/"
    )
    expect(quota_item.get_by_role("button", name="Retry scan.txt")).to_have_count(0)
    expect(large_item.get_by_role("alert")).to_contain_text("Too large: this file is 19.5\xa0KB")
    expect(large_item.get_by_role("button", name="Dismiss video.txt")).to_be_visible()
    expect(page.locator("#uploads-summary")).to_have_text("0 of 2 uploaded, 2 not uploaded")
    assert not Document.objects.filter(owner=alice).exists()
    assert Quota.objects.get(user=alice).used_bytes == 0

    Quota.objects.filter(user=alice).update(limit_bytes=1_000_000)
    quota_item.get_by_role("button", name="Dismiss scan.txt").click()
    large_item.get_by_role("button", name="Dismiss video.txt").click()
    expect(page.locator(".upload-item")).to_have_count(0)
    page.set_input_files("#files", [over_quota])
    again = page.locator(".upload-item", has_text="scan.txt")
    expect(again).to_have_class(re.compile(r"\bdone\b"))
    expect(again.locator(".badge")).to_have_text("Queued")
    document = Document.objects.get(owner=alice)
    assert document.filename == "scan.txt" and document.state == "queued"
    assert Quota.objects.get(user=alice).used_bytes == over_quota.stat().st_size


def test_sorting_and_pagination_keep_the_search(page, alice, log_in):
    """UI-01: results sort by the chosen order, 25 to a page, and the next page keeps the search and the order."""
    for n in range(1, 28):
        DocumentFactory(
            owner=alice,
            title=f"report {n:02}",
            filename=f"report-{n:02}.txt",
            size_bytes=10,
            state=Document.State.SKIPPED,
        )
    DocumentFactory(owner=alice, title="holiday", size_bytes=10, state=Document.State.UPLOADING)  # never listed
    log_in(alice)
    page.get_by_label("Search").fill("report")
    page.get_by_label("Sort").select_option(label="Title Z–A")
    page.get_by_role("button", name="Search").click()
    titles = page.locator("table.documents tbody tr .title-cell a")
    expect(titles).to_have_count(25)
    expect(titles.first).to_have_text("report 27")
    expect(page.locator(".result-count")).to_have_text("27 documents found, showing 1–25")
    page.get_by_role("link", name="Next →").click()
    expect(titles).to_have_text(["report 02", "report 01"])
    expect(page.get_by_label("Search")).to_have_value("report")
    expect(page.get_by_label("Sort")).to_have_value("-title")
