"""SEC-06: odd input answers 400 on the API (or is ignored on pages), never 500."""

import pytest

from documents.tests.factories import DocumentFactory

pytestmark = pytest.mark.django_db

SUPERSCRIPT_TWO = "²"  # str.isdigit() says yes, int() says no


@pytest.fixture
def listed(alice):
    return DocumentFactory(owner=alice, title="allotment minutes", text="minutes of the allotment society")


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": SUPERSCRIPT_TWO},
        {"page": SUPERSCRIPT_TWO},
        {"q": "x", "page": SUPERSCRIPT_TWO},
        {"topic": SUPERSCRIPT_TWO},
    ],
)
def test_unicode_digits_in_list_parameters_answer_400(alice_api, listed, params):
    """SEC-06: a number written with other digits than 0-9 is refused with the error shape, not a 500."""
    answer = alice_api.get("/api/documents/", params)
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"]


@pytest.mark.parametrize(
    "params", [{"topic": SUPERSCRIPT_TWO}, {"q": "x", "page": SUPERSCRIPT_TWO}, {"page": SUPERSCRIPT_TWO}]
)
def test_unicode_digits_on_the_list_page_are_ignored(client, alice, listed, params):
    """SEC-06: the page shows the list as if the odd value were not there."""
    client.force_login(alice)
    assert client.get("/documents/", params).status_code == 200


def test_a_nul_in_a_search_is_refused_by_the_api_and_ignored_by_the_page(client, alice, alice_api, listed):
    """SEC-06: a NUL character in `q` answers 400 naming `q`; the page lists as if there were no search."""
    answer = alice_api.get("/api/documents/", {"q": "allotment\x00minutes"})
    assert answer.status_code == 400 and answer.json()["detail"].startswith("q:")
    client.force_login(alice)
    answer = client.get("/documents/", {"q": "a\x00b"})
    assert answer.status_code == 200 and len(answer.context["rows"]) == 1


def test_unicode_digit_topics_posted_to_a_document_are_ignored(client, alice, listed):
    """SEC-06, T-01: the topic form ignores values that are not topic ids."""
    client.force_login(alice)
    answer = client.post(f"/documents/{listed.pk}/topics/", {"topics": [SUPERSCRIPT_TWO]})
    assert answer.status_code == 302


def test_json_nested_too_deep_answers_400(alice_api, listed):
    """SEC-06: a JSON body nested 100,000 deep is a parse error, not a RecursionError."""
    body = "[" * 100_000 + "]" * 100_000
    answer = alice_api.generic("PATCH", f"/api/documents/{listed.pk}/", body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "parse_error"


def test_ids_too_large_for_the_database_answer_400_or_are_ignored(client, alice, alice_api, listed):
    """SEC-06: 2**63 overflows a 64-bit id; the API refuses it and the topic form ignores it, never a 500."""
    too_large = str(2**63)
    assert alice_api.get("/api/documents/", {"topic": too_large}).status_code == 400
    answer = alice_api.patch(f"/api/documents/{listed.pk}/", {"topic_ids": [2**63]}, format="json")
    assert answer.status_code == 400
    client.force_login(alice)
    assert client.post(f"/documents/{listed.pk}/topics/", {"topics": [too_large]}).status_code == 302
