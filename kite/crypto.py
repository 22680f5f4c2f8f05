"""Encryption at rest for secrets people give Kite (provider API keys), with key rotation (MultiFernet)."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        # Without KITE_ENCRYPTION_KEY, derive one from SECRET_KEY so development works out of the box.
        keys = (base64.urlsafe_b64encode(hashlib.sha256(b"kite-encryption:" + secret_key.encode()).digest()).decode(),)
    return MultiFernet([Fernet(key.encode()) for key in keys])


def _current() -> MultiFernet:
    return _fernet(tuple(settings.KITE_ENCRYPTION_KEYS), settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext, or raise ValueError when no configured key can read it."""
    try:
        return _current().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("this secret was encrypted with a key that is no longer configured") from None


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    return _current().rotate(token.encode()).decode()
