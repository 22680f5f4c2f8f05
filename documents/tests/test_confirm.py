import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import post_to_storage, request_upload, upload_document
from documents.models import Document
from quotas.models import Quota


def is_confirm_statement(sql: str) -> bool:
    """Whether `sql` is the one statement of documents.confirming."""
    return sql.lstrip().startswith("WITH upload AS MATERIALIZED") and "FOR UPDATE" in sql and "INSERT INTO" in sql


def test_confirm_charges_the_exact_size_and_queues(alice, alice_api, unique_bytes):
    """D-05, STORE-03: confirm HEADs the object, charges its size once and moves to queued."""
    data = unique_bytes(12345)
    document = upload_document(alice_api, data)
    assert document["state"] == "queued"
    assert document["size_bytes"] == 12345
    assert Quota.objects.get(user=alice).used_bytes == 12345
    stored = Document.objects.get(pk=document["id"])
    assert stored.etag


def test_confirm_is_idempotent(alice, alice_api, unique_bytes):
    """D-06: a repeated confirm returns the same document and charges nothing more."""
    document = upload_document(alice_api, unique_bytes(777))
    again = alice_api.post(f"/api/documents/{document['id']}/confirm/")
    assert again.status_code == 200
    assert again.json()["id"] == document["id"]
    assert Quota.objects.get(user=alice).used_bytes == 777


def test_confirm_without_classification_is_skipped(alice_api, unique_bytes):
    """D-05, DOC-06: classify=false confirms straight to skipped."""
    document = upload_document(alice_api, unique_bytes(10), classify=False)
    assert document["state"] == "skipped"


def test_confirm_before_upload_gets_409_and_gives_the_reservation_back(alice, alice_api, unique_bytes):
    """D-05, SEC-06, UP-03: confirm with no stored object answers 409 upload_missing, charges nothing, and gives up
    the upload: its reservation is released at once rather than held until the purge."""
    answer = request_upload(alice_api, unique_bytes(50))
    document_id = answer.json()["document"]["id"]
    assert Quota.objects.get(user=alice).reserved_bytes == 50
    confirm = alice_api.post(f"/api/documents/{document_id}/confirm/")
    assert confirm.status_code == 409 and confirm.json()["code"] == "upload_missing"
    assert not Document.objects.filter(pk=document_id).exists()
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes) == (0, 0)


def test_confirm_of_another_users_document_gets_404(alice, alice_api, bob, bob_api, unique_bytes):
    """SEC-04, D-05: bob cannot confirm alice's upload, and learns nothing about it."""
    document_id = upload_document(alice_api, unique_bytes(50), confirm=False)["id"]
    confirm = bob_api.post(f"/api/documents/{document_id}/confirm/")
    assert confirm.status_code == 404
    assert confirm.json() == {"detail": "Not found.", "code": "not_found"}
    assert Document.objects.get(pk=document_id).state == "uploading"
    assert Quota.objects.get(user=bob).used_bytes == 0 and Quota.objects.get(user=alice).used_bytes == 0


@pytest.mark.parametrize("document_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_confirm_of_unknown_id_gets_404(alice_api, document_id):
    """SEC-06: an unknown or malformed id answers 404."""
    assert alice_api.post(f"/api/documents/{document_id}/confirm/").status_code == 404


def test_duplicate_of_own_document_gets_409_with_its_id(alice_api, bob_api, unique_bytes):
    """D-09b: the same bytes again answer 409 duplicate naming the existing document; bob's copy is his own."""
    data = unique_bytes(300)
    document = upload_document(alice_api, data)
    again = request_upload(alice_api, data)
    assert again.status_code == 409
    assert again.json()["code"] == "duplicate" and again.json()["document_id"] == document["id"]
    assert request_upload(bob_api, data).status_code == 201


def test_confirm_answers_with_topics_chosen_during_the_upload(alice, alice_api, unique_bytes):
    """docs/api.md confirm: the answer is the whole document, including topics set by hand before the confirm."""
    from topics.tests.factories import TopicFactory

    topic = TopicFactory(owner=alice, name="Letters")
    data = unique_bytes(64)
    answer = request_upload(alice_api, data)
    document_id = answer.json()["document"]["id"]
    chosen = alice_api.patch(f"/api/documents/{document_id}/", {"topic_ids": [topic.pk]}, format="json")
    assert chosen.status_code == 200
    post_to_storage(answer.json()["upload"], data)
    confirmed = alice_api.post(f"/api/documents/{document_id}/confirm/").json()
    assert [(t["id"], t["source"]) for t in confirmed["topics"]] == [(topic.pk, "manual")]
    plain = upload_document(alice_api, unique_bytes(64))
    assert plain["topics"] == []


def test_confirm_is_the_token_and_one_statement(alice, alice_api, unique_bytes):
    """D-05, LIFE-06: on PostgreSQL a confirm costs the token, then one statement (documents.confirming) that
    locks the document, charges the quota, confirms the document and writes its line in the activity log; storage
    is asked before any row is locked."""
    alice_api.get("/api/quota/")  # the token's last use is recorded once a minute at most
    document = upload_document(alice_api, unique_bytes(99), confirm=False)
    with CaptureQueriesContext(connection) as queries:
        confirm = alice_api.post(f"/api/documents/{document['id']}/confirm/")
    assert confirm.status_code == 200 and confirm.json()["state"] == "queued"
    assert len(queries) == 2, [query["sql"] for query in queries]
    assert is_confirm_statement(queries[1]["sql"])
