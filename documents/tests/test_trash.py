"""LIFE-01: the trash. Deleting moves a document there and releases its bytes; restoring charges them again; the
owner or the scheduler (KITE_TRASH_DAYS) purges it with its stored objects; nothing else sees it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.db.models import Sum
from django.utils import timezone

from activity.models import Event
from conftest import api_client_for, object_exists, request_upload, upload_document
from documents import periodic, processing, services, trash
from documents.models import Document, StorageDeletion
from documents.reconcile import quotas_reconcile
from documents.tests.factories import DocumentFactory
from quotas.models import Quota
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

SIZE = 1000


def used(user) -> int:
    return Quota.objects.get(user=user).used_bytes


def live_total(user) -> int:
    return Document.objects.owned_by(user).stored().aggregate(total=Sum("size_bytes"))["total"] or 0


def test_delete_moves_to_the_trash_releases_the_quota_and_keeps_the_object(alice, alice_api, unique_bytes):
    """LIFE-01, STORE-06: DELETE answers 204, releases exactly the size at once, keeps the row and its object, and
    GET /api/trash/ lists it with when it was trashed and when it will be purged."""
    kept = upload_document(alice_api, unique_bytes(300))
    gone = upload_document(alice_api, unique_bytes(700))
    key = Document.objects.get(pk=gone["id"]).key
    assert alice_api.delete(f"/api/documents/{gone['id']}/").status_code == 204
    assert used(alice) == 300 == live_total(alice)
    assert object_exists(key)
    listed = alice_api.get("/api/trash/").json()
    assert [item["id"] for item in listed["results"]] == [gone["id"]]
    trashed = Document.objects.get(pk=gone["id"])
    assert listed["results"][0]["deleted_at"] is not None
    assert listed["results"][0]["purge_after"] == (trashed.deleted_at + timedelta(days=30)).isoformat().replace(
        "+00:00", "Z"
    )
    assert [item["id"] for item in alice_api.get("/api/documents/").json()["results"]] == [kept["id"]]
    assert Event.objects.filter(owner=alice, action=Event.Action.TRASH, document_id=gone["id"]).count() == 1


def test_a_trashed_document_is_in_no_list_search_count_or_reconcile(client, alice, alice_api, unique_bytes):
    """LIFE-01: the list, search, topic counts, the list page and reconcile_quotas all leave trashed documents out;
    a file whose only copy is in the trash uploads again as a new document (no duplicate)."""
    topic = TopicFactory(owner=alice, name="Letters")
    data = b"zeppelin letter about the garden " * 10
    gone = upload_document(alice_api, data, filename="zeppelin.txt")
    Document.objects.filter(pk=gone["id"]).update(text="zeppelin letter about the garden")
    DocumentTopic.objects.create(document_id=gone["id"], topic=topic, source="manual")
    assert alice_api.delete(f"/api/documents/{gone['id']}/").status_code == 204

    assert alice_api.get("/api/documents/").json()["count"] == 0
    assert alice_api.get("/api/documents/?q=zeppelin").json()["count"] == 0
    assert alice_api.get(f"/api/documents/?topic={topic.pk}").json()["count"] == 0
    assert list(services.document_search(alice, "zeppelin")) == []
    counts = {item["name"]: item["document_count"] for item in alice_api.get("/api/topics/").json()["results"]}
    assert counts["Letters"] == 0
    client.force_login(alice)
    assert "zeppelin.txt" not in client.get("/documents/?q=zeppelin").content.decode()
    assert quotas_reconcile() == [] and used(alice) == 0
    again = request_upload(alice_api, data, filename="zeppelin.txt")
    assert again.status_code == 201, again.content


def test_restore_charges_the_quota_again_or_refuses_with_the_numbers(alice, alice_api, unique_bytes):
    """LIFE-01, STORE-05: restore puts documents back and charges them; when they no longer fit it answers 413
    `quota_exceeded` with the numbers and restores none of them; an id not in the trash answers 404."""
    first = upload_document(alice_api, unique_bytes(400))
    second = upload_document(alice_api, unique_bytes(400))
    for document in (first, second):
        assert alice_api.delete(f"/api/documents/{document['id']}/").status_code == 204
    upload_document(alice_api, unique_bytes(500))
    Quota.objects.filter(user=alice).update(limit_bytes=1000)

    both = {"ids": [first["id"], second["id"]]}
    refused = alice_api.post("/api/trash/restore/", both, format="json")
    assert refused.status_code == 413
    body = refused.json()
    assert body["code"] == "quota_exceeded" and body["size_bytes"] == 800
    assert (body["used_bytes"], body["limit_bytes"], body["remaining_bytes"]) == (500, 1000, 500)
    assert Document.objects.in_trash_of(alice).count() == 2 and used(alice) == 500

    live = Document.objects.owned_by(alice).first()
    missing = alice_api.post("/api/trash/restore/", {"ids": [first["id"], str(live.pk)]}, format="json")
    assert missing.status_code == 404 and Document.objects.in_trash_of(alice).count() == 2

    restored = alice_api.post("/api/trash/restore/", {"ids": [first["id"]]}, format="json")
    assert restored.status_code == 200 and restored.json() == {"count": 1}
    assert used(alice) == 900 == live_total(alice)
    assert alice_api.get(f"/api/documents/{first['id']}/").status_code == 200
    assert Event.objects.filter(owner=alice, action=Event.Action.RESTORE).count() == 1


def restore_at_once(user, batches: list[list]) -> list[int]:
    """Each batch restored by its own thread with its own database connection, released together."""
    barrier = threading.Barrier(len(batches))
    statuses: list[int] = []
    lock = threading.Lock()

    def run(ids):
        try:
            client = api_client_for(user)
            barrier.wait()
            answer = client.post("/api/trash/restore/", {"ids": [str(pk) for pk in ids]}, format="json")
            with lock:
                statuses.append(answer.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def trashed_documents(owner, count: int) -> list[Document]:
    return [DocumentFactory(owner=owner, size_bytes=SIZE, deleted_at=timezone.now()) for _ in range(count)]


@pytest.mark.django_db(transaction=True)
def test_concurrent_restores_charge_only_what_fits(alice):
    """LIFE-01, STORE-03: ten restores at once of ten trashed documents when six fit: exactly six succeed, four
    answer 413, and used_bytes equals the sum of the live documents."""
    assert connection.vendor == "postgresql"
    DocumentFactory(owner=alice, size_bytes=4 * SIZE)
    Quota.objects.filter(user=alice).update(limit_bytes=10 * SIZE, used_bytes=4 * SIZE)
    documents = trashed_documents(alice, 10)

    statuses = restore_at_once(alice, [[document.pk] for document in documents])

    assert sorted(statuses) == [200] * 6 + [413] * 4
    assert used(alice) == 10 * SIZE == live_total(alice)
    assert Document.objects.in_trash_of(alice).count() == 4
    assert quotas_reconcile() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_restores_of_batches_are_all_or_nothing(alice):
    """LIFE-01, STORE-03: two batches restored at once that together exceed the quota: one is restored whole, the
    other not at all; the same document restored twice at once is restored once."""
    Quota.objects.filter(user=alice).update(limit_bytes=4 * SIZE)
    documents = trashed_documents(alice, 6)

    statuses = restore_at_once(alice, [[d.pk for d in documents[:3]], [d.pk for d in documents[3:]]])

    assert sorted(statuses) == [200, 413]
    assert used(alice) == 3 * SIZE == live_total(alice)
    left = list(Document.objects.in_trash_of(alice))
    assert len(left) == 3 and (set(left) == set(documents[:3]) or set(left) == set(documents[3:]))

    Quota.objects.filter(user=alice).update(limit_bytes=10 * SIZE)
    twice = restore_at_once(alice, [[left[0].pk], [left[0].pk]])
    assert sorted(twice) == [200, 404]
    assert used(alice) == 4 * SIZE == live_total(alice)


def test_emptying_the_trash_deletes_the_objects_and_only_what_was_asked(
    alice, alice_api, bob_api, unique_bytes, django_capture_on_commit_callbacks
):
    """LIFE-01, STORE-06: empty with `ids` deletes those documents and their objects; ids not in the person's
    trash answer 404 and delete nothing; empty without ids deletes the rest; the quota is untouched."""
    documents = [upload_document(alice_api, unique_bytes(200)) for _ in range(3)]
    keys = [Document.objects.get(pk=document["id"]).key for document in documents]
    for document in documents:
        alice_api.delete(f"/api/documents/{document['id']}/")
    assert used(alice) == 0

    assert bob_api.post("/api/trash/empty/", {"ids": [documents[0]["id"]]}, format="json").status_code == 404
    assert alice_api.post("/api/trash/empty/", {"ids": ["not-an-id"]}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.post("/api/trash/empty/", {"ids": [documents[0]["id"]]}, format="json").status_code == 204
    assert not object_exists(keys[0]) and object_exists(keys[1]) and object_exists(keys[2])
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.post("/api/trash/empty/", {}, format="json").status_code == 204
    assert not any(object_exists(key) for key in keys)
    assert not Document.objects.filter(owner=alice).exists() and used(alice) == 0
    assert Event.objects.filter(owner=alice, action=Event.Action.PURGE).count() == 3


def test_the_scheduler_purges_what_stayed_longer_than_kite_trash_days(
    alice, alice_api, unique_bytes, settings, django_capture_on_commit_callbacks
):
    """LIFE-01: documents trashed more than KITE_TRASH_DAYS ago are deleted with their objects from storage;
    younger ones stay."""
    settings.KITE_TRASH_DAYS = 7
    old, young = (upload_document(alice_api, unique_bytes(300)) for _ in range(2))
    for document in (old, young):
        alice_api.delete(f"/api/documents/{document['id']}/")
    Document.objects.filter(pk=old["id"]).update(deleted_at=timezone.now() - timedelta(days=7, minutes=1))
    old_key, young_key = (Document.objects.get(pk=document["id"]).key for document in (old, young))

    with django_capture_on_commit_callbacks(execute=True):
        assert trash.trash_purge_expired() == 1
    assert not object_exists(old_key) and not Document.objects.filter(pk=old["id"]).exists()
    assert object_exists(young_key) and Document.objects.in_trash_of(alice).filter(pk=young["id"]).exists()
    assert Event.objects.get(owner=alice, action=Event.Action.PURGE).detail == "After 7 days in the trash"
    with django_capture_on_commit_callbacks(execute=True):
        assert trash.trash_purge_expired() == 0


@pytest.mark.slow
def test_storage_down_during_the_scheduled_purge_keeps_the_key_for_retry(
    alice, alice_api, fault_storage, unique_bytes, django_capture_on_commit_callbacks
):
    """LIFE-01, STORE-06: the purge goes on with storage stopped: the row goes, the key waits in the retry queue,
    and the object is deleted once storage is back and the drain runs."""
    document = upload_document(alice_api, unique_bytes(900))
    key = Document.objects.get(pk=document["id"]).key
    alice_api.delete(f"/api/documents/{document['id']}/")
    Document.objects.filter(pk=document["id"]).update(deleted_at=timezone.now() - timedelta(days=31))
    fault_storage.kill()
    with django_capture_on_commit_callbacks(execute=True):
        assert trash.trash_purge_expired() == 1
    assert not Document.objects.filter(pk=document["id"]).exists()
    assert StorageDeletion.objects.get(key=key).attempts == 1
    assert used(alice) == 0

    fault_storage.restart()
    assert object_exists(key)
    assert periodic.storage_deletions_drain() == 2  # the file, and the key its thumbnail would have
    assert not object_exists(key)


def test_a_document_trashed_while_queued_is_read_and_stays_in_the_trash(alice, alice_api, unique_bytes):
    """LIFE-01, DOC-06: the worker reads a document trashed while it waited, without taking it out of the trash;
    one purged while it waited is left alone, without an error."""
    kept = upload_document(alice_api, b"a letter about the garden and the roses " * 5)
    assert kept["state"] == "queued"
    alice_api.delete(f"/api/documents/{kept['id']}/")
    assert processing.document_process(document_id=kept["id"]) in (Document.State.CLASSIFIED, Document.State.SKIPPED)
    document = Document.objects.get(pk=kept["id"])
    assert document.deleted_at is not None and document.text
    assert alice_api.get("/api/documents/").json()["count"] == 0 and used(alice) == 0

    purged = upload_document(alice_api, unique_bytes(300))
    alice_api.delete(f"/api/documents/{purged['id']}/")
    alice_api.post("/api/trash/empty/", {"ids": [purged["id"]]}, format="json")
    assert processing.document_process(document_id=purged["id"]) is None


def test_deleting_an_account_deletes_its_trash_too(alice, alice_api, unique_bytes, django_capture_on_commit_callbacks):
    """ACC-05, LIFE-01: a person's trashed documents go with them, objects included."""
    document = upload_document(alice_api, unique_bytes(300))
    key = Document.objects.get(pk=document["id"]).key
    alice_api.delete(f"/api/documents/{document['id']}/")
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    periodic.storage_deletions_drain()
    assert not Document.objects.filter(pk=document["id"]).exists() and not object_exists(key)


