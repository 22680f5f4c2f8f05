"""DOC-06: permanent storage answers end a document's processing; only an outage is worth another attempt."""

import pytest

from conftest import upload_document
from documents import processing, storage, trash
from documents.models import Document


def queued(client, data: bytes) -> Document:
    document = upload_document(client, data)
    assert document["state"] == "queued"
    return Document.objects.get(pk=document["id"])


def test_a_missing_object_fails_the_document_at_once(alice_api, unique_bytes):
    """DOC-06: an object gone from storage is `failed` with the true reason on the first attempt, not retried."""
    document = queued(alice_api, unique_bytes(500))
    storage.delete(document.key)
    assert processing.document_process(document_id=document.pk, final_attempt=False) == Document.State.FAILED
    document.refresh_from_db()
    assert (document.state, document.error) == (Document.State.FAILED, processing.OBJECT_MISSING)


def test_a_replaced_object_is_not_read(alice_api, unique_bytes):
    """D-05, DOC-06: an object swapped after confirm fails If-Match; the document says so and is not retried."""
    document = queued(alice_api, unique_bytes(500))
    storage._client().put_object(Bucket=storage._bucket(), Key=document.key, Body=b"other bytes entirely")
    assert processing.document_process(document_id=document.pk, final_attempt=False) == Document.State.FAILED
    document.refresh_from_db()
    assert (document.state, document.error) == (Document.State.FAILED, processing.OBJECT_CHANGED)
    assert document.text == ""


def test_a_document_deleted_while_it_is_read_ends_quietly(alice, alice_api, unique_bytes, monkeypatch):
    """STORE-06, DOC-06, LIFE-01: deleting a document for good while a worker reads it ends that work without an
    error or a retry."""
    document = queued(alice_api, unique_bytes(500))
    real_read = storage.read

    def read_after_deletion(key: str, **options) -> bytes:
        trash.document_trash(user=alice, document_id=document.pk)
        trash.trash_empty(user=alice, ids=[document.pk])
        storage.delete(key)
        return real_read(key, **options)

    monkeypatch.setattr(storage, "read", read_after_deletion)
    assert processing.document_process(document_id=document.pk, final_attempt=False) is None
    assert not Document.objects.filter(pk=document.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_storage_outage_is_still_retried(alice_api, unique_bytes, fault_storage):
    """DOC-06: storage out of reach is transient: the attempt raises for a retry and the document waits."""
    document = queued(alice_api, unique_bytes(500))
    fault_storage.kill()
    with pytest.raises(storage.StorageUnavailable):
        processing.document_process(document_id=document.pk, final_attempt=False)
    document.refresh_from_db()
    assert document.state == Document.State.PROCESSING
