"""Kite's own error pages, served when DEBUG is off: branded, readable on a phone, with a way back."""

import pytest
from django.test import Client

from documents.tests.factories import DocumentFactory

BACK = '<a class="button" href="/documents/">Back to your documents</a>'
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False


def assert_kite_page(answer, status: int, heading: str) -> None:
    page = answer.content.decode()
    assert answer.status_code == status
    assert f"<h1>{heading}</h1>" in page and f"Error {status}" in page
    assert VIEWPORT in page and BACK in page and 'class="brand"' in page
    assert "Django" not in page and "Traceback" not in page


def test_an_unknown_page_and_another_persons_document_answer_kites_404(client, alice, bob):
    """SEC-04: an unknown address and bob's document look the same to alice: Kite's 404 page."""
    client.force_login(alice)
    assert_kite_page(client.get("/no/such/page/"), 404, "There is nothing here")
    assert_kite_page(client.get(DocumentFactory(owner=bob).get_absolute_url()), 404, "There is nothing here")


def test_a_form_without_its_csrf_token_answers_kites_403_page(alice):
    """SEC-05: a session-authenticated write without the CSRF token is refused with Kite's page saying why."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    answer = client.post("/topics/", {"name": "Taxes"})
    assert_kite_page(answer, 403, "This form has expired")
    assert not alice.topics.exists()


@pytest.mark.urls("kite.tests.error_urls")
def test_a_fault_answers_kites_500_page_and_a_refusal_its_403_page(alice):
    """A view that fails gets Kite's 500 page (rendered without a request); a refusal its 403 page."""
    client = Client(raise_request_exception=False)
    assert_kite_page(client.get("/test/broken/"), 500, "Something went wrong on Kite's side")
    assert_kite_page(client.get("/test/forbidden/"), 403, "You may not do this")
