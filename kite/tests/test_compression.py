"""Pages and API answers travel compressed to clients that accept gzip; others get them as they are."""

from __future__ import annotations

import gzip

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
