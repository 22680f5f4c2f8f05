"""UP-03: the bytes of uploads in flight are reserved against the quota when the upload URL is issued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from conftest import object_exists, post_to_storage, request_upload, upload_document
from documents import periodic
from documents.models import Document
from documents.reconcile import quotas_reconcile
from quotas.models import Quota


def counters(user) -> tuple[int, int]:
    quota = Quota.objects.get(user=user)
    return quota.used_bytes, quota.reserved_bytes


def test_upload_url_reserves_and_confirm_turns_it_into_use(alice, alice_api, unique_bytes):
    """UP-03, STORE-03: upload-url reserves the declared size; confirm charges it and drops the reservation."""
    data = unique_bytes(4000)
    answer = request_upload(alice_api, data)
    assert counters(alice) == (0, 4000)
    assert alice_api.get("/api/quota/").json()["remaining_bytes"] == Quota.objects.get(user=alice).limit_bytes - 4000
    post_to_storage(answer.json()["upload"], data)
    assert alice_api.post(f"/api/documents/{answer.json()['document']['id']}/confirm/").status_code == 200
    assert counters(alice) == (4000, 0)


def test_a_reservation_counts_against_the_next_upload(alice, alice_api, unique_bytes):
    """UP-03: what uploads in flight hold is not offered again: 413 up front, nothing made, nothing reserved."""
    Quota.objects.filter(user=alice).update(limit_bytes=1000)
    assert request_upload(alice_api, unique_bytes(600)).status_code == 201
    refused = request_upload(alice_api, unique_bytes(600))
    assert refused.status_code == 413 and refused.json()["code"] == "quota_exceeded"
    assert refused.json()["reserved_bytes"] == 600 and refused.json()["remaining_bytes"] == 400
    assert Document.objects.filter(owner=alice).count() == 1
    assert counters(alice) == (0, 600)


def test_deleting_an_unconfirmed_upload_releases_its_reservation(alice, alice_api, unique_bytes):
    """UP-03, STORE-06: an upload deleted before its confirm gives its reservation back, and only that."""
    kept = upload_document(alice_api, unique_bytes(300))
    pending = upload_document(alice_api, unique_bytes(500), confirm=False)
    assert counters(alice) == (300, 500)
    assert alice_api.delete(f"/api/documents/{pending['id']}/").status_code == 204
    assert counters(alice) == (300, 0)
    assert Document.objects.filter(pk=kept["id"]).exists()


def test_purging_a_stale_upload_releases_its_reservation(alice, alice_api, unique_bytes, settings):
    """UP-03, D-07: the purge of uploads never confirmed gives their reservations back."""
    pending = upload_document(alice_api, unique_bytes(700), confirm=False)
    long_ago = timezone.now() - timedelta(seconds=settings.KITE_PENDING_UPLOAD_TTL + 60)
    Document.objects.filter(pk=pending["id"]).update(created=long_ago)
    assert periodic.uploads_purge_stale() == 1
    assert counters(alice) == (0, 0)


def test_a_size_mismatch_at_confirm_releases_the_reservation(alice, alice_api, unique_bytes):
    """UP-03: a stored object of another size fails the confirm for good: 409, upload and reservation given up."""
    data = unique_bytes(100)
    answer = request_upload(alice_api, data, sha256=False)
    upload = answer.json()["upload"]
    document = Document.objects.get(pk=answer.json()["document"]["id"])
    Document.objects.filter(pk=document.pk).update(size_bytes=99)  # the declared size no longer matches
    Quota.objects.filter(user=alice).update(reserved_bytes=99)
    post_to_storage(upload, data)
    refused = alice_api.post(f"/api/documents/{document.pk}/confirm/")
    assert refused.status_code == 409 and refused.json()["code"] == "size_mismatch"
    assert counters(alice) == (0, 0) and not Document.objects.filter(pk=document.pk).exists()


def test_a_confirm_whose_reservation_was_lost_is_charged_only_if_it_fits(
    alice, alice_api, unique_bytes, django_capture_on_commit_callbacks
):
    """STORE-05, UP-03: should a reservation be lost (drift), confirm charges the upload only if it still fits;
    otherwise 413, and its row and object go."""
    first, second = unique_bytes(600), unique_bytes(600)
    Quota.objects.filter(user=alice).update(limit_bytes=1200)
    pending = [upload_document(alice_api, data, confirm=False) for data in (first, second)]
    Quota.objects.filter(user=alice).update(reserved_bytes=0, limit_bytes=1000)  # drift, and a lower limit
    assert alice_api.post(f"/api/documents/{pending[0]['id']}/confirm/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        rejected = alice_api.post(f"/api/documents/{pending[1]['id']}/confirm/")
    assert rejected.status_code == 413 and rejected.json()["code"] == "quota_exceeded"
    assert not Document.objects.filter(pk=pending[1]["id"]).exists()
    assert not object_exists(Document.objects.get(pk=pending[0]["id"]).key.replace(pending[0]["id"], pending[1]["id"]))
    assert counters(alice) == (600, 0)


def test_the_database_refuses_used_and_reserved_beyond_the_limit(alice):
    """UP-03: `used + reserved <= limit` is a constraint of the database itself, whatever path writes."""
    Quota.objects.filter(user=alice).update(limit_bytes=1000, used_bytes=600)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quota.objects.filter(user=alice).update(reserved_bytes=401)
    with pytest.raises(IntegrityError), transaction.atomic():
        Quota.objects.filter(user=alice).update(reserved_bytes=300, limit_bytes=899)
    assert Quota.objects.reserve(alice, 400) and not Quota.objects.reserve(alice, 1)


def test_admin_cannot_lower_a_limit_below_what_is_stored_and_reserved(alice, alice_api, staff, client, unique_bytes):
    """UP-03, ACC-02: the admin refuses a limit below used + reserved (saying why) and changes only the limit."""
    upload_document(alice_api, unique_bytes(300))
    upload_document(alice_api, unique_bytes(200), confirm=False)
    client.force_login(staff)
    url = f"/admin/quotas/quota/{alice.pk}/change/"
    refused = client.post(url, {"limit_bytes": 400})
    assert refused.status_code == 200 and "uploads in flight hold 200" in refused.content.decode()
    assert Quota.objects.get(user=alice).limit_bytes != 400
    assert client.post(url, {"limit_bytes": 500}).status_code == 302
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes, quota.limit_bytes) == (300, 200, 500)


def test_reconcile_checks_and_repairs_reservations(alice, alice_api, unique_bytes):
    """D-10, UP-03: reconcile_quotas compares reserved_bytes with the uploads in flight; --fix sets it right."""
    upload_document(alice_api, unique_bytes(250), confirm=False)
    assert quotas_reconcile() == []
    Quota.objects.filter(user=alice).update(reserved_bytes=900)
    (drift,) = quotas_reconcile()
    assert (drift.recorded_reserved, drift.actual_reserved, drift.reserved_delta) == (900, 250, 650)
    quotas_reconcile(fix=True)
    assert counters(alice) == (0, 250) and quotas_reconcile() == []
