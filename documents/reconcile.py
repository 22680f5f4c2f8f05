"""`manage.py reconcile_quotas` and `reconcile_storage`: compare quotas with the documents they pay for (D-10),
and the bucket with the documents that account for its objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from documents import storage
from documents.models import THUMBNAIL_PREFIX, Document, StorageDeletion
from documents.services import storage_deletion_attempt
from quotas.models import Quota

# Objects of people's documents live under this prefix (documents.services.document_key), and their thumbnails
# under the same keys behind THUMBNAIL_PREFIX.
DOCUMENT_PREFIX = "u/"
# Younger objects are left alone: a deletion may be committing right now.
ORPHAN_MIN_AGE = timedelta(hours=1)
ORPHAN_BATCH = 1000


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


def storage_orphans(
    *, min_age: timedelta = ORPHAN_MIN_AGE, prefix: str = DOCUMENT_PREFIX
) -> list[storage.ListedObject]:
    """Objects in the bucket (documents under `prefix`, and their thumbnails) that no document and no queued
    deletion accounts for: bytes nobody is charged for (for example a presigned form posted again after its
    document was deleted)."""
    cutoff = timezone.now() - min_age
    orphans: list[storage.ListedObject] = []
    for listed_prefix in (prefix, THUMBNAIL_PREFIX + prefix):
        batch: list[storage.ListedObject] = []
        for listed in storage.list_objects(listed_prefix):
            if listed.last_modified < cutoff:
                batch.append(listed)
            if len(batch) == ORPHAN_BATCH:
                orphans += _unaccounted(batch)
                batch = []
        orphans += _unaccounted(batch)
    return orphans


def _owner_key(key: str) -> str:
    """The document key an object belongs to: its own, or the one its thumbnail was made from."""
    return key.removeprefix(THUMBNAIL_PREFIX)


def _unaccounted(batch: list[storage.ListedObject]) -> list[storage.ListedObject]:
    """Two queries for a whole batch of keys, whatever its size."""
    keys = [listed.key for listed in batch]
    documents = set(Document.objects.filter(key__in=[_owner_key(key) for key in keys]).values_list("key", flat=True))
    queued = set(StorageDeletion.objects.filter(key__in=keys).values_list("key", flat=True))
    return [listed for listed in batch if _owner_key(listed.key) not in documents and listed.key not in queued]


def storage_reconcile(*, fix: bool = False, min_age: timedelta = ORPHAN_MIN_AGE) -> list[storage.ListedObject]:
    """Find the orphans; with `fix`, delete them (through the retry queue, so an outage loses nothing)."""
    orphans = storage_orphans(min_age=min_age)
    if fix:
        for orphan in orphans:
            StorageDeletion.objects.get_or_create(key=orphan.key)
            storage_deletion_attempt(orphan.key)
    return orphans


def storage_reconcile_quietly() -> int:
    """The scheduler's run: delete orphans, say how many."""
    return len(storage_reconcile(fix=True))
