"""LIFE-04: limits on the public share pages, counted per client address and per link in ten-minute windows.

The counts live beside the log-in throttle's (accounts.AddressAttempt), so one scheduler job forgets them all.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest

from accounts.models import AddressAttempt
from kite.clientip import client_ip
from shares.models import ShareLink

WINDOW_SECONDS = 600
BY_ADDRESS = "share-address"
BY_LINK = "share-link"
WRONG_PASSWORD = "share-password"


def address_allowed(request: HttpRequest) -> bool:
    """Count a request to any share page from this address: guessing tokens costs a request each."""
    address = client_ip(request)
    if not address:
        return True
    made = AddressAttempt.objects.count_one(action=BY_ADDRESS, address=address, window_seconds=WINDOW_SECONDS)
    return made <= settings.KITE_SHARE_REQUESTS_PER_ADDRESS


def link_allowed(link: ShareLink) -> bool:
    """Count a request to this link from anywhere: a link posted publicly cannot be hammered."""
    made = AddressAttempt.objects.count_one(action=BY_LINK, address=str(link.pk), window_seconds=WINDOW_SECONDS)
    return made <= settings.KITE_SHARE_REQUESTS_PER_LINK


def password_attempts_left(link: ShareLink) -> bool:
    """Whether this link's password may be tried again now."""
    failed = AddressAttempt.objects.current(action=WRONG_PASSWORD, address=str(link.pk), window_seconds=WINDOW_SECONDS)
    return failed < settings.KITE_SHARE_PASSWORD_FAILURES


def password_failed(link: ShareLink) -> None:
    AddressAttempt.objects.count_one(action=WRONG_PASSWORD, address=str(link.pk), window_seconds=WINDOW_SECONDS)
