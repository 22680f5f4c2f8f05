"""Document workflows: the three-step upload, changes, deletion and the hand-off to workers.

Periodic jobs live in documents.periodic, quota reconciliation in documents.reconcile.
"""

from __future__ import annotations

import logging
import os
import unicodedata
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User
from documents import search, storage
from documents.models import Document, StorageDeletion
from documents.tasks import drain_storage_deletions, process_document
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
from topics.tasks import train_builtin_model

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


@dataclass(frozen=True)
class Confirmed:
    """A confirmed document, and whether it has any topics yet.

    The locked read that confirms the document learns this for nothing, so an answer shows the topics of a
    document being confirmed (which rarely has any) without asking for them in vain.
    """

    document: Document
    has_topics: bool


def document_confirm(*, user: User, document_id) -> Confirmed:
    """Step 3 of D-05: verify the object, charge the quota once, and queue the document.

    The object's key follows from the ids, so storage is asked first, before any row is read or locked
    (no lock is held over a network call), and the row is then read once, locked.
    """
    stored = storage.head(document_key(user, document_id))
    with transaction.atomic():
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
            return Confirmed(document, document.has_topics)  # D-06: already confirmed, nothing more to charge
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
            upload_discard(document)
    if rejected is not None:
        raise rejected  # after the block, so the discard commits
    return Confirmed(document, document.has_topics)


def _mark_confirmed(document: Document, etag: str) -> None:
    document.etag = etag
    document.state = Document.State.QUEUED if document.classify else Document.State.SKIPPED
    # Optimistic: cleared again if the broker refuses the message.
    document.enqueued_at = timezone.now() if document.classify else None
    document.save(update_fields=["etag", "state", "enqueued_at", "updated"])
    if document.state == Document.State.QUEUED:
        document_id = document.pk
        transaction.on_commit(lambda: enqueue_processing(document_id))


def upload_discard(document: Document) -> None:
    """Drop a document's row now, and its objects (file and thumbnail) once the transaction commits."""
    keys = document.object_keys()
    StorageDeletion.objects.bulk_create([StorageDeletion(key=key) for key in keys], ignore_conflicts=True)
    document.delete()
    transaction.on_commit(lambda: [storage_deletion_attempt(key) for key in keys])


def document_delete(*, user: User, document_id) -> None:
    """STORE-06: release exactly the document's size once; the object goes now or via the retry queue."""
    with transaction.atomic():
        document = Document.objects.owned_by(user).select_for_update().filter(pk=document_id).first()
        if document is None:
            raise NotFound()
        if document.state != Document.State.UPLOADING and not Quota.objects.release(user, document.size_bytes):
            # The quota says less than this document: reconcile_quotas will report the drift.
            logger.error("quota of user %s is below document %s's size", user.pk, document.pk)
        upload_discard(document)


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
    HTML-safe `search_snippet`, best first (documents.search). The match itself reaches only `owner`'s words."""
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
        # If the broker is down the model is only a little older; the next change retrains it.
        transaction.on_commit(lambda: _send_quietly(train_builtin_model, user.pk))
    return document


def _send_quietly(actor, *args) -> None:
    """Send work whose loss costs nothing lasting: a broker outage is logged, not raised."""
    try:
        actor.send(*args)
    except Exception:
        logger.warning("could not enqueue %s%s", actor.actor_name, args)


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
        document.attempts = 0
        document.enqueued_at = timezone.now()
        document.save(update_fields=["state", "error", "classify", "attempts", "enqueued_at", "updated"])
        transaction.on_commit(lambda: enqueue_processing(document.pk))
    return document


def owner_objects_queue_deletion(*, owner: User) -> int:
    """ACC-05: queue the stored objects of a person being deleted, in the deleting transaction; returns how many.

    Called for every deletion of a person (documents.apps connects it to the user's pre_delete), so the objects
    are deleted from storage even when storage is down right now, whoever deleted the person and how.
    """
    keys = [
        key for document in Document.objects.filter(owner=owner).only("key", "state") for key in document.object_keys()
    ]
    StorageDeletion.objects.bulk_create([StorageDeletion(key=key) for key in keys], ignore_conflicts=True)
    if keys:
        transaction.on_commit(lambda: _send_quietly(drain_storage_deletions))  # the scheduler drains it anyway
    return len(keys)
