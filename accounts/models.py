"""People and their personal API tokens."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone

from quotas.models import Quota


class User(AbstractUser):
    # Stable, unguessable id used in storage keys (u/<uuid>/<document uuid>).
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    email = models.EmailField("email address", blank=True)

    def save(self, *args, **kwargs) -> None:
        """ACC-02: a new person gets their quota in the same transaction, however they were made.

        Sign-up, `createsuperuser`, the admin and `create_user` all come through here; `loaddata`, which
        saves rows raw, is covered by the `post_save` receiver in accounts.apps. A changed password (the
        password pages, a reset, the admin, a shell) revokes the person's API tokens in the same save.
        """
        adding = self._state.adding
        # set_password() keeps the new password here until the save; a new password ends every API token.
        password_changed = getattr(self, "_password", None) is not None and not adding
        with transaction.atomic(using=kwargs.get("using")):
            super().save(*args, **kwargs)
            if adding:
                Quota.objects.ensure_for(self)
            if password_changed:
                self.api_tokens.all().delete()


def password_stamp(password_hash: str) -> str:
    """What a token remembers of the password it was made under: when the password changes, by any path (even
    a direct UPDATE, or one racing the token's creation), the stamp no longer matches and the token is dead."""
    return hashlib.sha256(f"kite-token:{password_hash}".encode()).hexdigest()


def hash_token_key(key: str) -> str:
    """Tokens are 256 random bits, so one round of SHA-256 is enough to store them safely."""
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_key(self, key: str) -> ApiToken | None:
        """The token with this key, unless it has expired."""
        unexpired = Q(expires__isnull=True) | Q(expires__gt=timezone.now())
        return self.select_related("user").filter(unexpired, key_hash=hash_token_key(key)).first()


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The first characters of the key, so a person can tell tokens apart.
    prefix = models.CharField(max_length=8, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    password_stamp = models.CharField(max_length=64, editable=False)
    # None: until revoked (or the password changes).
    expires = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_current(self) -> bool:
        """Made under the person's present password."""
        return self.password_stamp == password_stamp(self.user.password)


def _window_start(window_seconds: int):
    """The start of the fixed window of `window_seconds` that now falls in."""
    now = timezone.now()
    return now - timedelta(seconds=now.timestamp() % window_seconds)


class AddressAttemptQuerySet(models.QuerySet["AddressAttempt"]):
    def count_one(self, *, action: str, address: str, window_seconds: int) -> int:
        """Count one `action` from `address` in the current window, and return how many there have been in it.

        One conditional UPDATE, or a first row: concurrent attempts are all counted.
        """
        key = {"action": action, "address": address, "window": _window_start(window_seconds)}
        for _ in range(2):
            if self.filter(**key).update(count=models.F("count") + 1):
                return self.filter(**key).values_list("count", flat=True).get()
            try:
                with transaction.atomic():
                    self.create(**key, count=1)
                return 1
            except IntegrityError:
                continue  # another request made the row first: count on it
        return self.filter(**key).values_list("count", flat=True).get()

    def current(self, *, action: str, address: str, window_seconds: int) -> int:
        window = _window_start(window_seconds)
        return self.filter(action=action, address=address, window=window).values_list("count", flat=True).first() or 0


class AddressAttempt(models.Model):
    """How often one address did something in one window of time, across every username (ACC-04)."""

    action = models.CharField(max_length=20)
    address = models.CharField(max_length=45)
    window = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    objects = AddressAttemptQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint("action", "address", "window", name="address_attempt_unique")]

    def __str__(self) -> str:
        return f"{self.action} from {self.address}: {self.count}"
