"""LIFE-05: asking for an export, who may see it, storage failing under it, its expiry, and what deletes it."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import timedelta

import pytest
import requests
from django.core.management import call_command
from django.utils import timezone

from activity.models import Event
from conftest import object_exists, upload_document
from documents import periodic as document_periodic
from documents import reconcile, storage
from documents.models import Document, StorageDeletion
from exports import periodic, services
from exports.models import EXPORT_PREFIX, Export

MIB = 1024 * 1024


def build(export: Export) -> Export:
    """Run the worker's part in the test's own process (the broker is not under test here)."""
    services.export_build(export_id=export.pk)
    export.refresh_from_db()
    return export


def test_it_checks_access(alice, alice_api, bob_api, client, unique_bytes):
    """SEC-04: bob gets 404 for alice's export, its download too, exactly as for one that does not exist; without
    logging in 401."""
    upload_document(alice_api, unique_bytes(100))
    export = build(services.export_request(user=alice))
    assert export.state == Export.State.READY
    for url in (f"/api/exports/{export.pk}/", f"/api/exports/{export.pk}/download/"):
        assert bob_api.get(url).status_code == 404
        assert bob_api.get(url.replace(str(export.pk), "00000000-0000-0000-0000-000000000000")).status_code == 404
        assert client.get(url).status_code == 401
        assert alice_api.get(url).status_code in (200, 302)


def test_one_export_at_a_time(alice, alice_api, bob, bob_api):
    """LIFE-05: asking again while an export is queued answers 202 with that same export; a new one starts once it
    has finished; bob's request is his own."""
    first = alice_api.post("/api/exports/")
    assert first.status_code == 202 and first.json()["state"] == "queued"
    again = alice_api.post("/api/exports/")
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    assert bob_api.post("/api/exports/").json()["id"] != first.json()["id"]
    shown = alice_api.get(f"/api/exports/{first.json()['id']}/").json()
    assert shown["state"] == "queued" and shown["download_url"] is None
    assert alice_api.get(f"/api/exports/{first.json()['id']}/download/").status_code == 404  # not ready yet
    build(Export.objects.get(pk=first.json()["id"]))
    third = alice_api.post("/api/exports/")
    assert third.json()["id"] != first.json()["id"]
    assert Export.objects.filter(owner=alice).count() == 2


def test_download_redirects_to_a_short_presigned_get(alice, alice_api, unique_bytes):
    """LIFE-05: Kite's link answers a fresh presigned GET each time, as an attachment named after the day."""
    upload_document(alice_api, unique_bytes(100))
    export = build(services.export_request(user=alice))
    answer = alice_api.get(f"/api/exports/{export.pk}/download/")
    assert answer.status_code == 302
    assert "X-Amz-Expires=" in answer["Location"]
    fetched = requests.get(answer["Location"], timeout=30)
    assert fetched.status_code == 200
    assert f'filename="kite-export-{export.finished_at:%Y-%m-%d}.zip"' in fetched.headers["Content-Disposition"]


def test_a_file_whose_bytes_changed_is_noted_in_the_metadata(alice, alice_api, unique_bytes):
    """LIFE-05: the export hashes each file as it copies it; one whose SHA-256 is not the recorded one is still
    exported, and metadata.json says so."""
    document = upload_document(alice_api, unique_bytes(100))
    Document.objects.filter(pk=document["id"]).update(sha256="0" * 64)
    export = build(services.export_request(user=alice))
    data = requests.get(alice_api.get(f"/api/exports/{export.pk}/download/")["Location"], timeout=30).content
    entry = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("metadata.json"))["documents"][0]
    assert entry["sha256_verified"] is False
    assert entry["sha256_recorded"] == "0" * 64
    assert "differs" in entry["problem"]


