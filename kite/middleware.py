"""The Content-Security-Policy header (SEC-05), and each request's time zone and locale.

Scripts come only from Kite itself; the storage origin is allowed only where
direct uploads and previews need it.
"""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone

from kite import locales


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def build_policy() -> str:
    storage = _origin(str(settings.S3_PUBLIC_ENDPOINT_URL))
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        # The Django admin still sets a few style attributes; no script may run inline.
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: {storage}",
        "connect-src": f"'self' {storage}",
        "form-action": f"'self' {storage}",
        "frame-src": f"'self' {storage}",
        "object-src": "'none'",
        "base-uri": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.policy = build_policy()

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response


TIMEZONE_COOKIE = "kite_tz"


class TimezoneMiddleware:
    """Times on the pages in the person's own time zone: the browser names it (static/js/timezone.js sets the
    `kite_tz` cookie from Intl's resolved zone), and a name zoneinfo does not know leaves UTC, never an error.
    Dates are written as the person's region writes them (kite.locales, from `Accept-Language`)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = locales.activate(request.headers.get("Accept-Language", ""))
        zone = _zone(request.COOKIES.get(TIMEZONE_COOKIE, ""))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
            locales.deactivate(token)


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    if (
        not name
        or len(name) > 64
        or not name.replace("/", "").replace("_", "").replace("-", "").replace("+", "").isalnum()
    ):
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
