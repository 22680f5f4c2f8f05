"""Each person's storage quota, changed only by conditional UPDATEs (STORE-03, UP-03).

`used_bytes` is what confirmed documents take; `reserved_bytes` is what uploads in flight may still take (UP-03):
an upload URL reserves its declared size, confirm turns the reservation into use, and a discarded upload
releases it. The database holds `used + reserved <= limit` as a constraint, so no path (API, pages, admin,
management commands) can overshoot the limit, whatever it does.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Greatest
from django.db.models.lookups import LessThanOrEqual

from kite.templatetags.sizes import filesize


class QuotaQuerySet(models.QuerySet):
    def ensure_for(self, user) -> None:
        """Give `user` the default quota unless they have one; never touches an existing quota."""
        self.bulk_create(
            [self.model(user_id=user.pk, limit_bytes=settings.KITE_DEFAULT_QUOTA_BYTES)], ignore_conflicts=True
        )

    def charge(self, user, nbytes: int) -> bool:
        """Add `nbytes` of use if they fit beside what is used and reserved; one UPDATE, so concurrent charges can
        never overshoot."""
        updated = self.filter(user=user, used_bytes__lte=F("limit_bytes") - F("reserved_bytes") - nbytes).update(
            used_bytes=F("used_bytes") + nbytes
        )
        return updated == 1

    def release(self, user, nbytes: int) -> bool:
        updated = self.filter(user=user, used_bytes__gte=nbytes).update(used_bytes=F("used_bytes") - nbytes)
        return updated == 1

    def reserve(self, user, nbytes: int) -> bool:
        """UP-03: hold `nbytes` for an upload in flight if they fit; one conditional UPDATE, as charge."""
        updated = self.filter(user=user, used_bytes__lte=F("limit_bytes") - F("reserved_bytes") - nbytes).update(
            reserved_bytes=F("reserved_bytes") + nbytes
        )
        return updated == 1

    def unreserve(self, user_id: int, nbytes: int) -> None:
        """Give back an upload's reservation (purged, aborted, deleted or refused at confirm).

        Never below zero: a reservation lost to drift (reconcile_quotas reports it) must not make the next
        release fail, nor take another upload's reservation negative.
        """
        self.filter(user_id=user_id).update(reserved_bytes=Greatest(F("reserved_bytes") - nbytes, Value(0)))

    def use_reserved(self, user, nbytes: int) -> bool:
        """Confirm (UP-03, STORE-03): move an upload's reservation to use, in one UPDATE.

        With its reservation in place this always fits (used + reserved does not change). An upload whose
        reservation is missing (drift) is charged only if it fits, like any charge.
        """
        left = Greatest(F("reserved_bytes") - nbytes, Value(0))
        fits = LessThanOrEqual(F("used_bytes"), F("limit_bytes") - left - nbytes)
        updated = self.filter(fits, user=user).update(used_bytes=F("used_bytes") + nbytes, reserved_bytes=left)
        return updated == 1


class Quota(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="quota"
    )
    limit_bytes = models.BigIntegerField()
    used_bytes = models.BigIntegerField(default=0)
    # UP-03: declared sizes of the person's uploads in flight (documents still `uploading`).
    reserved_bytes = models.BigIntegerField(default=0)

    objects = QuotaQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(used_bytes__gte=0), name="quota_used_not_negative"),
            models.CheckConstraint(condition=Q(reserved_bytes__gte=0), name="quota_reserved_not_negative"),
            # Implies used <= limit (reserved is never negative). A limit is never lowered below used + reserved:
            # the admin refuses it under a row lock, and reconcile_quotas --fix raises a limit rather than lose
            # stored bytes.
            models.CheckConstraint(
                condition=Q(used_bytes__lte=F("limit_bytes") - F("reserved_bytes")),
                name="quota_used_and_reserved_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {filesize(self.used_bytes)} of {filesize(self.limit_bytes)}"

    @property
    def remaining_bytes(self) -> int:
        """What a new upload may still take: the limit less what is stored and what uploads in flight hold."""
        return max(self.limit_bytes - self.used_bytes - self.reserved_bytes, 0)

    @property
    def percent_used(self) -> int:
        if self.limit_bytes <= 0:
            return 100
        return min(100, round(100 * self.used_bytes / self.limit_bytes))
