"""Each person's storage quota, changed only by conditional UPDATEs (STORE-03)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class QuotaQuerySet(models.QuerySet):
    def ensure_for(self, user) -> None:
        """Give `user` the default quota unless they have one; never touches an existing quota."""
        self.bulk_create(
            [self.model(user_id=user.pk, limit_bytes=settings.KITE_DEFAULT_QUOTA_BYTES)], ignore_conflicts=True
        )

    def charge(self, user, nbytes: int) -> bool:
        """Add `nbytes` if they fit; one UPDATE, so concurrent charges can never overshoot."""
        updated = self.filter(user=user, used_bytes__lte=F("limit_bytes") - nbytes).update(
            used_bytes=F("used_bytes") + nbytes
        )
        return updated == 1

    def release(self, user, nbytes: int) -> bool:
        updated = self.filter(user=user, used_bytes__gte=nbytes).update(used_bytes=F("used_bytes") - nbytes)
        return updated == 1


class Quota(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="quota"
    )
    limit_bytes = models.BigIntegerField()
    used_bytes = models.BigIntegerField(default=0)

    objects = QuotaQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(used_bytes__gte=0), name="quota_used_not_negative"),
            models.CheckConstraint(condition=Q(used_bytes__lte=F("limit_bytes")), name="quota_used_within_limit"),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.used_bytes} of {self.limit_bytes} bytes"

    @property
    def remaining_bytes(self) -> int:
        return max(self.limit_bytes - self.used_bytes, 0)

    @property
    def percent_used(self) -> int:
        if self.limit_bytes <= 0:
            return 100
        return min(100, round(100 * self.used_bytes / self.limit_bytes))
