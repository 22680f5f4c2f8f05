"""The address a request came from, behind as many reverse proxies as the operator says (KITE_PROXY_COUNT)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address.

    With no proxy, REMOTE_ADDR: a client's own X-Forwarded-For is ignored, since anybody can send one. Behind
    KITE_PROXY_COUNT proxies, each of which appends the address it received the request from, the client is
    that many entries from the right of X-Forwarded-For; whatever a client put further left is not trusted.
    """
    count = settings.KITE_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < count:
        return remote  # not the chain the operator described: the nearest address is all that is known
    return forwarded[-count]
