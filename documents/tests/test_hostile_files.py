"""READ-03, DOC-06: a hostile file fails alone, in bounded time and memory, and never stalls the workers.

The files are rebuilt from an outside probe of Kite: a Word table of merged cells (a few kilobytes, hours to
read), a PDF whose 500 pages share one content stream (hours), and a Word file of ten million empty
paragraphs (gigabytes of memory).
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from dramatiq.middleware import TimeLimitExceeded

from conftest import api_client_for, upload_document, wait_for
from devtools.testing.samples import make_docx, make_pdf, many_paragraphs_docx, merged_cells_docx, shared_stream_pdf
from documents import periodic, processing, sandbox
from documents.extraction import ExtractionError, extract_text
from documents.models import Document
from documents.reading import Limits
from documents.tasks import TOOK_TOO_LONG, process_document
from documents.tests.factories import DocumentFactory
from topics.tests.factories import TopicFactory

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MIB = 1024 * 1024
HOSTILE = {
    "merged-cells.docx": (DOCX, merged_cells_docx),
    "shared-stream.pdf": ("application/pdf", shared_stream_pdf),
    "many-paragraphs.docx": (DOCX, many_paragraphs_docx),
}


LIMITS = Limits(max_chars=10_000, max_pages=500, max_pixels=100_000_000, ocr_seconds=60, engine="auto", languages="eng")


def read_limited(
    data: bytes, content_type: str, seconds: int = 2, memory_bytes: int = 512 * MIB, filename: str = "file"
) -> str:
    return sandbox.read_limited(
        data, content_type=content_type, filename=filename, limits=LIMITS, seconds=seconds, memory_bytes=memory_bytes
    ).text


@pytest.mark.parametrize(
    ("name", "message", "seconds"),
    [
        ("merged-cells.docx", sandbox.TOO_LONG, 2),
        ("shared-stream.pdf", sandbox.TOO_LONG, 2),
        # Time enough that memory is the limit it meets.
        ("many-paragraphs.docx", sandbox.TOO_BIG, 60),
    ],
)
def test_a_hostile_file_is_stopped_at_its_limit_with_a_readable_reason(name, message, seconds):
    """READ-03: each probe file is small on disk; read in a child process with limits it fails with a reason
    the owner can read, instead of running for hours or taking gigabytes."""
    content_type, build = HOSTILE[name]
    data = build()
    assert len(data) < 100_000
    with pytest.raises(ExtractionError) as stopped:
        read_limited(data, content_type, seconds=seconds)
    assert str(stopped.value) == message


def test_html_that_parses_in_quadratic_time_is_read_with_limits_too():
    """READ-03: Python's HTML parser slows with the square of some inputs (repeated `</ `); such a file, even
    uploaded as plain text, is read in the child process and stopped at its limit."""
    data = b"<html>" + b"</ " * 200_000
    from documents.extraction import needs_isolation

    assert needs_isolation(data, content_type="text/plain", filename="notes.txt")
    with pytest.raises(ExtractionError) as stopped:
        read_limited(data, "text/plain", seconds=1, filename="notes.txt")
    assert str(stopped.value) == sandbox.TOO_LONG


def test_ordinary_files_read_the_same_in_the_child_process():
    """READ-03: the limits change nothing for real documents: the child reads what the worker itself would."""
    pdf = make_pdf("Invoice 2031: consulting services, 1140 EUR due by bank transfer.")
    word = make_docx(["Tenancy agreement for the apartment at 4 Harbour Street."], [["rent", "950 EUR"]])
    for data, content_type in [(pdf, "application/pdf"), (word, DOCX)]:
        expected = extract_text(data, content_type=content_type, filename="file", max_chars=10_000)
        assert expected and read_limited(data, content_type, seconds=30, memory_bytes=1024 * MIB) == expected


def test_a_damaged_file_still_says_it_is_damaged():
    """READ-03, SEC-06: a broken PDF read in the child process keeps its own message."""
    with pytest.raises(ExtractionError, match="damaged"):
        read_limited(b"%PDF-1.4\nnot really a pdf", "application/pdf")


@pytest.fixture
def quick_limits(settings):
    settings.KITE_EXTRACT_SECONDS = 2
    settings.KITE_EXTRACT_MEMORY_MB = 512


def test_a_hostile_upload_ends_failed_on_its_first_run(alice_api, quick_limits):
    """DOC-06, READ-03: the worker's run ends normally, the document `failed` with the reason; nothing to retry."""
    document = upload_document(alice_api, merged_cells_docx(), filename="merged.docx", content_type=DOCX)
    assert processing.document_process(document_id=document["id"], final_attempt=False) == "failed"
    stored = Document.objects.get(pk=document["id"])
    assert (stored.state, stored.error, stored.attempts) == ("failed", sandbox.TOO_LONG, 1)


