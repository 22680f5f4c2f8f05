"""Account workflows: creating people with their quota, issuing and revoking tokens."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from accounts.models import ApiToken, ProviderSettings, User, hash_token_key
from kite import crypto
from kite.errors import InvalidInput

# Refresh last_used at most this often, so every API call is not a write.
LAST_USED_GRANULARITY_SECONDS = 60


def user_create(*, username: str, password: str | None, email: str = "", **fields) -> User:
    """A new person; their quota comes with them (User.save)."""
    return get_user_model().objects.create_user(username=username, email=email, password=password, **fields)


def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """Return the token row and the key, which is shown once and never stored."""
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name or "API token", key_hash=hash_token_key(key), prefix=key[:8])
    return token, key


def token_touch(*, token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used is None or (now - token.last_used).total_seconds() > LAST_USED_GRANULARITY_SECONDS:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
        token.last_used = now


def token_revoke(*, user: User, token_id: int) -> bool:
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return deleted > 0


def user_delete(*, user: User) -> int:
    """ACC-05: delete the person with their documents, topics, tokens and quota, and queue their objects.

    The object keys are queued in the same transaction, so they are deleted
    from storage even if storage is down right now; returns how many.
    """
    from documents.models import Document, StorageDeletion
    from documents.tasks import drain_storage_deletions

    with transaction.atomic():
        keys = list(Document.objects.filter(owner=user).values_list("key", flat=True))
        StorageDeletion.objects.bulk_create([StorageDeletion(key=key) for key in keys], ignore_conflicts=True)
        user.delete()
        if keys:
            transaction.on_commit(_send_quietly(drain_storage_deletions))
    return len(keys)


def _send_quietly(actor):
    def send() -> None:
        try:
            actor.send()
        except Exception:  # the scheduler drains the queue anyway
            pass

    return send


def provider_settings_save(
    *, user: User, kind: str, base_url: str = "", model: str = "", api_key: str | None = None
) -> ProviderSettings:
    """DOC-03, DOC-08: store a person's provider; the key is encrypted, a private base URL refused unless allowed.

    `api_key=None` keeps the stored key, `""` removes it.
    """
    from documents.urlguard import check_base_url

    if base_url:
        try:
            base_url = check_base_url(base_url, allow_private=settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="base_url") from None
    if kind in (ProviderSettings.Kind.OPENAI, ProviderSettings.Kind.ANTHROPIC) and not model:
        raise InvalidInput("Choose the model this provider should use.", field="model")
    provider, _ = ProviderSettings.objects.get_or_create(user=user, defaults={"kind": kind})
    provider.kind = kind
    provider.base_url = base_url if kind != ProviderSettings.Kind.BUILTIN else ""
    provider.model = model if kind != ProviderSettings.Kind.BUILTIN else ""
    if kind == ProviderSettings.Kind.BUILTIN or api_key == "":
        provider.api_key_encrypted = ""
    elif api_key is not None:
        provider.api_key_encrypted = crypto.encrypt(api_key)
    provider.save()
    return provider


def provider_settings_delete(*, user: User) -> None:
    ProviderSettings.objects.filter(user=user).delete()
