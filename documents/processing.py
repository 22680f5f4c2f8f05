"""Processing one document: claim it, read its object, extract its text, and file it under topics.

The topics are chosen by topics.classification; this module owns the document's state while it is read.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from documents import dates, extraction, reading, sandbox, storage
from documents.models import Document, StorageDeletion
from documents.services import storage_deletion_attempt
from kite.errors import StorageUnavailable
from topics.classification.services import PermanentProviderError, TransientProviderError, classify
from topics.models import DocumentTopic, RejectedSuggestion

logger = logging.getLogger(__name__)

# The actor's first run and its five retries (documents.tasks.PROCESS_MAX_RETRIES): any claim past these is a
# document that keeps killing or stalling its worker, and it ends failed instead.
MAX_ATTEMPTS = 6
GAVE_UP = (
    "Kite tried to read this file {attempts} times and gave up: reading it takes too long or too much memory. "
    "It may be damaged."
)
NO_TEXT = "No text could be read from this file."
OBJECT_MISSING = "The stored file is missing, so it cannot be read. Upload it again."
SHA256_MISMATCH = (
    "The stored file's SHA-256 is {actual}, not the {declared} given when it was uploaded: it is not the file "
    "that was meant. Upload it again."
)
OBJECT_CHANGED = "The stored file is no longer the one that was uploaded, so Kite does not read it. Upload it again."


def _claim(document_id) -> Document | None:
    """Move a queued (or redelivered, still processing) document to processing and count the attempt; None if
    there is nothing to do, or if the document has used up its attempts (it then ends failed)."""
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(pk=document_id, state__in=[Document.State.QUEUED, Document.State.PROCESSING])
            .select_related("owner")
            .first()
        )
        if document is None:
            return None
        if document.attempts >= MAX_ATTEMPTS:
            document.state = Document.State.FAILED
            document.error = GAVE_UP.format(attempts=document.attempts)
            document.save(update_fields=["state", "error", "updated"])
            return None
        document.state = Document.State.PROCESSING
        document.error = ""
        document.attempts += 1
        document.page_reading = None
        document.save(update_fields=["state", "error", "attempts", "page_reading", "updated"])
        return document


def document_give_up(*, document_id, error: str) -> bool:
    """End a document this run could not finish (its time limit struck): `failed`, with `error`."""
    ended = Document.objects.filter(pk=document_id, state=Document.State.PROCESSING).update(
        state=Document.State.FAILED, error=error, updated=timezone.now()
    )
    return bool(ended)


def _limits() -> reading.Limits:
    return reading.Limits(
        max_chars=settings.KITE_CLASSIFY_MAX_CHARS,
        max_pages=settings.KITE_MAX_PAGES,
        max_pixels=settings.KITE_MAX_IMAGE_PIXELS,
        ocr_seconds=settings.KITE_OCR_SECONDS,
        engine=settings.KITE_OCR_ENGINE,
        languages=settings.KITE_OCR_LANGUAGES,
    )


def _read(document: Document, data: bytes) -> reading.Reading:
    """The document read: PDFs, Word and web files and images in a child process with limits (READ-03)."""
    content_type, filename = document.content_type, document.filename
    if extraction.needs_isolation(data, content_type=content_type, filename=filename):
        return sandbox.read_limited(
            data,
            content_type=content_type,
            filename=filename,
            limits=_limits(),
            seconds=settings.KITE_EXTRACT_SECONDS,
            memory_bytes=settings.KITE_EXTRACT_MEMORY_MB * 1024 * 1024,
            progress=_Progress(document),
        )
    text = extraction.extract_text(
        data, content_type=content_type, filename=filename, max_chars=settings.KITE_CLASSIFY_MAX_CHARS
    )
    if not text:
        return reading.Reading()
    return reading.Reading(text=text, text_source=reading.TEXT, thumbnail=reading.text_thumbnail(text))


class _Progress:
    """READ-04: the page being read, written at most once a second; each write also tells the sweeper that the
    document's worker is alive (documents.periodic), however long a scan takes."""

    INTERVAL = 1.0

    def __init__(self, document: Document) -> None:
        self.document_id = document.pk
        self.last = 0.0

    def __call__(self, page: int, pages: int) -> None:
        now = time.monotonic()
        if now - self.last < self.INTERVAL and page != 1:
            return
        self.last = now
        Document.objects.filter(pk=self.document_id, state=Document.State.PROCESSING).update(
            page_reading=page, pages=pages, updated=timezone.now()
        )


def _store_thumbnail(document: Document, read: reading.Reading) -> bool:
    """A thumbnail is worth having, not worth failing or retrying a document for: an outage skips it."""
    if not read.thumbnail:
        return False
    try:
        storage.put(document.thumbnail_key, read.thumbnail, content_type=reading.THUMBNAIL_CONTENT_TYPE)
    except StorageUnavailable:
        logger.warning("storage unavailable, no thumbnail stored for document %s", document.pk)
        return False
    return True