def test_a_document_that_used_up_its_attempts_is_not_read_again(alice):
    """DOC-06: a document claimed MAX_ATTEMPTS times (each run killed or stalled) ends failed, saying so."""
    document = DocumentFactory(owner=alice, state=Document.State.PROCESSING, attempts=processing.MAX_ATTEMPTS)
    assert processing.document_process(document_id=document.pk) is None
    document.refresh_from_db()
    assert document.state == "failed" and f"{processing.MAX_ATTEMPTS} times" in document.error


def test_the_sweeper_never_resurrects_a_document_past_its_attempts(alice, settings):
    """DOC-06: a stalled document with attempts left is sent again; one without ends failed, for good."""
    long_ago = timezone.now() - timedelta(seconds=settings.KITE_PROCESSING_TIMEOUT + 60)
    spent = DocumentFactory(owner=alice, state=Document.State.PROCESSING, attempts=processing.MAX_ATTEMPTS)
    stalled = DocumentFactory(owner=alice, state=Document.State.PROCESSING, attempts=1)
    Document.objects.filter(pk__in=[spent.pk, stalled.pk]).update(updated=long_ago)
    periodic.documents_sweep_queue()
    spent.refresh_from_db()
    stalled.refresh_from_db()
    assert spent.state == "failed" and "gave up" in spent.error
    assert stalled.state == "queued"
    periodic.documents_sweep_queue()
    spent.refresh_from_db()
    assert spent.state == "failed"


def test_re_classifying_gives_a_document_its_attempts_back(alice_api, alice):
    """DOC-06: a person who asks again gets fresh attempts."""
    document = DocumentFactory(owner=alice, state=Document.State.FAILED, attempts=processing.MAX_ATTEMPTS)
    assert alice_api.post(f"/api/documents/{document.pk}/classify/").status_code == 202
    document.refresh_from_db()
    assert (document.state, document.attempts) == ("queued", 0)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_hostile_files_in_the_queue_never_stall_an_ordinary_one(alice, worker, quick_limits):
    """READ-03: with more hostile files queued than the worker has threads, an ordinary document behind them
    is still filed, and each hostile one ends failed."""
    TopicFactory(owner=alice, name="Garden", description="roses, soil, plants and the garden")
    client = api_client_for(alice)
    hostile = [
        upload_document(client, build(), filename=name, content_type=content_type)["id"]
        for name, (content_type, build) in HOSTILE.items()
    ]
    ordinary = upload_document(client, b"Roses want rich soil and the garden plants want water.", filename="g.txt")
    wait_for(lambda: Document.objects.get(pk=ordinary["id"]).state == "classified", timeout=60)
    wait_for(lambda: Document.objects.filter(pk__in=hostile, state="failed").count() == len(hostile), timeout=60)


def test_a_run_stopped_at_its_time_limit_ends_failed_not_processing(alice, monkeypatch):
    """DOC-06: Dramatiq stops a run at its time limit by raising TimeLimitExceeded, which no ordinary handler
    sees; the actor then marks the document failed, saying it took too long, instead of leaving it processing."""
    document = DocumentFactory(owner=alice, state=Document.State.QUEUED)

    def claimed_then_stopped(*, document_id, final_attempt):
        processing._claim(document_id)
        raise TimeLimitExceeded()  # what Dramatiq's TimeLimit middleware raises in the worker's thread

    monkeypatch.setattr(processing, "document_process", claimed_then_stopped)
    process_document(str(document.pk))  # calling an actor runs it here and now
    document.refresh_from_db()
    assert (document.state, document.error) == ("failed", TOOK_TOO_LONG)


def test_the_reader_never_sees_the_workers_secrets(monkeypatch):
    """READ-03: the child that parses hostile files gets a bare environment: no database address, storage keys or
    secret key for a parser bug to read."""
    monkeypatch.setenv("DATABASE_URL", "postgres://kite:hunter2@db/kite")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", "hunter2")
    monkeypatch.setenv("SECRET_KEY", "hunter2")
    passed = sandbox._child_environment()
    assert "hunter2" not in str(passed) and passed["PATH"] == os.environ["PATH"]
