"""Limits per client address, across usernames (ACC-04): django-axes counts failures per username and
address; these count what one address does to every account at once."""

from __future__ import annotations

from datetime import timedelta

from axes.exceptions import AxesBackendPermissionDenied
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from accounts.models import AddressAttempt
from kite.clientip import client_ip

FAILED_LOGIN = "failed-login"
SIGNUP = "signup"
SIGNUP_WINDOW_SECONDS = 3600


KEEP_SECONDS = 24 * 3600


def attempts_forget_old() -> int:
    """Drop counts from windows long past (run by the scheduler); returns how many rows went."""
    deleted, _ = AddressAttempt.objects.filter(window__lt=timezone.now() - timedelta(seconds=KEEP_SECONDS)).delete()
    return deleted


def _window() -> int:
    return settings.KITE_LOGIN_COOLOFF_MINUTES * 60


def login_failed(request: HttpRequest | None) -> None:
    """Count a failed log-in (page or token endpoint) against the address it came from."""
    address = client_ip(request) if request is not None else None
    if address:
        AddressAttempt.objects.count_one(action=FAILED_LOGIN, address=address, window_seconds=_window())


def signup_allowed(request: HttpRequest) -> bool:
    """Count a new account from this address; False once the address has made too many this hour."""
    address = client_ip(request)
    if not address:
        return True
    made = AddressAttempt.objects.count_one(action=SIGNUP, address=address, window_seconds=SIGNUP_WINDOW_SECONDS)
    return made <= settings.KITE_SIGNUPS_PER_ADDRESS


class AddressBackend:
    """Before the password backend: an address past KITE_ADDRESS_FAILURE_LIMIT failed log-ins in
    the cool-off window is refused for every username, with django-axes' own 429 answer. It never signs anybody
    in, so it has no get_user (sessions and force_login then use the password backend)."""

    def authenticate(self, request, **credentials):
        address = client_ip(request) if request is not None else None
        if not address:
            return None
        failures = AddressAttempt.objects.current(action=FAILED_LOGIN, address=address, window_seconds=_window())
        if failures >= settings.KITE_ADDRESS_FAILURE_LIMIT:
            request.axes_locked_out = True  # AxesMiddleware turns this into the lockout answer
            raise AxesBackendPermissionDenied("Too many failed log-ins from this address.")
        return None
