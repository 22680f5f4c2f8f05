"""Account workflows: creating and deleting people, issuing and revoking tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import ApiToken, User, hash_token_key, password_stamp

# Refresh last_used at most this often, so every API call is not a write.
LAST_USED_GRANULARITY_SECONDS = 60


def user_create(*, username: str, password: str | None, email: str = "", **fields) -> User:
    """A new person; their quota comes with them (User.save)."""
    return get_user_model().objects.create_user(username=username, email=email, password=password, **fields)


TOKEN_MAX_DAYS = 365


def token_create(*, user: User, name: str = "", expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Return the token row and the key, which is shown once and never stored; without `expires_in_days` the
    token lasts until it is revoked or the password changes."""
    key = secrets.token_urlsafe(32)
    expires = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken.objects.create(
        user=user,
        name=name or "API token",
        key_hash=hash_token_key(key),
        prefix=key[:8],
        expires=expires,
        # The password this person proved (or the session holds) now: a change since makes the token useless.
        password_stamp=password_stamp(user.password),
    )
    return token, key


def token_touch(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > LAST_USED_GRANULARITY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


def token_revoke(*, user: User, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def user_delete(*, user: User) -> None:
    """ACC-05: delete the person with their topics, tokens and quota.

    Their documents go with them, and the documents app queues the stored objects for deletion in the same
    transaction, whichever way the person is deleted (this page, the admin, a shell).
    """
    user.delete()