@pytest.mark.slow
def test_storage_down_during_an_export_fails_it_clearly_and_leaves_no_upload(
    alice, alice_api, fault_storage, unique_bytes, monkeypatch
):
    """LIFE-05: storage going away while the zip is written ends the export `failed` with a clear error (and an
    export_failed event); once storage is back nothing of it is left: no object and no multipart upload."""
    for _ in range(3):
        upload_document(alice_api, unique_bytes(MIB))
    write_file = services._write_file
    written = []

    def write_then_fail(archive, document):
        # Storage dies after the first file is in the zip: the multipart upload exists by then.
        result = write_file(archive, document)
        written.append(result)
        if len(written) == 1:
            fault_storage.kill()
        return result

    monkeypatch.setattr(services, "_write_file", write_then_fail)
    export = build(services.export_request(user=alice))
    assert export.state == Export.State.FAILED
    assert export.error == services.STORAGE_DOWN
    assert export.download_url is None and export.upload_id == ""
    assert Event.objects.filter(owner=alice, action="export_failed", detail=services.STORAGE_DOWN).exists()

    fault_storage.restart()
    periodic.exports_reconcile(min_age=timedelta(0))
    assert list(storage.multipart_uploads(EXPORT_PREFIX)) == []
    assert list(storage.list_objects(EXPORT_PREFIX)) == []
    assert alice_api.post("/api/exports/").json()["id"] != str(export.pk)  # a new one may be asked for


@pytest.mark.slow
def test_storage_down_when_the_export_starts(alice, alice_api, fault_storage, unique_bytes):
    """LIFE-05: no upload can even begin: the export fails at once, saying storage was unavailable."""
    upload_document(alice_api, unique_bytes(100))
    fault_storage.kill()
    export = build(services.export_request(user=alice))
    assert (export.state, export.error) == (Export.State.FAILED, services.STORAGE_DOWN)


def test_an_export_expires_after_a_day(alice, alice_api, unique_bytes, settings):
    """LIFE-05: KITE_EXPORT_HOURS after it is ready the scheduler deletes the object and the export; not before."""
    upload_document(alice_api, unique_bytes(100))
    export = build(services.export_request(user=alice))
    assert object_exists(export.key)
    assert export.expires_at == export.finished_at + timedelta(hours=settings.KITE_EXPORT_HOURS)
    assert periodic.exports_expire(now=timezone.now() + timedelta(hours=23)) == 0
    assert object_exists(export.key)
    assert periodic.exports_expire(now=timezone.now() + timedelta(hours=24, minutes=1)) == 1
    assert not Export.objects.filter(pk=export.pk).exists()
    assert not object_exists(export.key)
    assert not StorageDeletion.objects.filter(key=export.key).exists()
    assert alice_api.get(f"/api/exports/{export.pk}/download/").status_code == 404


def test_deleting_the_person_deletes_their_exports(
    alice, alice_api, bob, bob_api, unique_bytes, django_capture_on_commit_callbacks
):
    """ACC-05: a person deleted leaves no export object behind; another person's export stays."""
    upload_document(alice_api, unique_bytes(100))
    upload_document(bob_api, unique_bytes(100))
    alices = build(services.export_request(user=alice))
    bobs = build(services.export_request(user=bob))
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    document_periodic.storage_deletions_drain()
    assert not object_exists(alices.key)
    assert object_exists(bobs.key)


def test_reconciliation_leaves_exports_alone_and_removes_orphaned_ones(alice, alice_api, unique_bytes):
    """Export objects are not documents' orphans (reconcile_storage does not flag them); an export object no
    export accounts for is deleted by the exports' own reconciliation."""
    upload_document(alice_api, unique_bytes(100))
    export = build(services.export_request(user=alice))
    orphan_key = f"{EXPORT_PREFIX}{alice.uuid}/left-behind.zip"
    storage.put(orphan_key, b"PK", content_type="application/zip")
    assert export.key not in {listed.key for listed in reconcile.storage_orphans(min_age=timedelta(0))}
    # Earlier tests' exports, whose rows are gone with their transactions, are orphans as well.
    assert periodic.exports_reconcile(min_age=timedelta(0)) >= 1
    assert object_exists(export.key)
    assert not object_exists(orphan_key)


def test_an_export_whose_worker_died_fails_and_frees_the_next_one(alice, uploads):
    """LIFE-05: an export still running long after a worker could have finished it is failed, so its person can
    ask again."""
    export = services.export_request(user=alice)
    Export.objects.filter(pk=export.pk).update(state="running", created=timezone.now() - timedelta(days=1))
    assert periodic.exports_fail_stale() == 1
    export.refresh_from_db()
    assert (export.state, export.error) == (Export.State.FAILED, services.WORKER_DIED)


def test_the_broker_down_fails_the_export_at_once(alice, own_broker, django_capture_on_commit_callbacks):
    """LIFE-05: an export the broker would not take fails at once, saying so, instead of waiting forever."""
    from exports.tasks import build_export

    valkey, broker = own_broker
    original = build_export.broker
    broker.declare_actor(build_export)
    build_export.broker = broker
    valkey.stop()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            export = services.export_request(user=alice)
    finally:
        build_export.broker = original
    export.refresh_from_db()
    assert (export.state, export.error) == (Export.State.FAILED, services.BROKER_DOWN)


