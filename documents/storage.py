"""The few storage operations Kite needs, on top of django-storages' S3 backend.

Presigned URLs are made with the `documents_public` client, whose endpoint is
the address the browser reaches (SigV4 signs the Host header); everything the
server does itself goes through `documents`.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from typing import NoReturn, cast
from urllib.parse import quote

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.files.storage import storages
from storages.backends.s3 import S3Storage

from kite.errors import StorageUnavailable

MISSING_CODES = {"404", "NoSuchKey", "NotFound"}
CHANGED_CODES = {"412", "PreconditionFailed"}


class ObjectMissing(Exception):
    """Storage answered that no object is there: asking again will not bring it back."""


class ObjectChanged(Exception):
    """The object is no longer the one that was confirmed (its ETag differs): it must not be read."""


# Types a browser may show inline without running anything of the file's (D-08); SVG and HTML never.
SAFE_INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})


@dataclass(frozen=True)
class StoredObject:
    size: int
    etag: str
    content_type: str


def _s3(alias: str) -> S3Storage:
    return cast(S3Storage, storages[alias])


def _client(alias: str = "documents"):
    return _s3(alias).connection.meta.client


def _bucket() -> str:
    return _s3("documents").bucket_name


def sha256_hex_to_b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode()


def presigned_post(*, key: str, size: int, content_type: str, sha256: str = "") -> dict:
    """A POST policy that admits exactly one body: this key, this size, this type, these bytes."""
    fields = {"Content-Type": content_type}
    conditions: list = [{"Content-Type": content_type}, ["content-length-range", size, size]]
    if sha256:
        checksum = sha256_hex_to_b64(sha256)
        fields.update({"x-amz-checksum-algorithm": "SHA256", "x-amz-checksum-sha256": checksum})
        conditions += [{"x-amz-checksum-algorithm": "SHA256"}, {"x-amz-checksum-sha256": checksum}]
    try:
        return _client("documents_public").generate_presigned_post(
            Bucket=_bucket(),
            Key=key,
            Fields=fields,
            Conditions=conditions,
            ExpiresIn=settings.KITE_UPLOAD_URL_EXPIRY,
        )
    except BotoCoreError as exc:  # signing is local; this means bad configuration
        raise StorageUnavailable() from exc


def _storage_call(call, **params):
    """One storage call: an answer, or StorageUnavailable (MissingUpload when the upload is gone)."""
    try:
        return call(Bucket=_bucket(), **params)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchUpload", "404"):
            raise MissingUpload() from exc
        raise StorageUnavailable() from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc


class MissingUpload(Exception):
    """Storage has no multipart upload under that id: completed, aborted, or never made."""


@dataclass(frozen=True)
class StoredPart:
    number: int
    size: int
    etag: str


def multipart_create(*, key: str, content_type: str) -> str:
    """UP-01: start a multipart upload whose parts each carry a SHA-256; returns its upload id."""
    answer = _storage_call(
        _client().create_multipart_upload, Key=key, ContentType=content_type, ChecksumAlgorithm="SHA256"
    )
    return answer["UploadId"]


def presigned_part(*, key: str, upload_id: str, number: int, sha256: str, size: int) -> str:
    """A PUT of one part, pinned to its SHA-256 (hex) and its length: the browser must send that checksum as the
    signed `x-amz-checksum-sha256` header, and storage refuses a body that does not match it (BadDigest); the
    length is signed too, so no part can hold more than its share of the reserved bytes (UP-03)."""
    params = {
        "Bucket": _bucket(),
        "Key": key,
        "UploadId": upload_id,
        "PartNumber": number,
        "ChecksumSHA256": sha256_hex_to_b64(sha256),
        "ContentLength": size,
    }
    try:
        return _client("documents_public").generate_presigned_url(
            "upload_part", Params=params, ExpiresIn=settings.KITE_UPLOAD_URL_EXPIRY
        )
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc


def multipart_parts(*, key: str, upload_id: str) -> dict[int, StoredPart]:
    """The parts storage holds, by number; a part sent twice counts once (the last one sent)."""
    parts: dict[int, StoredPart] = {}
    marker = 0
    while True:
        answer = _storage_call(_client().list_parts, Key=key, UploadId=upload_id, PartNumberMarker=marker)
        for item in answer.get("Parts", []):
            parts[item["PartNumber"]] = StoredPart(item["PartNumber"], item["Size"], item["ETag"].strip('"'))
        if not answer.get("IsTruncated"):
            return parts
        marker = int(answer["NextPartNumberMarker"])


def multipart_complete(*, key: str, upload_id: str, parts: list[StoredPart], sha256s: list[str]) -> StoredObject:
    """Join the listed parts, in order, into the object; each with the checksum it was pinned to.

    The object is then exactly those parts: its size is theirs, its ETag the one storage answers."""
    listed = [
        {"PartNumber": part.number, "ETag": f'"{part.etag}"', "ChecksumSHA256": sha256_hex_to_b64(sha256)}
        for part, sha256 in zip(parts, sha256s, strict=True)
    ]
    answer = _storage_call(
        _client().complete_multipart_upload, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed}
    )
    return StoredObject(size=sum(part.size for part in parts), etag=answer.get("ETag", "").strip('"'), content_type="")


def multipart_abort(*, key: str, upload_id: str) -> None:
    """Drop an upload and every part it holds; aborting what is already gone succeeds."""
    try:
        _storage_call(_client().abort_multipart_upload, Key=key, UploadId=upload_id)
    except MissingUpload:
        pass


@dataclass(frozen=True)
class ListedUpload:
    key: str
    upload_id: str
    initiated: datetime


def multipart_uploads(prefix: str):
    """Every multipart upload in progress under `prefix`."""
    for item in _listed("list_multipart_uploads", "Uploads", prefix):
        yield ListedUpload(item["Key"], item["UploadId"], item["Initiated"])


def head(key: str) -> StoredObject | None:
    """What storage holds under `key`, or None when nothing is there."""
    try:
        answer = _client().head_object(Bucket=_bucket(), Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in MISSING_CODES:
            return None
        raise StorageUnavailable() from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc
    return StoredObject(
        size=answer["ContentLength"],
        etag=answer.get("ETag", "").strip('"'),
        content_type=answer.get("ContentType", ""),
    )


def delete(key: str) -> None:
    """Delete `key`; deleting what is already gone succeeds (S3 semantics)."""
    try:
        _client().delete_object(Bucket=_bucket(), Key=key)
    except (ClientError, BotoCoreError) as exc:
        raise StorageUnavailable() from exc


def read(key: str, *, etag: str, max_bytes: int) -> bytes:
    """The first `max_bytes` of the confirmed object; If-Match refuses any later replacement.

    Permanent answers raise ObjectMissing or ObjectChanged; only an outage raises StorageUnavailable, which is
    worth retrying.
    """
    try:
        answer = _client().get_object(Bucket=_bucket(), Key=key, IfMatch=f'"{etag}"', Range=f"bytes=0-{max_bytes - 1}")
        return answer["Body"].read(max_bytes)
    except ClientError as exc:
        _raise_read_error(exc, key)
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc


def read_hashed(key: str, *, etag: str, max_bytes: int, chunk_bytes: int = 1024 * 1024) -> tuple[bytes, str]:
    """The first `max_bytes` of the confirmed object and the SHA-256 (hex) of all of it, read as a stream.

    For multipart objects, whose whole-file checksum storage never verified (UP-01). Errors as read().
    """
    digest = hashlib.sha256()
    head = bytearray()
    try:
        answer = _client().get_object(Bucket=_bucket(), Key=key, IfMatch=f'"{etag}"')
        for chunk in answer["Body"].iter_chunks(chunk_bytes):
            digest.update(chunk)
            if len(head) < max_bytes:
                head += chunk[: max_bytes - len(head)]
    except ClientError as exc:
        _raise_read_error(exc, key)
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc
    return bytes(head), digest.hexdigest()


def _raise_read_error(exc: ClientError, key: str) -> NoReturn:
    error = exc.response.get("Error", {}).get("Code")
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    # A missing bucket is a broken store, not a missing file: retried, never blamed on the document.
    if error in MISSING_CODES or (status == "404" and error != "NoSuchBucket"):
        raise ObjectMissing(key) from exc
    if error in CHANGED_CODES or status == "412":
        raise ObjectChanged(key) from exc
    raise StorageUnavailable() from exc


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    last_modified: datetime


def list_objects(prefix: str):
    """Every object under `prefix`."""
    for item in _listed("list_objects_v2", "Contents", prefix):
        yield ListedObject(item["Key"], item["Size"], item["LastModified"])


def _listed(operation: str, field: str, prefix: str):
    """The entries of a listing under `prefix`, page by page (storage answers a thousand at a time)."""
    try:
        for page in _client().get_paginator(operation).paginate(Bucket=_bucket(), Prefix=prefix):
            yield from page.get(field) or []
    except (ClientError, BotoCoreError) as exc:
        raise StorageUnavailable() from exc


def presigned_get(*, key: str, filename: str, content_type: str, inline: bool = False) -> str:
    """A short-lived GET; inline only for SAFE_INLINE_TYPES, everything else is an attachment."""
    inline = inline and content_type in SAFE_INLINE_TYPES
    if not inline and content_type not in SAFE_INLINE_TYPES:
        content_type = "application/octet-stream"
    disposition = "inline" if inline else "attachment"
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "").replace("?", "_")
    params = {
        "Bucket": _bucket(),
        "Key": key,
        "ResponseContentDisposition": f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}",
        "ResponseContentType": content_type,
    }
    return _client("documents_public").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=settings.KITE_DOWNLOAD_URL_EXPIRY
    )


def put(key: str, data: bytes, *, content_type: str) -> None:
    """Store a small object Kite made itself (a thumbnail)."""
    try:
        _client().put_object(Bucket=_bucket(), Key=key, Body=data, ContentType=content_type)
    except (ClientError, BotoCoreError) as exc:
        raise StorageUnavailable() from exc


# A thumbnail's link lives this long, and browsers keep it for CACHE_SECONDS of that, so a list shown again
# within the hour asks neither Kite nor storage for its images.
THUMBNAIL_URL_SECONDS = 2 * 3600
THUMBNAIL_CACHE_SECONDS = 3600


def presigned_thumbnail(key: str) -> str:
    params = {
        "Bucket": _bucket(),
        "Key": key,
        "ResponseCacheControl": f"private, max-age={THUMBNAIL_CACHE_SECONDS}",
    }
    return _client("documents_public").generate_presigned_url(
        "get_object", Params=params, ExpiresIn=THUMBNAIL_URL_SECONDS
    )


# Where the store supports it, it aborts multipart uploads left this long itself (UP-02); the scheduler does
# so anyway, sooner (documents.periodic).
ABANDONED_UPLOAD_DAYS = 2


def ensure_bucket(origins: list[str]) -> None:
    """Create the bucket if needed, allow browser uploads from `origins` only, and have the store abort
    multipart uploads abandoned for days, where it can."""
    client = _client()
    bucket = _bucket()
    try:
        client.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in MISSING_CODES | {"NoSuchBucket"}:
            raise
        client.create_bucket(Bucket=bucket)
    client.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": origins,
                    "AllowedMethods": ["GET", "HEAD", "POST", "PUT"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )
    rule = {
        "ID": "abort-abandoned-uploads",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABANDONED_UPLOAD_DAYS},
    }
    try:
        try:
            rules = client.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchLifecycleConfiguration":
                raise
            rules = []
        # An operator's own rules stay; ours is added once.
        if all(existing.get("ID") != rule["ID"] for existing in rules):
            client.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [*rules, rule]})
    except ClientError:
        pass  # a store without lifecycle rules: the scheduler's abort is the only one


def ping() -> None:
    try:
        _client().head_bucket(Bucket=_bucket())
    except (ClientError, BotoCoreError) as exc:
        raise StorageUnavailable() from exc


def stream(key: str, *, etag: str, chunk_bytes: int = 1024 * 1024):
    """The confirmed object's bytes, chunk by chunk, never all in memory (exports read every file so).

    If-Match refuses a replaced object. Errors as read(), raised when the read starts or when it breaks off.
    """
    try:
        answer = _client().get_object(Bucket=_bucket(), Key=key, IfMatch=f'"{etag}"')
        yield from answer["Body"].iter_chunks(chunk_bytes)
    except ClientError as exc:
        _raise_read_error(exc, key)
    except (BotoCoreError, OSError) as exc:  # a connection that breaks mid-body raises urllib3's errors (OSError)
        raise StorageUnavailable() from exc


def upload_stream(key: str, fileobj, *, content_type: str, part_bytes: int) -> None:
    """Store a file read from `fileobj` as it is read: in parts of `part_bytes` when it is long (boto3's managed
    transfer), so memory holds a few parts at most, whatever the file's size."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=part_bytes, multipart_chunksize=part_bytes, max_concurrency=2)
    try:
        _client().upload_fileobj(fileobj, _bucket(), key, ExtraArgs={"ContentType": content_type}, Config=config)
    except (ClientError, BotoCoreError) as exc:
        raise StorageUnavailable() from exc


