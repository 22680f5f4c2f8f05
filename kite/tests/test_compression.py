"""Pages and API answers travel compressed to clients that accept gzip; others get them as they are."""

from __future__ import annotations

import gzip
from urllib.parse import urlsplit

from conftest import api_client_for
from documents.tests.factories import DocumentFactory


def test_a_list_page_and_an_api_page_are_gzipped_for_clients_that_accept_it(alice, client):
    for number in range(30):
        DocumentFactory(owner=alice, title=f"Electricity bill {number}", filename=f"bill-{number}.pdf")
    client.force_login(alice)
    api = api_client_for(alice)
    for answer in (
        client.get("/documents/", HTTP_ACCEPT_ENCODING="gzip, deflate, br"),
        api.get("/api/documents/", HTTP_ACCEPT_ENCODING="gzip"),
    ):
        assert answer.status_code == 200
        assert answer["Content-Encoding"] == "gzip" and "Accept-Encoding" in answer["Vary"]
        body = gzip.decompress(answer.content)
        assert b"Electricity bill 29" in body and len(answer.content) * 3 < len(body)


def test_clients_that_do_not_accept_gzip_get_the_plain_answer(alice, client):
    DocumentFactory(owner=alice, title="Electricity bill")
    client.force_login(alice)
    answer = client.get("/documents/")
    assert not answer.has_header("Content-Encoding") and b"Electricity bill" in answer.content


def test_the_benchmark_counts_the_bytes_sent_compressed_not_the_page_they_decode_to(live_server):
    """docs/benchmarks.md's bytes on the wire come from bench.coldstart.fetch: it must count gzip as sent."""
    from bench.coldstart import fetch

    port = urlsplit(live_server.url).port
    status, headers, plain, plain_total = fetch(port, "/accounts/login/", {"Accept-Encoding": "identity"})
    assert status == 200 and "content-encoding" not in headers and plain_total > len(plain)
    status, headers, packed, packed_total = fetch(port, "/accounts/login/", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert len(packed) == int(headers["content-length"]) and packed_total > len(packed)
    # The same page (its form's token is masked afresh each time, at the same length), a fraction of its size.
    assert len(gzip.decompress(packed)) == len(plain)
    # Smaller, though not by a fixed factor on a page this small: Django pads each gzip answer by up to 100 random
    # bytes (its BREACH mitigation).
    assert packed_total < plain_total and len(packed) < len(plain)
