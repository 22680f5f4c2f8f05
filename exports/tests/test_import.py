"""`manage.py import_export` refuses what is not a whole Kite export that fits, and keeps nothing of it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from documents import periodic, storage
from documents.models import Document, Note, StorageDeletion
from exports import importing
from exports.tests.factories import document_entry, export_zip
from quotas.models import Quota
from topics.models import DocumentTopic, Topic


def run_import(tmp_path, data: bytes, username: str = "bob") -> str:
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    out = io.StringIO()
    call_command("import_export", str(path), user=username, stdout=out)
    return out.getvalue()


def assert_nothing_imported(bob) -> None:
    assert not Document.objects.filter(owner=bob).exists()
    assert not Topic.objects.filter(owner=bob).exists()
    quota = Quota.objects.get(user=bob)
    assert (quota.used_bytes, quota.reserved_bytes) == (0, 0)
    assert not list(storage.list_objects(f"u/{bob.uuid}/"))


def plain_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def valid_files(unique_bytes, count: int = 2) -> list:
    files = []
    for number in range(count):
        data = unique_bytes(1000)
        files.append((document_entry(data, title=f"Letter {number}", filename=f"letter{number}.txt"), data))
    return files


HOSTILE = {
    "not a zip": (lambda files: b"just some bytes, not a zip", "not a zip"),
    "no metadata": (lambda files: plain_zip({"files/a.txt": b"a"}), "not a Kite export: it has no metadata.json"),
    "foreign metadata": (
        lambda files: plain_zip({"metadata.json": b'{"format": "someone-else", "items": []}'}),
        "not a Kite export",
    ),
    "metadata not JSON": (lambda files: plain_zip({"metadata.json": b"\x00\x01"}), "metadata.json cannot be read"),
    "a newer format": (lambda files: export_zip(files, metadata_extra={"version": 99}), "version"),
    "a file missing": (
        lambda files: export_zip(
            files,
            metadata_extra={"documents": [*(e for e, _ in files), {**files[0][0], "file": "files/../../etc/passwd"}]},
        ),
        "which the zip does not hold",
    ),
    "a size that lies": (
        lambda files: export_zip([({**files[0][0], "size_bytes": 5}, files[0][1])]),
        "says 5",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_zip_that_is_not_a_kite_export_is_refused(case, bob, uploads, unique_bytes, tmp_path):
    """LIFE-05: a file that is not a zip, a zip without Kite's metadata.json, a foreign or newer one, one whose
    metadata names a member it lacks (a path outside it, too) or a size it does not have: a clear CommandError
    and nothing created."""
    make, message = HOSTILE[case]
    with pytest.raises(CommandError, match=message):
        run_import(tmp_path, make(valid_files(unique_bytes)))
    assert_nothing_imported(bob)


def test_too_many_members_are_refused(bob, uploads, unique_bytes, tmp_path, monkeypatch):
    """LIFE-05: a zip with more members than an import takes is refused before anything else is read."""
    monkeypatch.setattr(importing, "MAX_MEMBERS", 10)
    data = export_zip(valid_files(unique_bytes), members=[(f"filler/{n}", b"") for n in range(20)])
    with pytest.raises(CommandError, match="an import takes at most 10"):
        run_import(tmp_path, data)
    assert_nothing_imported(bob)


def test_a_file_larger_than_an_upload_may_be_is_refused(bob, uploads, unique_bytes, tmp_path, settings):
    """Every way in takes the same files: what KITE_MAX_UPLOAD_BYTES refuses to an upload, it refuses to an import."""
    settings.KITE_MAX_UPLOAD_BYTES = 999
    with pytest.raises(CommandError, match="at most 999 bytes"):
        run_import(tmp_path, export_zip(valid_files(unique_bytes)))
    assert_nothing_imported(bob)


def test_an_export_over_the_quota_is_refused_before_anything_is_stored(bob, uploads, unique_bytes, tmp_path):
    """LIFE-05, STORE-05: files that together exceed what bob's quota has left: refused with the sizes, no object
    stored, nothing charged or reserved."""
    Quota.objects.filter(user=bob).update(limit_bytes=1500)
    with pytest.raises(CommandError, match="quota has 1500 left"):
        run_import(tmp_path, export_zip(valid_files(unique_bytes)))
    assert_nothing_imported(bob)


def test_a_compression_bomb_counts_its_unpacked_size_against_the_quota(bob, uploads, tmp_path):
    """LIFE-05: a small zip that unpacks to far more than the quota is judged by its unpacked size."""
    Quota.objects.filter(user=bob).update(limit_bytes=10 * 1024 * 1024)
    data = b"\0" * (50 * 1024 * 1024)
    entry = document_entry(data, filename="zeros.bin")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(entry["file"], data)
        archive.writestr(
            "metadata.json", json.dumps({"format": "kite-export", "version": 1, "topics": [], "documents": [entry]})
        )
    assert len(buffer.getvalue()) < 1024 * 1024
    with pytest.raises(CommandError, match="quota has"):
        run_import(tmp_path, buffer.getvalue())
    assert_nothing_imported(bob)


def test_a_damaged_file_undoes_the_whole_import(
    bob, uploads, unique_bytes, tmp_path, django_capture_on_commit_callbacks
):
    """LIFE-05: the second file's bytes are not the ones metadata.json names: the first, already stored, is
    deleted again with its reservation; no document, topic or note is left."""
    files = valid_files(unique_bytes)
    files[0][0]["topics"] = [{"name": "Letters", "is_system": False, "source": "manual", "confidence": None}]
    files[0][0]["notes"] = [{"text": "a note", "created": "2026-01-02T03:04:05+00:00"}]
    files[1] = ({**files[1][0], "sha256": "1" * 64}, files[1][1])
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError, match="is damaged"):
        run_import(tmp_path, export_zip(files, topics=[{"name": "Letters", "description": ""}]))
    periodic.storage_deletions_drain()
    assert_nothing_imported(bob)
    assert not Note.objects.exists() and not DocumentTopic.objects.exists()
    assert not StorageDeletion.objects.filter(StorageDeletion.due()).exists()


def test_an_unknown_person_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="No person is called 'nobody'"):
        run_import(tmp_path, b"", username="nobody")


def test_documents_not_yet_read_are_queued_and_system_topics_are_matched_by_name(
    bob, uploads, unique_bytes, tmp_path, django_capture_on_commit_callbacks
):
    """LIFE-05: a document that was still waiting to be read (or had failed) is queued to be read here; a system
    topic of the export is this Kite's system topic of that name, and one this Kite lacks becomes bob's own."""
    receipts = Topic.objects.create(owner=None, name="Receipts")
    files = valid_files(unique_bytes)
    files[0][0].update(
        state="failed",
        topics=[
            {"name": "receipts", "is_system": True, "source": "llm", "confidence": 0.7},
            {"name": "Elsewhere", "is_system": True, "source": "manual", "confidence": None},
        ],
    )
    with django_capture_on_commit_callbacks(execute=False):
        out = run_import(tmp_path, export_zip(files))
    assert "1 queued to be read" in out
    first = Document.objects.get(owner=bob, sha256=files[0][0]["sha256"])
    assert first.state == Document.State.QUEUED and first.enqueued_at is not None
    assert {a.topic for a in first.assignments.all()} == {receipts, Topic.objects.get(owner=bob, name="Elsewhere")}
    second = Document.objects.get(owner=bob, sha256=files[1][0]["sha256"])
    assert second.state == Document.State.SKIPPED and second.text == files[1][0]["text"]
    assert str(second.created.date()) == "2026-01-02"


@pytest.mark.slow
def test_storage_down_during_an_import_keeps_nothing(
    bob, fault_storage, unique_bytes, tmp_path, django_capture_on_commit_callbacks
):
    """LIFE-05: storage unavailable while the files are stored: a clear CommandError, no document, nothing
    charged or reserved; the keys wait in the deletion retry queue, so nothing is leaked either."""
    data = export_zip(valid_files(unique_bytes))
    fault_storage.kill()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError, match="Storage is unavailable"):
        run_import(tmp_path, data)
    assert not Document.objects.filter(owner=bob).exists()
    quota = Quota.objects.get(user=bob)
    assert (quota.used_bytes, quota.reserved_bytes) == (0, 0)
    assert StorageDeletion.objects.exists()
    fault_storage.restart()
    periodic.storage_deletions_drain()
    assert_nothing_imported(bob)


def test_a_file_confirmed_by_its_person_mid_import_is_never_charged_twice(
    bob, bob_api, uploads, unique_bytes, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    """While its files go up, an import's documents are the person's uploads in flight: one they confirm meanwhile
    (it is theirs, and its bytes are stored) is charged by that confirm, so the import refuses rather than charge it
    again, and discards the rest: used_bytes stays the sum of the stored documents."""
    files = valid_files(unique_bytes)
    store = importing._store
    confirmed = []

    def store_then_confirm(archive, document, entry):
        etag = store(archive, document, entry)
        if not confirmed:
            assert bob_api.post(f"/api/documents/{document.pk}/confirm/").status_code == 200
            confirmed.append(document.pk)
        return etag

    monkeypatch.setattr(importing, "_store", store_then_confirm)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(CommandError, match="confirmed or deleted"):
        run_import(tmp_path, export_zip(files))
    periodic.storage_deletions_drain()
    kept = Document.objects.filter(owner=bob)
    assert [document.pk for document in kept] == confirmed
    quota = Quota.objects.get(user=bob)
    assert (quota.used_bytes, quota.reserved_bytes) == (sum(document.size_bytes for document in kept), 0)
