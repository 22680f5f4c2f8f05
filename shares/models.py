"""Share links (LIFE-04): an expiring, revocable address that lets anyone holding it download one document.

Only a hash of a link's token is stored, as with API tokens: the token itself is shown once, when it is made.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


def hash_share_token(token: str) -> str:
    """Tokens are 256 random bits, so one round of SHA-256 is enough to store them safely."""
    return hashlib.sha256(f"kite-share:{token}".encode()).hexdigest()


class ShareLinkQuerySet(models.QuerySet["ShareLink"]):
    def active(self) -> ShareLinkQuerySet:
        """Links that still open: neither revoked nor expired."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ShareLink(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Deleting the document (or its owner) deletes its links: nothing is left to open.
    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="share_links")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # A make_password hash, or empty for a link without a password.
    password = models.CharField(max_length=128, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    opens = models.PositiveIntegerField(default=0)
    last_opened_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    objects = ShareLinkQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        # Nothing of the document: staff's screens never show what a person shared.
        return f"Share link {self.pk}"

    @property
    def has_password(self) -> bool:
        return bool(self.password)
