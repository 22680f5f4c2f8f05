"""Faults: storage and broker going down mid-flight lose nothing and charge nothing twice."""

from datetime import timedelta

import dramatiq
import pytest
from django.utils import timezone

from conftest import api_client_for, object_exists, post_to_storage, request_upload, upload_document, wait_for
from documents import periodic
from documents.models import Document, StorageDeletion
from quotas.models import Quota


@pytest.mark.slow
def test_storage_down_during_confirm_changes_nothing_and_a_retry_charges_once(
    alice, alice_api, fault_storage, unique_bytes
):
    """STORE-03, D-06: confirm with storage stopped answers 503 storage_unavailable and changes nothing;
    once storage is back the same confirm succeeds and charges exactly once."""
    data = unique_bytes(2048)
    document = upload_document(alice_api, data, confirm=False)
    fault_storage.kill()
    answer = alice_api.post(f"/api/documents/{document['id']}/confirm/")
    assert answer.status_code == 503 and answer.json()["code"] == "storage_unavailable"
    assert Document.objects.get(pk=document["id"]).state == "uploading"
    assert Quota.objects.get(user=alice).used_bytes == 0

    fault_storage.restart()
    assert alice_api.post(f"/api/documents/{document['id']}/confirm/").status_code == 200
    assert alice_api.post(f"/api/documents/{document['id']}/confirm/").status_code == 200
    assert Quota.objects.get(user=alice).used_bytes == 2048


@pytest.mark.slow
def test_storage_down_during_purge_releases_once_and_deletes_the_object_later(
    alice, alice_api, fault_storage, unique_bytes, django_capture_on_commit_callbacks
):
    """STORE-06, LIFE-01: delete and then empty the trash with storage stopped: both answer 204, the quota is
    released once; the key waits in the retry queue and the object is really deleted when storage returns and
    the job runs."""
    document = upload_document(alice_api, unique_bytes(4096))
    key = Document.objects.get(pk=document["id"]).key
    fault_storage.kill()
    assert alice_api.delete(f"/api/documents/{document['id']}/").status_code == 204
    assert Quota.objects.get(user=alice).used_bytes == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.post("/api/trash/empty/", {}, format="json").status_code == 204
    assert not Document.objects.filter(pk=document["id"]).exists()
    assert Quota.objects.get(user=alice).used_bytes == 0
    assert StorageDeletion.objects.get(key=key).attempts == 1
    assert periodic.storage_deletions_drain() == 0  # still down: nothing lost, nothing done

    fault_storage.restart()
    assert object_exists(key)
    assert periodic.storage_deletions_drain() == 2  # the file, and the key its thumbnail would have
    assert not object_exists(key)
    # Nothing left to do now; the keys wait only to be deleted once more when their upload forms expire.
    assert not StorageDeletion.objects.filter(StorageDeletion.due()).exists()
    assert periodic.storage_deletions_drain() == 0
    assert Quota.objects.get(user=alice).used_bytes == 0


@pytest.mark.django_db(transaction=True)
def test_broker_down_during_confirm_the_document_is_stored_and_classified_later(alice, own_broker, unique_bytes):
    """DOC-01: with the broker unreachable, confirm still stores and charges the document; the
    sweeper sends it once the broker is back, and a worker processes it without any user action."""
    valkey, broker = own_broker
    client = api_client_for(alice)
    valkey.kill()
    document = upload_document(client, b"a letter about the garden" * 12)
    assert document["state"] == "queued"
    assert Quota.objects.get(user=alice).used_bytes == 300
    stored = Document.objects.get(pk=document["id"])
    assert stored.enqueued_at is None  # the hand-off failed and is recorded as such

    assert periodic.documents_sweep_queue() == 0  # broker still down: stays queued
    valkey.start()
    assert periodic.documents_sweep_queue() == 1
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        wait_for(lambda: Document.objects.get(pk=document["id"]).state == "classified")
    finally:
        worker.stop()
    assert periodic.documents_sweep_queue() == 0


def test_stale_pending_upload_is_purged_and_a_fresh_one_is_not(
    alice_api, unique_bytes, settings, django_capture_on_commit_callbacks
):
    """D-07: an upload never confirmed after KITE_PENDING_UPLOAD_TTL loses its row and object; a fresh one stays."""
    stale = upload_document(alice_api, unique_bytes(100), confirm=False)
    fresh = upload_document(alice_api, unique_bytes(100), confirm=False)
    confirmed = upload_document(alice_api, unique_bytes(100))
    long_ago = timezone.now() - timedelta(seconds=settings.KITE_PENDING_UPLOAD_TTL + 60)
    Document.objects.filter(pk__in=[stale["id"], confirmed["id"]]).update(created=long_ago)
    keys = {d["id"]: Document.objects.get(pk=d["id"]).key for d in (stale, fresh, confirmed)}

    with django_capture_on_commit_callbacks(execute=True):
        assert periodic.uploads_purge_stale() == 1
    assert not Document.objects.filter(pk=stale["id"]).exists()
    assert not object_exists(keys[stale["id"]])
    assert object_exists(keys[fresh["id"]]) and Document.objects.filter(pk=fresh["id"]).exists()
    assert object_exists(keys[confirmed["id"]]) and Document.objects.filter(pk=confirmed["id"]).exists()


def test_upload_with_wrong_checksum_is_rejected_by_storage_and_charges_nothing(alice, alice_api, unique_bytes):
    """D-09b: bytes that do not match the declared SHA-256 are refused by storage; confirm finds nothing."""
    data = unique_bytes(256)
    answer = request_upload(alice_api, data)
    corrupted = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
    stored = post_to_storage(answer.json()["upload"], corrupted)
    assert stored.status_code == 400 and "BadDigest" in stored.text
    confirm = alice_api.post(f"/api/documents/{answer.json()['document']['id']}/confirm/")
    assert confirm.status_code == 409 and confirm.json()["code"] == "upload_missing"
    assert Quota.objects.get(user=alice).used_bytes == 0


@pytest.mark.django_db(transaction=True)
def test_a_message_the_broker_lost_is_sent_again_within_minutes(alice, own_broker, unique_bytes, settings):
    """DOC-01: a document the broker accepted and then lost (killed before writing it down) is sent again once
    KITE_QUEUE_RESEND_AFTER has passed, not only after the long processing timeout; a busy queue is left alone."""
    valkey, broker = own_broker
    client = api_client_for(alice)
    document = upload_document(client, b"minutes of the allotment society" * 10)
    stored = Document.objects.get(pk=document["id"])
    assert stored.state == "queued" and stored.enqueued_at is not None
    a_while_ago = timezone.now() - timedelta(seconds=settings.KITE_QUEUE_RESEND_AFTER + 5)
    Document.objects.filter(pk=stored.pk).update(enqueued_at=a_while_ago, updated=a_while_ago)

    assert periodic.documents_sweep_queue() == 0  # the broker still holds its message: merely waiting
    broker.flush_all()  # what a broker restarted without its data has: nothing
    assert periodic.documents_sweep_queue() == 1
    assert Document.objects.get(pk=stored.pk).enqueued_at > a_while_ago
    assert periodic.documents_sweep_queue() == 0  # sent once, not at every sweep
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        wait_for(lambda: Document.objects.get(pk=stored.pk).state == "classified")
    finally:
        worker.stop()