def test_settings_page_shows_the_export_and_starts_one(alice, alice_api, client, unique_bytes):
    """LIFE-05: the settings page's button asks for an export, the box shows its progress and then the link."""
    upload_document(alice_api, unique_bytes(100))
    client.force_login(alice)
    assert "No export yet." in client.get("/accounts/settings/").content.decode()
    assert client.post("/accounts/settings/", {"form": "export"}).status_code == 302
    export = Export.objects.get(owner=alice)
    status = client.get("/accounts/settings/export/").json()
    assert status["state"] == "queued" and "data-export-poll" in status["html"]
    build(export)
    page = client.get("/accounts/settings/").content.decode()
    assert f'href="/api/exports/{export.pk}/download/"' in page and "kite-export-" in page
    assert client.get("/accounts/settings/export/").json()["state"] == "ready"


@pytest.mark.django_db(transaction=True)  # the scheduler closes its connection between jobs
def test_the_scheduler_runs_the_export_jobs(alice, alice_api, unique_bytes):
    """LIFE-05: `manage.py run_periodic` runs the jobs the exports app lists for it: an export past its expiry
    loses its object and its row."""
    upload_document(alice_api, unique_bytes(100))
    export = build(services.export_request(user=alice))
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    call_command("run_periodic", "--once")
    assert not Export.objects.filter(pk=export.pk).exists()
    assert not object_exists(export.key)


def test_a_file_storage_lost_is_noted_and_the_rest_exported(alice, alice_api, bob, unique_bytes, tmp_path):
    """LIFE-05: a document whose object storage no longer holds is listed in metadata.json with no file and the
    reason; the other files are exported, and an import leaves the lost one out, saying so."""
    lost = upload_document(alice_api, unique_bytes(100), filename="lost.txt")
    kept = upload_document(alice_api, unique_bytes(100), filename="kept.txt")
    storage.delete(Document.objects.get(pk=lost["id"]).key)
    export = build(services.export_request(user=alice))
    assert export.state == Export.State.READY
    data = requests.get(alice_api.get(f"/api/exports/{export.pk}/download/")["Location"], timeout=30).content
    entries = {e["id"]: e for e in json.loads(zipfile.ZipFile(io.BytesIO(data)).read("metadata.json"))["documents"]}
    assert entries[lost["id"]]["file"] is None and "no longer holds" in entries[lost["id"]]["problem"]
    assert entries[kept["id"]]["file"] and entries[kept["id"]]["sha256_verified"]
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_export", str(path), user="bob", stdout=out)
    assert "left out: lost: the export holds no file for it" in out.getvalue()
    assert Document.objects.filter(owner=bob).count() == 1


def test_progress_is_written_at_most_about_once_a_second(alice, alice_api, unique_bytes):
    """LIFE-05: many small files do not mean many progress writes: besides claiming, starting and finishing,
    the export writes its progress once at the start, at most once a second after that, and once at the end."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(15):
        upload_document(alice_api, unique_bytes(50))
    export = services.export_request(user=alice)
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        build(export)
    seconds = time.monotonic() - started
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "exports_export"')]
    # Claim, total, upload id, ready; then progress: the first file, once a second, the end.
    assert len(updates) <= 4 + 2 + int(seconds)
    assert export.documents_done == export.documents_total == 15


def test_a_new_export_replaces_the_earlier_ones_once_it_is_ready(alice, alice_api, bob, bob_api, unique_bytes):
    """Exports are not charged: a person holds one finished copy of everything at a time, however often they ask.
    The earlier export stays downloadable until the new one is ready, then its object goes."""
    upload_document(alice_api, unique_bytes(100))
    upload_document(bob_api, unique_bytes(100))
    bobs = build(services.export_request(user=bob))
    first = build(services.export_request(user=alice))
    second = services.export_request(user=alice)
    assert alice_api.get(f"/api/exports/{first.pk}/download/").status_code == 302  # still there while building
    build(second)
    assert list(Export.objects.filter(owner=alice)) == [second]
    assert not object_exists(first.key) and object_exists(second.key)
    assert alice_api.get(f"/api/exports/{first.pk}/").status_code == 404
    assert Export.objects.filter(pk=bobs.pk).exists() and object_exists(bobs.key)  # bob's are his own
