"""Periodic jobs, run by `manage.py run_periodic` so they work while the broker is down."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from activity.services import Action, record
from documents.models import Document, StorageDeletion
from documents.processing import GAVE_UP, MAX_ATTEMPTS
from documents.services import enqueue_processing, storage_deletion_attempt, upload_discard
from documents.tasks import process_document
from kite.broker import messages_held

BATCH = 500


def storage_deletions_drain() -> int:
    """STORE-06: retry queued object deletions; stop at the first failure, storage is still down."""
    deleted = 0
    for key in StorageDeletion.objects.filter(StorageDeletion.due()).values_list("key", flat=True)[:BATCH]:
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
                upload_discard(document)
                purged += 1
    return purged


def documents_sweep_queue() -> int:
    """Re-send documents whose message never reached the broker, was lost by it, or whose worker died long ago.

    A Redis or Valkey broker may accept a message and lose it (killed before it wrote the message down).
    Documents still `queued` KITE_QUEUE_RESEND_AFTER seconds after their hand-off are sent again when the
    broker holds no message for the workers at all, none waiting and none being worked on; a long queue that
    is merely busy is left alone.
    """
    now = timezone.now()
    lost = Q(state=Document.State.QUEUED, enqueued_at__isnull=True) | Q(
        state__in=[Document.State.QUEUED, Document.State.PROCESSING],
        updated__lt=now - timedelta(seconds=settings.KITE_PROCESSING_TIMEOUT),
    )
    waiting = Q(state=Document.State.QUEUED, enqueued_at__lt=now - timedelta(seconds=settings.KITE_QUEUE_RESEND_AFTER))
    if Document.objects.filter(waiting).exists() and messages_held(process_document.queue_name) == 0:
        lost |= waiting
    # A document that used up its attempts is not sent again, ever: it ends failed, saying why.
    spent = Document.objects.filter(lost, attempts__gte=MAX_ATTEMPTS)
    for document in spent.only("pk", "attempts", "owner_id", "title")[:BATCH]:
        error = GAVE_UP.format(attempts=document.attempts)
        with transaction.atomic():
            if Document.objects.filter(lost, pk=document.pk).update(
                state=Document.State.FAILED, error=error, updated=now
            ):
                record(document.owner_id, Action.READ_FAILED, document=document, detail=error)
    candidates = list(Document.objects.filter(lost, attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True)[:BATCH])
    # Each row is taken only if it still qualifies: a worker may have claimed it since the list was read.
    ids = [
        pk
        for pk in candidates
        if Document.objects.filter(lost, pk=pk).update(state=Document.State.QUEUED, enqueued_at=now, updated=now)
    ]
    return sum(enqueue_processing(pk) for pk in ids)