def test_the_trash_page_restores_and_deletes_forever(client, alice, alice_api, unique_bytes):
    """LIFE-01, UI: the delete page says "Move to trash"; the trash page lists the document, restores it, asks before
    deleting one forever or emptying the whole trash, and does so on POST."""
    client.force_login(alice)
    document = upload_document(alice_api, unique_bytes(300), filename="garden-letter.txt")
    asking = client.get(f"/documents/{document['id']}/delete/").content.decode()
    assert "Move “garden-letter” to the trash?" in asking and "Move to trash" in asking
    assert client.post(f"/documents/{document['id']}/delete/").status_code == 302
    page = client.get("/documents/trash/").content.decode()
    assert "garden-letter" in page and 'href="/documents/trash/"' in page

    assert client.post("/documents/trash/restore/", {"ids": [document["id"]]}).status_code == 302
    assert Document.objects.owned_by(alice).filter(pk=document["id"]).exists() and used(alice) == 300
    assert "garden-letter" not in client.get("/documents/trash/").content.decode()

    client.post(f"/documents/{document['id']}/delete/")
    confirm = client.get(f"/documents/trash/empty/?ids={document['id']}").content.decode()
    assert "Delete “garden-letter” for good?" in confirm
    assert Document.objects.in_trash_of(alice).count() == 1  # asking deletes nothing
    assert "Empty the trash?" in client.get("/documents/trash/empty/").content.decode()
    assert client.post("/documents/trash/empty/", {"ids": [document["id"]]}).status_code == 302
    assert not Document.objects.filter(pk=document["id"]).exists()
    assert "The trash is empty" in client.get("/documents/trash/").content.decode()
