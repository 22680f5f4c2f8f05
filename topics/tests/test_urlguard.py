import socket

import pytest

from devtools.testing.fake_llm import FakeAnthropic, FakeOpenAI
from topics.classification import providers, urlguard
from topics.classification.urlguard import check_base_url

NON_PUBLIC_URLS = [
    "http://127.0.0.1:11434/v1",
    "http://127.1/v1",
    "http://10.1.2.3/v1",
    "http://172.16.0.1/v1",
    "http://172.31.255.255/v1",
    "http://192.168.1.10:8000/v1",
    "http://169.254.169.254/latest",
    "http://100.64.0.1/v1",
    "http://224.0.0.1/v1",
    "http://240.0.0.1/v1",
    "http://0.0.0.0:8000/v1",
    "http://[::1]:8000/v1",
    "http://[::]/v1",
    "http://[fc00::1]/v1",
    "http://[fd12:3456::1]/v1",
    "http://[fe80::1]/v1",
    "http://[ff02::1]/v1",
    "http://[::ffff:127.0.0.1]/v1",
    "http://[::ffff:10.0.0.1]/v1",
    "http://[2002:7f00:1::]/v1",
    "http://[64:ff9b::a9fe:a9fe]/v1",
    "http://localhost:11434/v1",
    "http://LOCALHOST/v1",
]


@pytest.mark.parametrize("url", NON_PUBLIC_URLS)
def test_non_public_addresses_are_rejected(url):
    """DOC-08: loopback, private, link-local, shared, multicast, reserved and unspecified hosts are refused,
    including IPv4 hosts hidden in IPv6 (mapped, 6to4, NAT64) and names resolving to them."""
    with pytest.raises(ValueError, match="host is not allowed"):
        check_base_url(url, allow_private=False)


@pytest.mark.parametrize("url", NON_PUBLIC_URLS)
def test_non_public_addresses_are_allowed_when_the_server_allows_them(url):
    """DOC-08: with KITE_PROVIDER_ALLOW_PRIVATE_URLS on, a local Ollama or vLLM can be used."""
    # Only the host is lower-cased; the paths in this list already are.
    assert check_base_url(url, allow_private=True) == url.lower()


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://93.184.216.34/v1/", "https://93.184.216.34/v1"),
        ("HTTPS://93.184.216.34:8443/", "https://93.184.216.34:8443"),
        ("  http://93.184.216.34/openai/v1  ", "http://93.184.216.34/openai/v1"),
        ("http://[2606:4700:4700::1111]/v1", "http://[2606:4700:4700::1111]/v1"),
        ("http://[::ffff:93.184.216.34]/v1", "http://[::ffff:93.184.216.34]/v1"),
    ],
)
def test_a_public_address_is_accepted_and_normalised(url, normalised):
    """DOC-08: a public host passes and comes back without a trailing slash."""
    assert check_base_url(url, allow_private=False) == normalised


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://93.184.216.34/v1", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("gopher://93.184.216.34", "http:// or https://"),
        ("93.184.216.34/v1", "http:// or https://"),
        ("", "http:// or https://"),
        ("https:///v1", "must name a host"),
        ("https://user:secret@93.184.216.34/v1", "user name or password"),
        ("https://user@93.184.216.34/v1", "user name or password"),
        ("https://93.184.216.34\\@127.0.0.1/v1", "user name or password"),
        ("https://93.184.216.34:99999/v1", "port"),
        ("https://93.184.216.34/v1?api-version=1", "query"),
        ("https://93.184.216.34/v1#x", "fragment"),
    ],
)
@pytest.mark.parametrize("allow_private", [False, True])
def test_malformed_urls_are_rejected_even_when_private_addresses_are_allowed(url, message, allow_private):
    """DOC-08, SEC-06: other schemes, missing hosts, credentials, bad ports and queries are refused with a reason."""
    with pytest.raises(ValueError, match=message):
        check_base_url(url, allow_private=allow_private)


def test_an_unresolvable_host_is_rejected():
    """DOC-08: a host that does not resolve is refused rather than let through unchecked."""
    with pytest.raises(ValueError, match="host is not allowed"):
        check_base_url("https://no-such-host.invalid/v1", allow_private=False)


def test_a_host_with_any_private_address_is_rejected(monkeypatch):
    """DOC-08: a name resolving to a public and a private address is refused, since either could be used."""

    def resolve(host, port, *args, **kwargs):
        return [(2, 1, 6, "", ("93.184.216.34", port)), (2, 1, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr("topics.classification.urlguard.socket.getaddrinfo", resolve)

    with pytest.raises(ValueError, match="host is not allowed"):
        check_base_url("https://llm.example.com/v1", allow_private=False)


# --- The connection goes where the check looked (DNS rebinding) -------------------------------------------

REBOUND = "rebind.example"


@pytest.fixture
def rebinding_dns(monkeypatch) -> list[str]:
    """A name that answers with the fake provider's loopback address at its first lookup and with an address
    where nothing listens at every later one, as a rebinding attacker's DNS server would (in reverse)."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != REBOUND:
            return real(host, port, *args, **kwargs)
        lookups.append(host)
        return real("127.0.0.1" if len(lookups) == 1 else "127.0.0.2", port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


@pytest.mark.parametrize("server_class", [FakeOpenAI, FakeAnthropic])
def test_the_request_goes_to_the_address_that_was_checked(monkeypatch, rebinding_dns, server_class):
    """DOC-08: the provider client connects to the very address the guard resolved and checked, with the
    name kept in the Host header; it never looks the name up a second time."""
    monkeypatch.setattr(urlguard, "_is_public", lambda address: True)  # loopback stands in for a public host
    with server_class() as server:
        server.script_topics([("Taxes", 0.9)])
        port = server.origin.rsplit(":", 1)[1]
        base_url = server.base_url.replace("127.0.0.1", REBOUND)
        config = providers.ProviderConfig(server.kind, base_url, "model-x", "sk-test")
        topics = [providers.TopicChoice("Taxes")]
        assert providers.classify(config, text="tax return", topics=topics, public_only=True) == [("Taxes", 0.9)]
        assert rebinding_dns == [REBOUND]
        headers = {name.lower(): value for name, value in server.requests[0].headers.items()}
        assert headers["host"] == f"{REBOUND}:{port}"


def test_a_name_that_turns_private_gets_no_request(rebinding_dns):
    """DOC-08: when the name resolves to a non-public address at connect time, nothing is sent there."""
    with FakeOpenAI() as server:
        config = providers.ProviderConfig("openai", server.base_url.replace("127.0.0.1", REBOUND), "m", "sk-test")
        with pytest.raises(providers.TransientProviderError):
            providers.classify(config, text="tax", topics=[providers.TopicChoice("Taxes")], public_only=True)
        assert server.requests == []


@pytest.mark.parametrize("url", ["http://localhost/v1", "http://127.0.0.1:5432/", "https://no-such-host.invalid/v1"])
def test_a_refusal_tells_nothing_of_the_servers_network(url):
    """DOC-08: a refused host gets the same answer whether it resolves privately or not at all, with no address."""
    with pytest.raises(ValueError) as refused:
        check_base_url(url, allow_private=False)
    assert str(refused.value) == urlguard.HOST_NOT_ALLOWED
    assert "127.0.0.1" not in str(refused.value) and "localhost" not in str(refused.value)
