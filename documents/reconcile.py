"""`manage.py reconcile_quotas`: compare each quota with the documents it pays for (D-10)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Sum

from documents.models import Document
from quotas.models import Quota


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
