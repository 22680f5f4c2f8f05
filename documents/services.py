"""Document workflows: the three-step upload, deletion and the hand-off to workers."""

from __future__ import annotations

import logging
import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone

from accounts.models import User
from documents import search, storage
from documents.models import Document, StorageDeletion
from kite.errors import (
    Duplicate,
    FileTooLarge,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    SizeMismatch,
    StorageUnavailable,
    UploadMissing,
)
from quotas.models import Quota
from topics.models import DocumentTopic, Topic

logger = logging.getLogger(__name__)

MAX_FILENAME_LENGTH = 255


def sanitize_filename(name: str) -> str:
    """A display name safe anywhere: no directories, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if not name:
        return "unnamed"
    if len(name) > MAX_FILENAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: MAX_FILENAME_LENGTH - len(ext)] + ext
    return name


def _quota_exceeded(user: User, size: int) -> QuotaExceeded:
    quota = Quota.objects.get(user=user)
    return QuotaExceeded(
        size_bytes=size,
        used_bytes=quota.used_bytes,
        limit_bytes=quota.limit_bytes,
        remaining_bytes=quota.remaining_bytes,
    )


def document_upload_url(
    *, user: User, filename: str, size_bytes: int, content_type: str, sha256: str = "", classify: bool = True
) -> tuple[Document, dict]:
    """Step 1 of D-05: check the size, reserve a document, and presign the one POST that may fill it."""
    if size_bytes > settings.KITE_MAX_UPLOAD_BYTES:
        raise FileTooLarge(size_bytes=size_bytes, max_bytes=settings.KITE_MAX_UPLOAD_BYTES)
    if size_bytes > Quota.objects.get(user=user).remaining_bytes:
        raise _quota_exceeded(user, size_bytes)
    sha256 = sha256.lower()
    if sha256:
        existing = Document.objects.owned_by(user).stored().filter(sha256=sha256).first()
        if existing is not None:
            raise Duplicate(document_id=str(existing.pk), filename=existing.filename)
    filename = sanitize_filename(filename)
    document_id = uuid.uuid4()
    document = Document(
        id=document_id,
        owner=user,
        title=os.path.splitext(filename)[0] or filename,
        filename=filename,
        content_type=content_type,
        size_bytes=size_bytes,
        sha256=sha256,
        key=document_key(user, document_id),
        classify=classify,
    )
    upload = storage.presigned_post(key=document.key, size=size_bytes, content_type=content_type, sha256=sha256)
    document.save(force_insert=True)
    return document, upload


def document_key(user: User, document_id) -> str:
    """Where a person's document lives in storage: known from the ids alone."""
    return f"u/{user.uuid}/{document_id}"


def document_confirm(*, user: User, document_id) -> Document:
    """Step 3 of D-05: verify the object, charge the quota once, and queue the document.

    The object's key follows from the ids, so storage is asked first, before any row is read or locked
    (no lock is held over a network call), and the row is then read once, locked.
    """
    stored = storage.head(document_key(user, document_id))
    with transaction.atomic():
        # has_topics lets the answer skip a query for the topics a document being confirmed rarely has yet.
        document = (
            Document.objects.owned_by(user)
            .select_for_update(of=("self",))
            .annotate(has_topics=Exists(DocumentTopic.objects.filter(document=OuterRef("pk"))))
            .filter(pk=document_id)
            .first()
        )
        if document is None:
            raise NotFound()
        if document.state != Document.State.UPLOADING:
            return document  # D-06: already confirmed, nothing more to charge
        if document.key != document_key(user, document_id):
            stored = storage.head(document.key)  # a key from another scheme: ask again (held lock, rare)
        if stored is None:
            raise UploadMissing()
        if stored.size != document.size_bytes:
            raise SizeMismatch(declared_bytes=document.size_bytes, stored_bytes=stored.size)
        if Quota.objects.charge(user, document.size_bytes):
            rejected = None
            _mark_confirmed(document, stored.etag)
        else:
            # STORE-05: the upload does not fit, so neither its row nor its object stays.
            rejected = _quota_exceeded(user, document.size_bytes)
            _discard_upload(document)
    if rejected is not None:
        raise rejected  # after the block, so the discard commits
    return document


