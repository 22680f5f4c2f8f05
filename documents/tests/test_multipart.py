"""UP-01, UP-02: large files upload as multipart uploads, in parallel parts each pinned to its checksum, resume
from the parts storage holds, and are aborted by the scheduler when nobody finishes them."""

from __future__ import annotations

import base64
import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from conftest import object_exists
from documents import periodic, processing, reconcile, storage
from documents.models import Document, MultipartUpload
from quotas.models import Quota

MIB = 1024 * 1024


@pytest.fixture
def multipart_settings(settings):
    """Parts of 5 MiB above 5 MiB, so a 12 MiB file is three parts: 5, 5 and 2 MiB."""
    settings.KITE_MULTIPART_THRESHOLD = 5 * MIB
    settings.KITE_MULTIPART_PART_SIZE = 5 * MIB
    return settings


def parts_of(data: bytes, part_size: int = 5 * MIB) -> list[bytes]:
    return [data[start : start + part_size] for start in range(0, len(data), part_size)]


def ask(client, data: bytes, **extra):
    body = {
        "filename": "archive.bin",
        "size_bytes": len(data),
        "content_type": "application/octet-stream",
        "sha256": hashlib.sha256(data).hexdigest(),
        "part_sha256": [hashlib.sha256(part).hexdigest() for part in parts_of(data)],
        "classify": False,
        **extra,
    }
    return client.post("/api/documents/upload-url/", body, format="json")


def put_part(url: str, body: bytes, checksum_of: bytes | None = None) -> requests.Response:
    """What the page does for one part: a PUT with the part's SHA-256 (base64) in the signed header."""
    checksum = base64.b64encode(hashlib.sha256(body if checksum_of is None else checksum_of).digest()).decode()
    return requests.put(url, data=body, headers={"x-amz-checksum-sha256": checksum}, timeout=60)


def put_parts(urls: list[dict], parts: list[bytes]) -> list[int]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = pool.map(lambda p: put_part(p["url"], parts[p["number"] - 1]), urls)
        return [answer.status_code for answer in answers]


def download(client, document_id) -> bytes:
    answer = client.get(f"/api/documents/{document_id}/download/")
    assert answer.status_code == 302
    return requests.get(answer["Location"], timeout=60).content


def uploads_under(key: str) -> list:
    return list(storage.multipart_uploads(key))