class MultipartWriter(io.RawIOBase):
    """A write-only stream into one multipart upload: bytes written are sent as parts of `part_bytes` (the last
    one shorter), so a file of any size is written with one part in memory. `close()` joins the parts into the
    object; `abort()` drops them. Not seekable: a zipfile written here uses data descriptors."""

    def __init__(self, key: str, *, content_type: str, part_bytes: int) -> None:
        super().__init__()
        if part_bytes < 5 * 1024 * 1024:
            raise ValueError("storage takes no part under 5 MiB but the last")
        self.key = key
        self.part_bytes = part_bytes
        self.upload_id = _storage_call(_client().create_multipart_upload, Key=key, ContentType=content_type)["UploadId"]
        self.written = 0
        self._buffer = bytearray()
        self._parts: list[dict] = []
        self._done = False

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        if self._done:
            raise ValueError("write to a finished upload")
        self._buffer += data
        self.written += len(data)
        while len(self._buffer) >= self.part_bytes:
            with memoryview(self._buffer) as view:
                part = bytes(view[: self.part_bytes])  # one copy, where slicing the bytearray would make two
            del self._buffer[: self.part_bytes]
            self._send(part)
        return len(data)

    def _send(self, body: bytes) -> None:
        number = len(self._parts) + 1
        answer = _storage_call(
            _client().upload_part, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        self._parts.append({"PartNumber": number, "ETag": answer["ETag"]})

    def complete(self) -> None:
        """Send what is left and join the parts into the object (an empty stream makes an empty object). Only
        this makes the object: closing or dropping the writer unfinished leaves the upload for abort()."""
        if self._done:
            raise ValueError("the upload is already finished")
        if self._buffer or not self._parts:
            self._send(bytes(self._buffer))
            self._buffer = bytearray()
        _storage_call(
            _client().complete_multipart_upload,
            Key=self.key,
            UploadId=self.upload_id,
            MultipartUpload={"Parts": self._parts},
        )
        self._done = True
        self.close()

    def abort(self) -> None:
        """Drop the upload and every part sent; the object never appears."""
        self._done = True
        self._buffer = bytearray()
        multipart_abort(key=self.key, upload_id=self.upload_id)
        super().close()