def _mark_confirmed(document: Document, etag: str) -> None:
    document.etag = etag
    document.state = Document.State.QUEUED if document.classify else Document.State.SKIPPED
    # Optimistic: cleared again if the broker refuses the message.
    document.enqueued_at = timezone.now() if document.classify else None
    document.save(update_fields=["etag", "state", "enqueued_at", "updated"])
    if document.state == Document.State.QUEUED:
        document_id = document.pk
        transaction.on_commit(lambda: enqueue_processing(document_id))


def _discard_upload(document: Document) -> None:
    """Drop an uncharged upload: its row now, its object once the transaction commits."""
    StorageDeletion.objects.get_or_create(key=document.key)
    document.delete()
    key = document.key
    transaction.on_commit(lambda: storage_deletion_attempt(key))


def document_delete(*, user: User, document_id) -> None:
    """STORE-06: release exactly the document's size once; the object goes now or via the retry queue."""
    with transaction.atomic():
        document = Document.objects.owned_by(user).select_for_update().filter(pk=document_id).first()
        if document is None:
            raise NotFound()
        if document.state != Document.State.UPLOADING and not Quota.objects.release(user, document.size_bytes):
            # The quota says less than this document: reconcile_quotas will report the drift.
            logger.error("quota of user %s is below document %s's size", user.pk, document.pk)
        _discard_upload(document)


def storage_deletion_attempt(key: str) -> bool:
    """Delete one queued object; on failure it stays queued for the periodic retry."""
    try:
        storage.delete(key)
    except StorageUnavailable as exc:
        StorageDeletion.objects.filter(key=key).update(attempts=F("attempts") + 1, last_error=str(exc))
        logger.warning("storage unavailable, deletion of %s queued for retry", key)
        return False
    StorageDeletion.objects.filter(key=key).delete()
    return True


def enqueue_processing(document_id) -> bool:
    """Send the document to the workers; a broker outage leaves it `queued` for the sweeper."""
    from documents.tasks import process_document

    try:
        process_document.send(str(document_id))
    except Exception:
        logger.exception("could not enqueue document %s; the sweeper will send it", document_id)
        Document.objects.filter(pk=document_id, state=Document.State.QUEUED).update(enqueued_at=None)
        return False
    return True


def upload_url_expiry() -> int:
    return settings.KITE_UPLOAD_URL_EXPIRY


def document_search(owner: User, q: str, queryset: QuerySet[Document] | None = None) -> QuerySet[Document]:
    """`owner`'s documents (of `queryset`, by default all of theirs) matching `q`, with `search_rank` and an
    HTML-safe `search_snippet`, best first (documents/search.py). The match itself reaches only `owner`'s words."""
    if queryset is None:
        queryset = Document.objects.owned_by(owner)
    return search.document_search(queryset, q, owner=owner)


@transaction.atomic
def document_update(*, user: User, document: Document, title: str | None = None, topic_ids=None) -> Document:
    """Rename, and/or set the document's topics by hand (T-01): listed topics become manual."""
    if title is not None:
        document.title = title.strip() or document.title
        document.save(update_fields=["title", "updated"])
    if topic_ids is not None:
        wanted = set(topic_ids)
        found = set(Topic.objects.visible_to(user).filter(pk__in=wanted).values_list("pk", flat=True))
        if found != wanted:
            raise InvalidInput("Unknown topic ids: " + ", ".join(map(str, sorted(wanted - found))))
        DocumentTopic.objects.filter(document=document).exclude(topic_id__in=wanted).delete()
        DocumentTopic.objects.filter(document=document, topic_id__in=wanted).update(
            source=DocumentTopic.Source.MANUAL, confidence=None
        )
        have = set(DocumentTopic.objects.filter(document=document).values_list("topic_id", flat=True))
        DocumentTopic.objects.bulk_create(
            DocumentTopic(document=document, topic_id=pk, source=DocumentTopic.Source.MANUAL) for pk in wanted - have
        )
        transaction.on_commit(lambda: _send_training(user.pk))
    return document


