"""Checks a user-supplied provider base URL before Kite's server sends anything to it (DOC-08).

Without this, a user could point "their LLM" at the server's own network (metadata services, databases, the admin
on localhost) and have the worker make requests there for them.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from urllib.parse import urlsplit, urlunsplit

import httpx2

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_PORTS = {"http": 80, "https": 443}
# NAT64 gateways translate these to the IPv4 address in the last 32 bits, so that address is what gets reached.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")


# One answer for a name that does not resolve and one that resolves somewhere private: neither the address
# nor whether the name exists is anybody's business (a person could otherwise map the server's network).
HOST_NOT_ALLOWED = "This base URL's host is not allowed: Kite sends requests only to hosts on the public internet."


def check_base_url(url: str, *, allow_private: bool) -> str:
    """Return `url` without a trailing slash, or raise ValueError if it is malformed or reaches a non-public host."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError("The base URL must start with http:// or https://.")
    if parts.username is not None or parts.password is not None:
        raise ValueError("The base URL may not contain a user name or password; put the key in the API key field.")
    host = parts.hostname
    if not host:
        raise ValueError("The base URL must name a host.")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("The base URL's port is not a valid number.") from None
    if parts.query or parts.fragment:
        raise ValueError("The base URL may not contain a query (?) or fragment (#).")
    if not allow_private:
        _require_public(host, port or DEFAULT_PORTS[scheme])
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), "", ""))


def _require_public(host: str, port: int) -> list[IPAddress]:
    """`host`'s addresses, or ValueError if any of them is not public."""
    addresses = _resolve(host, port)
    # Every address counts, not just the first: a client may try any of them.
    for address in addresses:
        if not _is_public(address):
            raise ValueError(HOST_NOT_ALLOWED)
    return addresses


class PublicOnlyTransport(httpx2.HTTPTransport):
    """An HTTP transport that connects only to an address it has just found public (DOC-08).

    check_base_url() vets a provider's host when it is saved and before each call, but a client looks the
    name up again when it connects, and a name can answer differently from one lookup to the next (DNS
    rebinding). This transport looks the name up itself, refuses the request unless every address is
    public, and connects to the first of them. The Host header and the TLS server name stay the name's, so
    the certificate is checked against the name as usual.
    """

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        host = request.url.host
        try:
            address = _require_public(host, request.url.port or DEFAULT_PORTS[request.url.scheme])[0]
        except ValueError as error:
            raise httpx2.ConnectError(str(error), request=request) from None
        if request.url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        request.url = request.url.copy_with(host=str(address))
        return super().handle_request(request)


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ValueError(HOST_NOT_ALLOWED) from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise ValueError(HOST_NOT_ALLOWED)
    return addresses


def _is_public(address: IPAddress) -> bool:
    embedded = _embedded_ipv4(address)
    if embedded is not None:
        return _is_public(embedded)
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    # Python 3.11 judges ::ffff:127.0.0.1 and 2002:7f00:1:: by their IPv6 ranges, not by the IPv4 host they reach.
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


class DeadlineTransport(httpx2.BaseTransport):
    """Bounds a whole request, answer included, by one deadline.

    A client timeout bounds each read; a server sending a byte now and then keeps every read short and the
    call alive for ever. This transport stops reading the answer once `seconds` have passed since the request
    was sent (the client's own timeout still bounds each step before that).
    """

    def __init__(self, inner: httpx2.BaseTransport, seconds: float) -> None:
        self.inner = inner
        self.seconds = seconds

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        deadline = time.monotonic() + self.seconds
        response = self.inner.handle_request(request)
        response.stream = _DeadlineStream(response.stream, deadline, request)
        return response

    def close(self) -> None:
        self.inner.close()


class _DeadlineStream(httpx2.SyncByteStream):
    def __init__(self, inner, deadline: float, request: httpx2.Request) -> None:
        self.inner = inner
        self.deadline = deadline
        self.request = request

    def __iter__(self):
        for chunk in self.inner:
            if time.monotonic() > self.deadline:
                raise httpx2.ReadTimeout("The provider took too long to answer.", request=self.request)
            yield chunk

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()
