"""Zips shaped like Kite's exports, made by hand, for import tests that need no export run first."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile

from exports.services import FORMAT, FORMAT_VERSION, METADATA_NAME


def document_entry(data: bytes, *, title: str = "Letter", filename: str = "letter.txt", **extra) -> dict:
    document_id = str(uuid.uuid4())
    return {
        "id": document_id,
        "title": title,
        "filename": filename,
        "content_type": "text/plain",
        "size_bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha256_verified": True,
        "created": "2026-01-02T03:04:05+00:00",
        "state": "skipped",
        "topics": [],
        "notes": [],
        "text": f"The text of {title}.",
        "pages": None,
        "text_source": "text",
        "file": f"files/{document_id}-{filename}",
        **extra,
    }


def export_zip(files: list[tuple[dict, bytes]], *, topics=(), metadata_extra=None, members=()) -> bytes:
    """An export's bytes: `files` as (metadata entry, file bytes), plus any extra `members` (name, bytes)."""
    buffer = io.BytesIO()
    metadata = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": "2026-01-02T03:04:05+00:00",
        "topics": list(topics),
        "documents": [entry for entry, _ in files],
        **(metadata_extra or {}),
    }
    with zipfile.ZipFile(buffer, "w") as archive:
        for entry, data in files:
            archive.writestr(entry["file"], data)
        for name, data in members:
            archive.writestr(name, data)
        archive.writestr(METADATA_NAME, json.dumps(metadata))
    return buffer.getvalue()
