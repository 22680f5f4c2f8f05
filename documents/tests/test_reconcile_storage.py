"""Every object in storage belongs to a document: `manage.py reconcile_storage` finds the ones that do not."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from conftest import object_exists, post_to_storage, request_upload, upload_document
from documents import periodic, services, trash
from documents.models import Document, StorageDeletion
from documents.reconcile import storage_orphans


def run(*options: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("reconcile_storage", "--min-age-minutes", "0", *options, stdout=out)
    return out.getvalue()


def test_documents_and_uploads_in_flight_are_never_orphans(alice, alice_api, unique_bytes):
    """D-10: a stored document and an upload posted but not yet confirmed both belong to a row."""
    upload_document(alice_api, unique_bytes(200))
    data = unique_bytes(300)
    answer = request_upload(alice_api, data)
    post_to_storage(answer.json()["upload"], data)
    assert storage_orphans(min_age=timedelta(0), prefix=f"u/{alice.uuid}/") == []


def test_a_used_upload_form_posted_again_after_delete_is_found_and_removed(alice, alice_api, unique_bytes):
    """STORE-06, D-10: re-posting a presigned form after its document was deleted for good leaves bytes nobody
    pays for; the command reports them, exits non-zero, and --fix deletes them."""
    data = unique_bytes(400)
    answer = request_upload(alice_api, data)
    upload, document_id = answer.json()["upload"], answer.json()["document"]["id"]
    post_to_storage(upload, data)
    assert alice_api.post(f"/api/documents/{document_id}/confirm/").status_code == 200
    key = Document.objects.get(pk=document_id).key
    trash.document_trash(user=alice, document_id=document_id)
    trash.trash_empty(user=alice, ids=[document_id])
    services.storage_deletion_attempt(key)
    assert not object_exists(key)

    assert post_to_storage(upload, data).status_code in (200, 201, 204)  # the form is still valid for a while
    # Kite deletes the key again once the form has expired (below); were that deletion lost, the command finds it.
    StorageDeletion.objects.filter(key=key).delete()
    with pytest.raises(CommandError, match="belong to no document"):
        run()
    report = run("--fix")
    assert f"{key}: 400 bytes" in report and "deleted" in report
    assert not object_exists(key)
    assert "No orphans" in run()


def test_a_used_upload_form_posted_again_after_delete_leaves_nothing_once_it_expires(alice, alice_api, unique_bytes):
    """STORE-06, D-10: the deleted document's key stays queued while its form is valid and is deleted again once
    the form has expired, so bytes posted with it in between do not stay; deletions of other keys go on."""
    data = unique_bytes(500)
    answer = request_upload(alice_api, data)
    upload, document_id = answer.json()["upload"], answer.json()["document"]["id"]
    post_to_storage(upload, data)
    assert alice_api.post(f"/api/documents/{document_id}/confirm/").status_code == 200
    key = Document.objects.get(pk=document_id).key
    with_thumbnail = Document.objects.get(pk=document_id).thumbnail_key
    trash.document_trash(user=alice, document_id=document_id)
    trash.trash_empty(user=alice, ids=[document_id])
    services.storage_deletion_attempt(key)
    services.storage_deletion_attempt(with_thumbnail)
    assert not object_exists(key)
    assert list(StorageDeletion.objects.values_list("key", "deleted_once")) == [(key, True)]

    assert post_to_storage(upload, data).status_code in (200, 201, 204)
    assert periodic.storage_deletions_drain() == 0  # the form is still valid: not yet
    assert storage_orphans(min_age=timedelta(0), prefix=f"u/{alice.uuid}/") == []  # accounted for meanwhile
    StorageDeletion.objects.filter(key=key).update(repeat_until=timezone.now())  # the form has expired
    assert periodic.storage_deletions_drain() == 1
    assert not object_exists(key) and not StorageDeletion.objects.exists()
