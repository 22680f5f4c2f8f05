"""`manage.py reconcile_quotas` and `reconcile_storage`: compare quotas with the documents they pay for (D-10),
and the bucket with the documents that account for its objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from documents import storage
from documents.models import THUMBNAIL_PREFIX, Document, MultipartUpload, StorageDeletion
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
    # UP-03: reserved_bytes against the declared sizes of the person's uploads in flight.
    recorded_reserved: int = 0
    actual_reserved: int = 0

    @property
    def delta(self) -> int:
        return self.recorded_bytes - self.actual_bytes

    @property
    def reserved_delta(self) -> int:
        return self.recorded_reserved - self.actual_reserved


def _totals(documents) -> dict[int, int]:
    return dict(documents.values("owner_id").annotate(total=Sum("size_bytes")).values_list("owner_id", "total"))


def _sum_of(documents, user_id: int) -> int:
    return documents.filter(owner_id=user_id).aggregate(total=Sum("size_bytes"))["total"] or 0


def _in_flight():
    return Document.objects.filter(state=Document.State.UPLOADING)


def quotas_reconcile(*, fix: bool = False) -> list[QuotaDrift]:
    """D-10, UP-03: compare each used_bytes with its stored documents and each reserved_bytes with its uploads in
    flight; with fix, set both right under a row lock (raising a limit that no longer holds them, as no stored
    byte and no upload under way is dropped here)."""
    stored, in_flight = _totals(Document.objects.stored()), _totals(_in_flight())
    drifts = []
    for quota in Quota.objects.select_related("user").order_by("user_id"):
        actual, reserved = stored.get(quota.user_id, 0), in_flight.get(quota.user_id, 0)
        if quota.used_bytes == actual and quota.reserved_bytes == reserved:
            continue
        if fix:
            with transaction.atomic():
                # The lock waits for in-flight confirms and upload URLs, so the sums below include them.
                locked = Quota.objects.select_for_update().get(pk=quota.pk)
                actual = _sum_of(Document.objects.stored(), quota.user_id)
                reserved = _sum_of(_in_flight(), quota.user_id)
                locked.used_bytes, locked.reserved_bytes = actual, reserved
                locked.limit_bytes = max(locked.limit_bytes, actual + reserved)
                locked.save(update_fields=["used_bytes", "reserved_bytes", "limit_bytes"])
        drifts.append(
            QuotaDrift(quota.user_id, quota.user.username, quota.used_bytes, actual, quota.reserved_bytes, reserved)
        )
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


def multipart_orphans(*, min_age: timedelta = ORPHAN_MIN_AGE, prefix: str = DOCUMENT_PREFIX):
    """Multipart uploads in storage that no document in flight accounts for (UP-02): its upload was purged,
    deleted or refused while storage was down, or its row never committed. Younger ones are left alone, as an
    upload URL may be committing right now."""
    cutoff = timezone.now() - min_age
    batch = [listed for listed in storage.multipart_uploads(prefix) if listed.initiated < cutoff]
    known: set[str] = set()
    for start in range(0, len(batch), ORPHAN_BATCH):
        ids = [listed.upload_id for listed in batch[start : start + ORPHAN_BATCH]]
        known |= set(MultipartUpload.objects.filter(upload_id__in=ids).values_list("upload_id", flat=True))
    return [listed for listed in batch if listed.upload_id not in known]


def multipart_abort_orphans(*, min_age: timedelta = ORPHAN_MIN_AGE, prefix: str = DOCUMENT_PREFIX) -> int:
    """The scheduler's run: abort every orphan multipart upload, so storage holds no part nobody pays for."""
    orphans = multipart_orphans(min_age=min_age, prefix=prefix)
    for orphan in orphans:
        storage.multipart_abort(key=orphan.key, upload_id=orphan.upload_id)
    return len(orphans)


def storage_reconcile_quietly() -> int:
    """The scheduler's run: delete orphans, say how many."""
    return len(storage_reconcile(fix=True))