def _send_training(user_id: int) -> None:
    from documents.tasks import train_builtin_model

    try:
        train_builtin_model.send(user_id)
    except Exception:  # the model is only a little older; the next change retrains it
        logger.warning("could not enqueue classifier training for user %s", user_id)


def document_reclassify(*, user: User, document_id) -> Document:
    """Queue a stored document for another classification run (DOC-06)."""
    with transaction.atomic():
        document = Document.objects.owned_by(user).select_for_update().filter(pk=document_id).first()
        if document is None:
            raise NotFound()
        if document.state == Document.State.UPLOADING:
            raise UploadMissing()
        document.state = Document.State.QUEUED
        document.error = ""
        document.classify = True
        document.enqueued_at = timezone.now()
        document.save(update_fields=["state", "error", "classify", "enqueued_at", "updated"])
        transaction.on_commit(lambda: enqueue_processing(document.pk))
    return document


# --- Periodic jobs (run by `manage.py run_periodic`) ---------------------------

BATCH = 500


def storage_deletions_drain() -> int:
    """STORE-06: retry queued object deletions; stop at the first failure, storage is still down."""
    deleted = 0
    for key in StorageDeletion.objects.values_list("key", flat=True)[:BATCH]:
        if not storage_deletion_attempt(key):
            break
        deleted += 1
    return deleted


def uploads_purge_stale() -> int:
    """D-07: uploads never confirmed within KITE_PENDING_UPLOAD_TTL lose their row and object."""
    cutoff = timezone.now() - timedelta(seconds=settings.KITE_PENDING_UPLOAD_TTL)
    purged = 0
    for pk in Document.objects.filter(state=Document.State.UPLOADING, created__lt=cutoff).values_list("pk", flat=True)[
        :BATCH
    ]:
        with transaction.atomic():
            # skip_locked: a confirm holding this row decides its fate, not us.
            document = (
                Document.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=Document.State.UPLOADING)
                .first()
            )
            if document is not None:
                _discard_upload(document)
                purged += 1
    return purged


def documents_sweep_queue() -> int:
    """Re-send documents whose message never reached the broker, or whose worker died long ago."""
    now = timezone.now()
    lost = Q(state=Document.State.QUEUED, enqueued_at__isnull=True) | Q(
        state__in=[Document.State.QUEUED, Document.State.PROCESSING],
        updated__lt=now - timedelta(seconds=settings.KITE_PROCESSING_TIMEOUT),
    )
    ids = list(Document.objects.filter(lost).values_list("pk", flat=True)[:BATCH])
    Document.objects.filter(pk__in=ids).update(state=Document.State.QUEUED, enqueued_at=now, updated=now)
    return sum(enqueue_processing(pk) for pk in ids)


@dataclass(frozen=True)
class QuotaDrift:
    user_id: int
    username: str
    recorded_bytes: int
    actual_bytes: int

    @property
    def delta(self) -> int:
        return self.recorded_bytes - self.actual_bytes


def _stored_bytes(user_id: int) -> int:
    return Document.objects.stored().filter(owner_id=user_id).aggregate(total=Sum("size_bytes"))["total"] or 0


def quotas_reconcile(*, fix: bool = False) -> list[QuotaDrift]:
    """D-10: compare each used_bytes with its stored documents; with fix, set it right under a row lock."""
    totals = dict(
        Document.objects.stored().values("owner_id").annotate(total=Sum("size_bytes")).values_list("owner_id", "total")
    )
    drifts = []
    for quota in Quota.objects.select_related("user").order_by("user_id"):
        actual = totals.get(quota.user_id, 0)
        if quota.used_bytes == actual:
            continue
        if fix:
            with transaction.atomic():
                # The lock waits for in-flight confirms, so the sum below includes them.
                locked = Quota.objects.select_for_update().get(pk=quota.pk)
                actual = _stored_bytes(quota.user_id)
                locked.used_bytes = actual
                locked.limit_bytes = max(locked.limit_bytes, actual)
                locked.save(update_fields=["used_bytes", "limit_bytes"])
        drifts.append(QuotaDrift(quota.user_id, quota.user.username, quota.used_bytes, actual))
    return drifts
