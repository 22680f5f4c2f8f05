"""Errors raised by Kite's services, carrying the HTTP status and code of docs/api.md."""

from __future__ import annotations


class KiteError(Exception):
    status = 400
    code = "invalid"
    default_detail = "The request is not valid."

    def __init__(self, detail: str | None = None, **extra) -> None:
        self.detail = detail or self.default_detail
        self.extra = extra
        super().__init__(self.detail)

    def as_dict(self) -> dict:
        return {"detail": self.detail, "code": self.code, **self.extra}


class InvalidInput(KiteError):
    status = 400
    code = "invalid"


class NotFound(KiteError):
    status = 404
    code = "not_found"
    default_detail = "Not found."


class QuotaExceeded(KiteError):
    status = 413
    code = "quota_exceeded"
    default_detail = "This upload would exceed your storage quota."


class FileTooLarge(KiteError):
    status = 413
    code = "file_too_large"
    default_detail = "This file is larger than the maximum upload size."


class Duplicate(KiteError):
    status = 409
    code = "duplicate"
    default_detail = "You already have this file."


class UploadMissing(KiteError):
    status = 409
    code = "upload_missing"
    default_detail = "Storage has no uploaded file for this document yet."


class SizeMismatch(KiteError):
    status = 409
    code = "size_mismatch"
    default_detail = "The stored file's size differs from the declared size."


class StorageUnavailable(KiteError):
    status = 503
    code = "storage_unavailable"
    default_detail = "Storage is unavailable; nothing was changed. Try again shortly."


class NoMultipartUpload(KiteError):
    status = 409
    code = "not_multipart"
    default_detail = "This document has no multipart upload in progress."
