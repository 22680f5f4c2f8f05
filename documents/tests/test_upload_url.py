import pytest
from django.conf import settings
from rest_framework.test import APIClient

from conftest import post_to_storage, request_upload
from documents.models import Document
from quotas.models import Quota


def test_upload_url_returns_presigned_post_for_server_chosen_key(alice, alice_api, unique_bytes):
    """D-05, D-08: a document in `uploading` and a presigned POST for the key u/<user uuid>/<document uuid>."""
    data = unique_bytes(500)
    answer = request_upload(alice_api, data, filename="../../etc/passwd")
    assert answer.status_code == 201
    body = answer.json()
    document = Document.objects.get(pk=body["document"]["id"])
    assert document.state == "uploading" and body["document"]["state"] == "uploading"
    assert document.key == f"u/{alice.uuid}/{document.pk}"
    assert body["upload"]["fields"]["key"] == document.key
    assert body["upload"]["url"].startswith(settings.S3_PUBLIC_ENDPOINT_URL)
    assert document.filename == "passwd"
    assert Quota.objects.get(user=alice).used_bytes == 0  # nothing is charged before confirm


def test_storage_rejects_a_body_larger_or_smaller_than_declared(alice_api, unique_bytes):
    """D-05: the policy pins the exact size, so storage itself refuses any other body."""
    data = unique_bytes(1000)
    upload = request_upload(alice_api, data, sha256=False).json()["upload"]
    assert post_to_storage(upload, data + b"!").status_code == 400
    assert post_to_storage(upload, data[:-1]).status_code == 400


def test_storage_rejects_another_key_or_content_type(alice_api, unique_bytes):
    """D-05: the policy pins the key and the declared content type."""
    data = unique_bytes(100)
    upload = request_upload(alice_api, data, sha256=False).json()["upload"]
    assert post_to_storage({**upload, "fields": {**upload["fields"], "key": "u/other/key"}}, data).status_code == 403
    assert (
        post_to_storage({**upload, "fields": {**upload["fields"], "Content-Type": "text/html"}}, data).status_code
        == 403
    )


def test_storage_rejects_bytes_that_do_not_match_the_declared_sha256(alice_api, unique_bytes):
    """D-05, D-09b: with a declared SHA-256 storage verifies the bytes it receives."""
    data = unique_bytes(100)
    upload = request_upload(alice_api, data).json()["upload"]
    tampered = bytes([data[0] ^ 1]) + data[1:]
    answer = post_to_storage(upload, tampered)
    assert answer.status_code == 400 and "BadDigest" in answer.text


BAD_BODIES = [
    {},
    {"size_bytes": 10, "content_type": "text/plain"},
    {"filename": "a.txt", "content_type": "text/plain"},
    {"filename": "a.txt", "size_bytes": 10},
    {"filename": "a.txt", "size_bytes": -1, "content_type": "text/plain"},
    {"filename": "a.txt", "size_bytes": "10", "content_type": "text/plain"},
    {"filename": "a.txt", "size_bytes": 10.5, "content_type": "text/plain"},
    {"filename": "a.txt", "size_bytes": True, "content_type": "text/plain"},
    {"filename": "a.txt", "size_bytes": None, "content_type": "text/plain"},
    {"filename": "a.txt", "size_bytes": 10, "content_type": "not a type"},
    {"filename": "a.txt", "size_bytes": 10, "content_type": "text/plain\r\nX-Evil: 1"},
    {"filename": "a.txt", "size_bytes": 10, "content_type": "text/plain", "sha256": "xyz"},
    {"filename": "a.txt", "size_bytes": 10, "content_type": "text/plain", "classify": "maybe"},
    {"filename": "", "size_bytes": 10, "content_type": "text/plain"},
    {"filename": ["a"], "size_bytes": 10, "content_type": "text/plain"},
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_input_gets_400_and_changes_nothing(alice, alice_api, body):
    """SEC-06, D-05: missing fields, wrong types, negative sizes and bad types answer 400."""
    answer = alice_api.post("/api/documents/upload-url/", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] and answer.json()["detail"]
    assert not Document.objects.exists()


def test_non_json_body_gets_4xx(alice_api):
    """SEC-06: a body that is not JSON is refused."""
    answer = alice_api.generic("POST", "/api/documents/upload-url/", "filename=a", content_type="text/plain")
    assert answer.status_code == 415
    assert not Document.objects.exists()


def test_size_over_the_maximum_gets_413_file_too_large(alice_api, settings):
    """D-05: the per-file maximum answers 413 file_too_large."""
    settings.KITE_MAX_UPLOAD_BYTES = 1000
    answer = alice_api.post(
        "/api/documents/upload-url/",
        {"filename": "a.bin", "size_bytes": 1001, "content_type": "application/octet-stream"},
        format="json",
    )
    assert answer.status_code == 413 and answer.json()["code"] == "file_too_large"
    assert not Document.objects.exists()


def test_size_over_the_remaining_quota_gets_413_with_numbers(alice, alice_api):
    """STORE-05: upload-url over the remaining quota answers 413 quota_exceeded with the numbers."""
    Quota.objects.filter(user=alice).update(limit_bytes=100)
    answer = alice_api.post(
        "/api/documents/upload-url/",
        {"filename": "a.bin", "size_bytes": 101, "content_type": "application/octet-stream"},
        format="json",
    )
    assert answer.status_code == 413
    assert answer.json() | {"detail": None} == {
        "detail": None,
        "code": "quota_exceeded",
        "size_bytes": 101,
        "used_bytes": 0,
        "reserved_bytes": 0,
        "limit_bytes": 100,
        "remaining_bytes": 100,
    }
    assert not Document.objects.exists()


def test_authentication_is_required(db):
    """D-16: every document endpoint answers 401 without credentials."""
    client = APIClient()
    assert client.post("/api/documents/upload-url/", {}, format="json").status_code == 401
    assert client.get("/api/documents/").status_code == 401
    assert client.get("/api/quota/").status_code == 401
    assert client.post("/api/documents/00000000-0000-0000-0000-000000000000/confirm/").status_code == 401