def _finish(
    document: Document,
    *,
    state: str,
    text: str | None = None,
    error: str = "",
    assignments=(),
    read: reading.Reading | None = None,
    thumbnail: bool = False,
) -> bool:
    """Write the outcome once: only if the document is still this run's (not deleted, not re-queued)."""
    found_date = dates.find_date(text) if text else None  # before the row is locked: parsing takes a moment
    with transaction.atomic():
        current = Document.objects.select_for_update().filter(pk=document.pk).first()
        if current is None:
            # Deleted while it was read: a thumbnail this run may have stored since the deletion goes too.
            _forget_thumbnail(document)
        if current is None or current.state != Document.State.PROCESSING:
            return False
        if state == Document.State.CLASSIFIED:
            manual = set(
                DocumentTopic.objects.filter(document=current, source=DocumentTopic.Source.MANUAL).values_list(
                    "topic_id", flat=True
                )
            )
            # A topic the person rejected for this document is neither suggested nor filed there again.
            rejected = set(RejectedSuggestion.objects.filter(document=current).values_list("topic_id", flat=True))
            # T-01: manual assignments survive; every earlier automatic one (suggestions too) is replaced.
            DocumentTopic.objects.filter(document=current).filter(~Q(source=DocumentTopic.Source.MANUAL)).delete()
            DocumentTopic.objects.bulk_create(
                DocumentTopic(document=current, topic=topic, source=source, confidence=round(conf, 4))
                for topic, conf, source in assignments
                if topic.pk not in manual and topic.pk not in rejected
            )
        current.state = state
        current.error = error
        current.page_reading = None
        fields = ["state", "error", "page_reading", "updated"]
        if text is not None:
            current.text = text
            fields.append("text")
            if current.date_source != Document.DateSource.MANUAL:
                current.date = found_date
                current.date_source = Document.DateSource.TEXT if current.date else ""
                fields += ["date", "date_source"]
        if read is not None:
            current.pages, current.text_source, current.reader = read.pages, read.text_source, read.engine
            current.reading_note = read.partial
            fields += ["pages", "text_source", "reader", "reading_note"]
        if thumbnail:
            current.thumbnail_at = timezone.now()
            fields.append("thumbnail_at")
        current.save(update_fields=fields)
        return True


def _forget_thumbnail(document: Document) -> None:
    """The document was deleted while it was read: the thumbnail stored since then goes too."""
    key = document.thumbnail_key
    StorageDeletion.objects.get_or_create(key=key)
    transaction.on_commit(lambda: _delete_now(key))


def _delete_now(key: str) -> None:
    storage_deletion_attempt(key)


def _skip_too_large(document: Document) -> str:
    limit = settings.KITE_CLASSIFY_MAX_BYTES // (1024 * 1024)
    _finish(document, state=Document.State.SKIPPED, error=f"This file is too large to read (over {limit} MB).")
    return Document.State.SKIPPED


def _sha256_checked(document: Document, sha256: str) -> bool:
    """Record the SHA-256 read from storage (duplicates are found by it); a different one declared at upload
    fails the document, saying both."""
    declared = document.sha256
    if declared != sha256:
        Document.objects.filter(pk=document.pk).update(sha256=sha256)
    if declared and declared != sha256:
        _finish(document, state=Document.State.FAILED, error=SHA256_MISMATCH.format(actual=sha256, declared=declared))
        return False
    return True


def document_process(*, document_id, final_attempt: bool = True) -> str | None:
    """Classify one document. Transient failures raise (the actor retries) unless this is the final attempt."""
    document = _claim(document_id)
    if document is None:
        return None
    # PDF and DOCX keep their index at the end: a prefix of them cannot be read.
    too_large = document.size_bytes > settings.KITE_CLASSIFY_MAX_BYTES and not document.content_type.startswith("text/")
    # A multipart object (its ETag ends in -<parts>) had its parts checked by storage, never the whole file: its
    # SHA-256 is computed here, while reading (UP-01).
    multipart = "-" in document.etag
    if too_large and not multipart:
        return _skip_too_large(document)
    try:
        if multipart:
            data, sha256 = storage.read_hashed(
                document.key, etag=document.etag, max_bytes=settings.KITE_CLASSIFY_MAX_BYTES
            )
            if not _sha256_checked(document, sha256):
                return Document.State.FAILED
            if too_large:
                return _skip_too_large(document)
        else:
            data = storage.read(document.key, etag=document.etag, max_bytes=settings.KITE_CLASSIFY_MAX_BYTES)
        read = _read(document, data)
        del data
        thumbnail = _store_thumbnail(document, read)
        text = read.text
        if not text.strip():
            _finish(
                document,
                state=Document.State.SKIPPED,
                text="",
                error=NO_TEXT,
                read=read,
                thumbnail=thumbnail,
            )
            return Document.State.SKIPPED
        classification = classify(owner=document.owner, text=text)
    except extraction.ExtractionError as exc:
        _finish(document, state=Document.State.FAILED, error=str(exc))
        return Document.State.FAILED
    except storage.ObjectMissing:
        # Deleted while this worker read it: the row is gone too, and there is nothing to report.
        if not _finish(document, state=Document.State.FAILED, error=OBJECT_MISSING):
            return None
        return Document.State.FAILED
    except storage.ObjectChanged:
        _finish(document, state=Document.State.FAILED, error=OBJECT_CHANGED)
        return Document.State.FAILED
    except PermanentProviderError as exc:
        _finish(document, state=Document.State.FAILED, text=text, error=str(exc), read=read, thumbnail=thumbnail)
        return Document.State.FAILED
    except (TransientProviderError, StorageUnavailable) as exc:
        if not final_attempt:
            raise
        _finish(document, state=Document.State.FAILED, error=f"{exc} Kite gave up after several attempts.")
        return Document.State.FAILED
    assignments = [(topic, confidence, classification.source) for topic, confidence in classification.choices]
    assignments += [
        (topic, confidence, DocumentTopic.Source.SUGGESTED) for topic, confidence in classification.suggestions
    ]
    _finish(
        document, state=Document.State.CLASSIFIED, text=text, assignments=assignments, read=read, thumbnail=thumbnail
    )
    return Document.State.CLASSIFIED
