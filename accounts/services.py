"""Account workflows: creating and deleting people, issuing and revoking tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, User, hash_token_key, password_stamp
from activity.services import Action, record
from kite.clientip import client_ip

# Refresh last_used at most this often, so every API call is not a write.
LAST_USED_GRANULARITY_SECONDS = 60


def user_create(*, username: str, password: str | None, email: str = "", **fields) -> User:
    """A new person; their quota comes with them (User.save)."""
    return get_user_model().objects.create_user(username=username, email=email, password=password, **fields)


TOKEN_MAX_DAYS = 365


@transaction.atomic
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
    record(user, Action.TOKEN_CREATED, detail=f"“{token.name}”")
    return token, key


def token_touch(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > LAST_USED_GRANULARITY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


@transaction.atomic
def token_revoke(*, user: User, token_id: int) -> bool:
    token = ApiToken.objects.filter(user=user, pk=token_id).select_for_update().first()
    if token is None:
        return False
    token.delete()
    record(user, Action.TOKEN_REVOKED, detail=f"“{token.name}”")
    return True


def user_delete(*, user: User) -> None:
    """ACC-05: delete the person with their topics, tokens and quota.

    Their documents go with them, and the documents app queues the stored objects for deletion in the same
    transaction, whichever way the person is deleted (this page, the admin, a shell).
    """
    user.delete()


def _where(request) -> str:
    """How and from where a sign-in came, as the activity log says it."""
    if request is None:
        return ""
    how = "API token request" if request.path.startswith("/api/") else "Log-in page"
    address = client_ip(request)
    return f"{how} from {address}" if address else how


def sign_in_record(*, user: User, request) -> None:
    """LIFE-06: a sign-in (the log-in page, sign-up, or a token obtained with the password) in the person's log."""
    record(user, Action.SIGN_IN, detail=_where(request))


def sign_in_failed_record(*, username: str | None, request) -> None:
    """LIFE-06: a failed sign-in, in the log of the person it named; a username nobody has leaves no trace."""
    user = User.objects.filter(username=username).only("pk").first() if username else None
    if user is not None:
        record(user, Action.SIGN_IN_FAILED, detail=_where(request))