def test_large_file_uploads_in_parallel_parts_and_downloads_identical(alice, alice_api, multipart_settings):
    """UP-01: a 12 MiB file above a 5 MiB threshold gets three part URLs, its parts go up at once, confirm joins
    the parts storage lists, and the download is byte for byte the file; the quota is charged its size once."""
    data = hashlib.sha256(b"seed").digest() * (12 * MIB // 32)
    answer = ask(alice_api, data)
    assert answer.status_code == 201, answer.content
    upload = answer.json()["upload"]
    assert upload["multipart"] is True and upload["part_size"] == 5 * MIB and upload["upload_id"]
    assert [p["number"] for p in upload["parts"]] == [1, 2, 3] and upload["expires_at"]
    assert Quota.objects.get(user=alice).reserved_bytes == len(data)

    assert put_parts(upload["parts"], parts_of(data)) == [200, 200, 200]
    document_id = answer.json()["document"]["id"]
    confirmed = alice_api.post(f"/api/documents/{document_id}/confirm/")
    assert confirmed.status_code == 200, confirmed.content
    assert confirmed.json()["state"] == "skipped" and confirmed.json()["size_bytes"] == 12 * MIB

    assert download(alice_api, document_id) == data
    quota = Quota.objects.get(user=alice)
    assert (quota.used_bytes, quota.reserved_bytes) == (len(data), 0)
    document = Document.objects.get(pk=document_id)
    assert not MultipartUpload.objects.filter(document=document).exists()
    assert uploads_under(document.key) == []
    again = alice_api.post(f"/api/documents/{document_id}/confirm/")
    assert again.status_code == 200 and Quota.objects.get(user=alice).used_bytes == len(data)


def test_small_files_keep_the_presigned_post(alice_api, multipart_settings, unique_bytes):
    """UP-01: at or below the threshold the answer is the one presigned POST, marked `multipart: false`."""
    answer = alice_api.post(
        "/api/documents/upload-url/",
        {"filename": "a.txt", "size_bytes": 5 * MIB, "content_type": "text/plain"},
        format="json",
    )
    assert answer.status_code == 201
    upload = answer.json()["upload"]
    assert upload["multipart"] is False and upload["url"] and upload["fields"] and "parts" not in upload


def test_upload_resumes_after_only_the_first_part(alice, alice_api, multipart_settings):
    """UP-02: after the first part only (a reload, a lost connection), parts/ lists that part as stored and gives
    fresh URLs for the others; confirm meanwhile says what is missing and keeps the upload and its reservation;
    the rest sent, the upload completes to the same bytes."""
    data = hashlib.sha256(b"resume").digest() * (12 * MIB // 32)
    parts = parts_of(data)
    answer = ask(alice_api, data)
    document_id = answer.json()["document"]["id"]
    assert put_part(answer.json()["upload"]["parts"][0]["url"], parts[0]).status_code == 200

    early = alice_api.post(f"/api/documents/{document_id}/confirm/")
    assert early.status_code == 409 and early.json()["code"] == "upload_missing"
    assert early.json()["missing_parts"] == [2, 3]
    assert Document.objects.get(pk=document_id).state == "uploading"
    assert Quota.objects.get(user=alice).reserved_bytes == len(data)

    resume = alice_api.get(f"/api/documents/{document_id}/parts/")
    assert resume.status_code == 200
    assert resume.json()["uploaded"] == [{"number": 1, "size": 5 * MIB}]
    fresh = resume.json()["parts"]
    assert [p["number"] for p in fresh] == [2, 3]
    assert put_parts(fresh, parts) == [200, 200]
    assert alice_api.get(f"/api/documents/{document_id}/parts/").json()["parts"] == []

    assert alice_api.post(f"/api/documents/{document_id}/confirm/").status_code == 200
    assert download(alice_api, document_id) == data
    assert alice_api.get(f"/api/documents/{document_id}/parts/").json()["code"] == "not_multipart"


def test_a_part_with_the_wrong_checksum_is_refused_by_storage(alice, alice_api, multipart_settings):
    """UP-01: each part URL is pinned to the part's SHA-256: other bytes are refused by storage (BadDigest), and
    so is a PUT that leaves the checksum out or names another (the signature covers it); nothing is stored."""
    data = hashlib.sha256(b"pinned").digest() * (12 * MIB // 32)
    parts = parts_of(data)
    answer = ask(alice_api, data)
    url = answer.json()["upload"]["parts"][0]["url"]
    corrupted = parts[0][:100] + bytes([parts[0][100] ^ 0xFF]) + parts[0][101:]

    refused = put_part(url, corrupted, checksum_of=parts[0])
    assert refused.status_code == 400 and "BadDigest" in refused.text
    unsigned = requests.put(url, data=parts[0], timeout=60)
    assert unsigned.status_code == 403
    own_checksum = put_part(url, corrupted)
    assert own_checksum.status_code == 403

    document_id = answer.json()["document"]["id"]
    assert alice_api.get(f"/api/documents/{document_id}/parts/").json()["uploaded"] == []
    assert alice_api.post(f"/api/documents/{document_id}/confirm/").json()["missing_parts"] == [1, 2, 3]


def test_parts_of_the_wrong_size_are_refused_by_storage(alice, alice_api, multipart_settings):
    """UP-01, UP-03: each part URL is pinned to the part's length too: parts cut otherwise (their checksums were
    announced for them), or far larger than the reservation, are refused by storage and nothing is stored; a
    confirm then finds the parts missing."""
    data = hashlib.sha256(b"cut").digest() * (12 * MIB // 32)
    cuts = [data[: 6 * MIB], data[6 * MIB : 11 * MIB], data[11 * MIB :]]
    answer = ask(alice_api, data, part_sha256=[hashlib.sha256(cut).hexdigest() for cut in cuts])
    assert put_parts(answer.json()["upload"]["parts"], cuts) == [403, 200, 403]
    document = Document.objects.get(pk=answer.json()["document"]["id"])
    assert [part["number"] for part in alice_api.get(f"/api/documents/{document.pk}/parts/").json()["uploaded"]] == [2]
    refused = alice_api.post(f"/api/documents/{document.pk}/confirm/")
    assert refused.status_code == 409 and refused.json()["missing_parts"] == [1, 3]


@pytest.mark.parametrize(
    "extra, needle",
    [
        ({"part_sha256": []}, "part_sha256"),
        ({"part_sha256": ["0" * 64] * 2}, "3 parts"),
        ({"part_size": 1024}, "part_size"),
        ({"part_sha256": ["zz"] * 3}, "part_sha256"),
    ],
)
def test_bad_part_plans_get_400_and_change_nothing(alice, alice_api, multipart_settings, extra, needle):
    """UP-01: a multipart upload needs one checksum per part, at a part size storage accepts; otherwise 400 that
    says what is expected, with no document, no reservation and no upload in storage."""
    data = b"x" * (12 * MIB)
    answer = ask(alice_api, data, **extra)
    assert answer.status_code == 400 and needle in answer.content.decode()
    assert not Document.objects.filter(owner=alice).exists()
    assert Quota.objects.get(user=alice).reserved_bytes == 0


def test_parts_of_another_persons_upload_answer_404(alice_api, bob_api, multipart_settings):
    """SEC-04, UP-02: bob learns nothing of alice's upload."""
    answer = ask(alice_api, b"y" * (6 * MIB))
    document_id = answer.json()["document"]["id"]
    assert bob_api.get(f"/api/documents/{document_id}/parts/").status_code == 404
    assert alice_api.get(f"/api/documents/{document_id}/parts/").status_code == 200


def test_a_stale_multipart_upload_is_aborted_by_the_scheduler(
    alice, alice_api, multipart_settings, django_capture_on_commit_callbacks
):
    """UP-02, UP-03, D-07: an upload never completed within KITE_PENDING_UPLOAD_TTL loses its document, its
    reservation and its parts: storage lists no upload for it afterwards."""
    data = hashlib.sha256(b"stale").digest() * (12 * MIB // 32)
    answer = ask(alice_api, data)
    assert put_part(answer.json()["upload"]["parts"][0]["url"], parts_of(data)[0]).status_code == 200
    document = Document.objects.get(pk=answer.json()["document"]["id"])
    assert len(uploads_under(document.key)) == 1
    long_ago = timezone.now() - timedelta(seconds=multipart_settings.KITE_PENDING_UPLOAD_TTL + 60)
    Document.objects.filter(pk=document.pk).update(created=long_ago)

    with django_capture_on_commit_callbacks(execute=True):
        assert periodic.uploads_purge_stale() == 1
    assert uploads_under(document.key) == []
    assert not Document.objects.filter(pk=document.pk).exists()
    assert Quota.objects.get(user=alice).reserved_bytes == 0
    assert not object_exists(document.key)


def test_the_scheduler_aborts_uploads_no_document_accounts_for(alice, alice_api, multipart_settings):
    """UP-02: a multipart upload whose document is gone (storage was down when it went, say) is aborted by the
    scheduler's job; an upload still in flight is left alone."""
    live = ask(alice_api, b"l" * (6 * MIB)).json()["document"]
    live_key = Document.objects.get(pk=live["id"]).key
    orphan_key = f"u/{alice.uuid}/gone-document"
    storage.multipart_create(key=orphan_key, content_type="application/octet-stream")
    assert len(uploads_under(orphan_key)) == 1

    assert reconcile.multipart_abort_orphans(min_age=timedelta(0), prefix=f"u/{alice.uuid}/") == 1
    assert uploads_under(orphan_key) == []
    assert len(uploads_under(live_key)) == 1


@pytest.mark.parametrize("declared_right", [True, False])
def test_the_worker_checks_the_whole_files_sha256(alice, alice_api, multipart_settings, declared_right):
    """UP-01: storage checked each part, not the whole file: the worker computes its SHA-256 while reading, keeps
    it as the document's, and fails a document whose bytes are not the ones declared, saying so."""
    data = b"plain words of a long letter\n" * (12 * MIB // 29)
    actual = hashlib.sha256(data).hexdigest()
    declared = actual if declared_right else hashlib.sha256(b"another file").hexdigest()
    answer = ask(alice_api, data, sha256=declared, classify=True, content_type="text/plain")
    assert put_parts(answer.json()["upload"]["parts"], parts_of(data)) == [200, 200, 200]
    document_id = answer.json()["document"]["id"]
    assert alice_api.post(f"/api/documents/{document_id}/confirm/").json()["state"] == "queued"

    state = processing.document_process(document_id=document_id)
    document = Document.objects.get(pk=document_id)
    assert document.sha256 == actual
    if declared_right:
        assert state != "failed" and document.state == state and "SHA-256" not in document.error
    else:
        assert state == "failed" == document.state
        assert actual in document.error and declared in document.error


def test_deleting_an_unfinished_multipart_upload_aborts_it(
    alice, alice_api, multipart_settings, django_capture_on_commit_callbacks
):
    """UP-02, UP-03: deleting a document still uploading in parts drops its stored parts and its reservation."""
    data = hashlib.sha256(b"dropped").digest() * (12 * MIB // 32)
    answer = ask(alice_api, data)
    assert put_part(answer.json()["upload"]["parts"][0]["url"], parts_of(data)[0]).status_code == 200
    document = Document.objects.get(pk=answer.json()["document"]["id"])
    with django_capture_on_commit_callbacks(execute=True):
        assert alice_api.delete(f"/api/documents/{document.pk}/").status_code == 204
    assert uploads_under(document.key) == []
    assert Quota.objects.get(user=alice).reserved_bytes == 0


def test_the_bucket_asks_the_store_to_abort_abandoned_uploads_and_keeps_other_rules(bucket):
    """UP-02: where the store has lifecycle rules, ensure_bucket adds one that aborts multipart uploads left for
    days, once, beside any rule of the operator's."""
    client, name = storage._client(), storage._bucket()
    operator_rule = {
        "ID": "operator",
        "Status": "Enabled",
        "Filter": {"Prefix": "exports/"},
        "Expiration": {"Days": 30},
    }
    rules = client.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    try:
        client.put_bucket_lifecycle_configuration(
            Bucket=name, LifecycleConfiguration={"Rules": [*rules, operator_rule]}
        )
        storage.ensure_bucket(["http://127.0.0.1:8000"])
        storage.ensure_bucket(["http://127.0.0.1:8000"])
        ids = [rule["ID"] for rule in client.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]]
        assert sorted(ids) == ["abort-abandoned-uploads", "operator"]
        ours = next(r for r in client.get_bucket_lifecycle_configuration(Bucket=name)["Rules"] if r["ID"] != "operator")
        assert ours["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": storage.ABANDONED_UPLOAD_DAYS}
    finally:
        client.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        storage.ensure_bucket(list(settings.KITE_UPLOAD_ORIGINS))
