"""The trash (LIFE-01): deleting a document moves it here and releases its bytes from the quota at once;
restoring charges them again; purging (by its owner, or KITE_TRASH_DAYS later by the scheduler) deletes the
document and its stored objects through the deletion retry queue (STORE-06).

A trashed document keeps its state: a worker that is reading it finishes (documents.processing writes only
the fields it owns, never `deleted_at`), so a restored document is as read as it would have been. Only the
trash's own pages and endpoints see it (`Document.objects.in_trash_of`); everything else reads
`Document.objects.owned_by`, which leaves the trash out.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from activity.services import Action, record_many
from documents.models import Document, StorageDeletion
from documents.services import (
    _deletions_of,
    _quota_exceeded,
    _send_quietly,
    storage_deletion_attempt,
    upload_discard,
)
from kite.errors import NotFound
from quotas.models import Quota
from topics.tasks import train_builtin_model

logger = logging.getLogger(__name__)

BATCH = 500


def documents_trash_locked(*, user: User, documents: list[Document]) -> int:
    """Move `documents` (the person's, live, locked by the caller's transaction) to the trash and release their
    bytes in one conditional UPDATE (STORE-06). An upload never finished has no bytes to keep: it is discarded
    as before, with its reservation."""
    uploads = [document for document in documents if document.state == Document.State.UPLOADING]
    for upload in uploads:
        upload_discard(upload)
    stored = [document for document in documents if document.state != Document.State.UPLOADING]
    if not stored:
        return len(uploads)
    size = sum(document.size_bytes for document in stored)
    if not Quota.objects.release(user, size):
        # The quota says less than these documents: reconcile_quotas will report the drift.
        logger.error("quota of user %s is below the %s bytes of the documents trashed", user.pk, size)
    # `updated` is left alone: the queue sweeper reads it as a sign of a worker's life.
    Document.objects.filter(pk__in=[document.pk for document in stored]).update(deleted_at=timezone.now())
    record_many(user, Action.TRASH, stored)
    _retrain_after_commit(user)
    return len(documents)


def _retrain_after_commit(user: User) -> None:
    """The built-in classifier learns from filing outside the trash only: bring it up to date in the background
    (a no-op when none of these documents was filed by hand)."""
    transaction.on_commit(lambda: _send_quietly(train_builtin_model, user.pk))


def document_trash(*, user: User, document_id) -> None:
    """LIFE-01, STORE-06: move one of the person's documents to the trash, releasing exactly its size once."""
    with transaction.atomic():
        document = Document.objects.owned_by(user).select_for_update().filter(pk=document_id).first()
        if document is None:
            raise NotFound()
        documents_trash_locked(user=user, documents=[document])


def _trashed_locked(user: User, ids: Iterable) -> list[Document]:
    """The person's trashed documents `ids`, locked in a fixed order (concurrent calls never deadlock); 404 when
    any of them is not in their trash."""
    wanted = set(ids)
    documents = list(
        Document.objects.in_trash_of(user).select_for_update().filter(pk__in=wanted).order_by("pk").defer("text")
    )
    if len(documents) != len(wanted):
        raise NotFound("Not found in your trash.")
    return documents


def trash_restore(*, user: User, ids: Iterable) -> int:
    """LIFE-01: take documents out of the trash, charging their bytes again in one conditional UPDATE (STORE-03):
    all of them or, when they no longer fit, none (413 with the numbers)."""
    with transaction.atomic():
        documents = _trashed_locked(user, ids)
        size = sum(document.size_bytes for document in documents)
        if not Quota.objects.charge(user, size):
            raise _quota_exceeded(user, size)
        Document.objects.filter(pk__in=[document.pk for document in documents]).update(deleted_at=None)
        record_many(user, Action.RESTORE, documents)
        _retrain_after_commit(user)
    return len(documents)


def trash_empty(*, user: User, ids: Iterable | None = None) -> int:
    """LIFE-01: delete documents in the person's trash for good (`ids`, or all of them) with their objects."""
    with transaction.atomic():
        if ids is None:
            documents = list(Document.objects.in_trash_of(user).select_for_update().order_by("pk").defer("text"))
        else:
            documents = _trashed_locked(user, ids)
        _purge_locked(user, documents)
    return len(documents)


def _purge_locked(owner: User, documents: list[Document], detail: str = "") -> None:
    """Delete trashed documents (their bytes were released when they were trashed) and queue their objects in the
    same transaction, so storage being down loses nothing (STORE-06); the deletions are tried after commit."""
    if not documents:
        return
    queued = [deletion for document in documents for deletion in _deletions_of(document)]
    StorageDeletion.objects.bulk_create(queued, ignore_conflicts=True)
    record_many(owner, Action.PURGE, documents, detail=detail)
    Document.objects.filter(pk__in=[document.pk for document in documents]).delete()
    keys = [deletion.key for deletion in queued]
    transaction.on_commit(lambda: _attempt_all(keys))


def _attempt_all(keys: list[str]) -> None:
    """Delete the objects now; at the first failure storage is down, and the rest wait in the queue with it."""
    for key in keys:
        if not storage_deletion_attempt(key):
            break


def trash_purge_expired() -> int:
    """LIFE-01: documents trashed more than KITE_TRASH_DAYS ago are deleted for good (run by the scheduler)."""
    cutoff = timezone.now() - timedelta(days=settings.KITE_TRASH_DAYS)
    expired = Document.objects.trashed().filter(deleted_at__lt=cutoff)
    purged = 0
    for pk in expired.order_by("deleted_at").values_list("pk", flat=True)[:BATCH]:
        with transaction.atomic():
            # skip_locked: a restore holding the row decides its fate; the next run looks again.
            document = (
                Document.objects.trashed()
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("owner")
                .filter(pk=pk, deleted_at__lt=cutoff)
                .defer("text")
                .first()
            )
            if document is not None:
                _purge_locked(document.owner, [document], detail=f"After {settings.KITE_TRASH_DAYS} days in the trash")
                purged += 1
    return purged
