"""The few storage operations Kite needs, on top of django-storages' S3 backend.

Presigned URLs are made with the `documents_public` client, whose endpoint is
the address the browser reaches (SigV4 signs the Host header); everything the
server does itself goes through `documents`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import cast
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
        error = exc.response.get("Error", {}).get("Code")
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        # A missing bucket is a broken store, not a missing file: retried, never blamed on the document.
        if error in MISSING_CODES or (status == "404" and error != "NoSuchBucket"):
            raise ObjectMissing(key) from exc
        if error in CHANGED_CODES or status == "412":
            raise ObjectChanged(key) from exc
        raise StorageUnavailable() from exc
    except BotoCoreError as exc:
        raise StorageUnavailable() from exc


@dataclass(frozen=True)
class ListedObject:
    key: str
    size: int
    last_modified: datetime


def list_objects(prefix: str):
    """Every object under `prefix`, page by page (storage answers a thousand at a time)."""
    try:
        pages = _client().get_paginator("list_objects_v2").paginate(Bucket=_bucket(), Prefix=prefix)
        for page in pages:
            for item in page.get("Contents", []):
                yield ListedObject(item["Key"], item["Size"], item["LastModified"])
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


def ensure_bucket(origins: list[str]) -> None:
    """Create the bucket if needed and allow browser uploads from `origins` only."""
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
                    "AllowedMethods": ["GET", "HEAD", "POST"],
                    "AllowedHeaders": ["*"],
                    "ExposeHeaders": ["ETag"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )


def ping() -> None:
    try:
        _client().head_bucket(Bucket=_bucket())
    except (ClientError, BotoCoreError) as exc:
        raise StorageUnavailable() from exc
