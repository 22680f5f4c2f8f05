"""Processing one document: claim it, read its object, extract its text, and file it under topics.

The topics are chosen by topics.classification; this module owns the document's state while it is read.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from documents import extraction, sandbox, storage
from documents.models import Document
from kite.errors import StorageUnavailable
from topics.classification.services import PermanentProviderError, TransientProviderError, classify
from topics.models import DocumentTopic

logger = logging.getLogger(__name__)

# The actor's first run and its five retries (documents.tasks.PROCESS_MAX_RETRIES): any claim past these is a
# document that keeps killing or stalling its worker, and it ends failed instead.
MAX_ATTEMPTS = 6
GAVE_UP = (
    "Kite tried to read this file {attempts} times and gave up: reading it takes too long or too much memory. "
    "It may be damaged."
)
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
        document.save(update_fields=["state", "error", "attempts", "updated"])
        return document


def document_give_up(*, document_id, error: str) -> bool:
    """End a document this run could not finish (its time limit struck): `failed`, with `error`."""
    ended = Document.objects.filter(pk=document_id, state=Document.State.PROCESSING).update(
        state=Document.State.FAILED, error=error, updated=timezone.now()
    )
    return bool(ended)


def _extract(document: Document, data: bytes) -> str:
    """The document's text; PDF and Word files are read in a child process with limits (READ-03)."""
    content_type, filename, max_chars = document.content_type, document.filename, settings.KITE_CLASSIFY_MAX_CHARS
    if extraction.needs_isolation(data, content_type=content_type, filename=filename):
        return sandbox.extract_text_limited(
            data,
            content_type=content_type,
            filename=filename,
            max_chars=max_chars,
            seconds=settings.KITE_EXTRACT_SECONDS,
            memory_bytes=settings.KITE_EXTRACT_MEMORY_MB * 1024 * 1024,
        )
    return extraction.extract_text(data, content_type=content_type, filename=filename, max_chars=max_chars)


def _finish(document: Document, *, state: str, text: str | None = None, error: str = "", assignments=()) -> bool:
    """Write the outcome once: only if the document is still this run's (not deleted, not re-queued)."""
    with transaction.atomic():
        current = Document.objects.select_for_update().filter(pk=document.pk).first()
        if current is None or current.state != Document.State.PROCESSING:
            return False
        if state == Document.State.CLASSIFIED:
            manual = set(
                DocumentTopic.objects.filter(document=current, source=DocumentTopic.Source.MANUAL).values_list(
                    "topic_id", flat=True
                )
            )
            # T-01: manual assignments survive; every earlier automatic one is replaced.
            DocumentTopic.objects.filter(document=current).filter(~Q(source=DocumentTopic.Source.MANUAL)).delete()
            DocumentTopic.objects.bulk_create(
                DocumentTopic(document=current, topic=topic, source=source, confidence=round(conf, 4))
                for topic, conf, source in assignments
                if topic.pk not in manual
            )
        current.state = state
        current.error = error
        fields = ["state", "error", "updated"]
        if text is not None:
            current.text = text
            fields.append("text")
        current.save(update_fields=fields)
        return True


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
        text = _extract(document, data)
        if not text.strip():
            _finish(document, state=Document.State.SKIPPED, text="", error="No text could be read from this file.")
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
        _finish(document, state=Document.State.FAILED, text=text, error=str(exc))
        return Document.State.FAILED
    except (TransientProviderError, StorageUnavailable) as exc:
        if not final_attempt:
            raise
        _finish(document, state=Document.State.FAILED, error=f"{exc} Kite gave up after several attempts.")
        return Document.State.FAILED
    assignments = [(topic, confidence, classification.source) for topic, confidence in classification.choices]
    _finish(document, state=Document.State.CLASSIFIED, text=text, assignments=assignments)
    return Document.State.CLASSIFIED
