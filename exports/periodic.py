"""The scheduler's export jobs (exports.apps hands them to `manage.py run_periodic`)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from documents import storage
from documents.models import StorageDeletion
from documents.reconcile import ORPHAN_MIN_AGE
from documents.services import storage_deletion_attempt
from exports.models import EXPORT_PREFIX, Export
from exports.services import WORKER_DIED, export_delete, export_fail
from exports.tasks import EXPORT_TIME_LIMIT_SECONDS

BATCH = 500


def exports_expire(*, now=None) -> int:
    """LIFE-05: an export past its expiry loses its object (through the deletion retry queue) and its row."""
    expired = Export.objects.filter(expires_at__lte=now or timezone.now())[:BATCH]
    for export in expired:
        export_delete(export)
    return len(expired)


def exports_fail_stale() -> int:
    """An export queued or running for longer than its worker may run was lost with its worker: fail it, so its
    person can ask again, and abort what it had written."""
    cutoff = timezone.now() - timedelta(seconds=EXPORT_TIME_LIMIT_SECONDS + 600)
    stale = list(Export.objects.active().filter(created__lt=cutoff).values_list("pk", flat=True)[:BATCH])
    for export_id in stale:
        export_fail(export_id=export_id, error=WORKER_DIED)
    return len(stale)


def exports_reconcile(*, min_age: timedelta = ORPHAN_MIN_AGE) -> int:
    """Export objects and multipart uploads under EXPORT_PREFIX that no export accounts for (a worker that
    finished after its person was deleted, an abort storage refused): delete and abort them."""
    cutoff = timezone.now() - min_age
    old = [listed.key for listed in storage.list_objects(EXPORT_PREFIX) if listed.last_modified < cutoff]
    known = set(Export.objects.filter(key__in=old).values_list("key", flat=True))
    orphans = [key for key in old if key not in known]
    StorageDeletion.objects.bulk_create([StorageDeletion(key=key) for key in orphans], ignore_conflicts=True)
    for key in orphans:
        storage_deletion_attempt(key)
    uploads = [listed for listed in storage.multipart_uploads(EXPORT_PREFIX) if listed.initiated < cutoff]
    writing = set(
        Export.objects.filter(upload_id__in=[listed.upload_id for listed in uploads]).values_list(
            "upload_id", flat=True
        )
    )
    abandoned = [listed for listed in uploads if listed.upload_id not in writing]
    for listed in abandoned:
        storage.multipart_abort(key=listed.key, upload_id=listed.upload_id)
    return len(orphans) + len(abandoned)
