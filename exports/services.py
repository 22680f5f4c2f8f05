"""Export workflows (LIFE-05): asking for an export, building its zip in a worker, and deleting it again.

The zip is written with zipfile into a write-only stream whose bytes go straight into a multipart upload
(documents.storage.MultipartWriter), and every file is read from storage as a stream: a worker holds one part
and one read chunk in memory, however much the person keeps. The import of such a zip lives in
exports.importing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from activity.services import Action, record
from documents import storage
from documents.models import Document, DocumentQuerySet, StorageDeletion, topic_assignments
from documents.services import sanitize_filename, storage_deletion_attempt
from exports.models import Export, export_key
from exports.tasks import build_export
from kite.errors import StorageUnavailable
from topics.models import Topic

logger = logging.getLogger(__name__)

# What metadata.json says it is; an import refuses anything else (exports.importing).
FORMAT = "kite-export"
FORMAT_VERSION = 1
METADATA_NAME = "metadata.json"
FILES_DIR = "files/"
# Progress reaches the database at most this often, however fast small files go by.
PROGRESS_SECONDS = 1.0
READ_CHUNK_BYTES = 1024 * 1024
# Characters no file name inside the zip keeps: path separators and what Windows refuses.
UNSAFE_IN_NAMES = str.maketrans({ch: "_" for ch in '/\\:*?"<>|'})

BROKER_DOWN = "Kite could not start the export just now. Try again in a few minutes."
STORAGE_DOWN = "Storage was unavailable while the export was written, so it stopped. Try again later."
TOOK_TOO_LONG = "The export took too long and was stopped. Try again later."
WORKER_FAILED = "Something went wrong while the export was written, so it stopped. Try again."
WORKER_DIED = "The export stopped before it was finished. Try again."


def live_documents(owner) -> DocumentQuerySet:
    """The documents an export holds: every stored one of the person's (stored() leaves out uploads in flight and
    the trash)."""
    return Document.objects.owned_by(owner).stored()


def export_request(*, user: User) -> Export:
    """Ask for an export; while one is queued or running, that one is the answer (one at a time per person, held
    by a database constraint, so two requests racing each other still make one)."""
    existing = Export.objects.owned_by(user).active().first()
    if existing is not None:
        return existing
    export = Export(owner=user)
    export.key = export_key(user, export.id)
    try:
        with transaction.atomic():
            export.save(force_insert=True)
            record(user, Action.EXPORT_REQUESTED)
    except IntegrityError:
        return Export.objects.owned_by(user).active().get()
    export_id = export.pk
    transaction.on_commit(lambda: export_enqueue(export_id))
    return export


def export_enqueue(export_id) -> bool:
    """Hand the export to the workers; with the broker down it fails at once, saying so, rather than wait
    forever in `queued` and block the next request."""
    try:
        build_export.send(str(export_id))
    except Exception:
        logger.exception("could not enqueue export %s", export_id)
        export_fail(export_id=export_id, error=BROKER_DOWN)
        return False
    return True


def export_fail(*, export_id, error: str) -> None:
    """End an export that is not finished as failed, with the reason its person will read; its half-written
    upload is aborted."""
    now = timezone.now()
    with transaction.atomic():
        export = Export.objects.select_for_update().filter(pk=export_id, state__in=Export.ACTIVE).first()
        if export is None:
            return
        upload_id, key = export.upload_id, export.key
        export.state = Export.State.FAILED
        export.error = error
        export.upload_id = ""
        export.finished_at = now
        export.expires_at = now + timedelta(hours=settings.KITE_EXPORT_HOURS)
        export.save(update_fields=["state", "error", "upload_id", "finished_at", "expires_at"])
        record(export.owner, Action.EXPORT_FAILED, detail=error)
    if upload_id:
        _abort_quietly(key, upload_id)


def _abort_quietly(key: str, upload_id: str) -> None:
    try:
        storage.multipart_abort(key=key, upload_id=upload_id)
    except StorageUnavailable:
        logger.warning("storage unavailable; the export upload %s is left for exports_reconcile to abort", key)


def zip_name(document: Document) -> str:
    """The file's name inside the zip: its id keeps names unique, and the stored filename is cleaned again, as
    it is never trusted for a path."""
    name = unicodedata.normalize("NFC", sanitize_filename(document.filename)).translate(UNSAFE_IN_NAMES)
    return f"{FILES_DIR}{document.pk}-{name}"


@dataclass
class FileResult:
    """What reading one document's file found."""

    name: str | None  # inside the zip; None when no file could be read
    sha256: str
    problem: str = ""


class _Progress:
    """Writes the export's progress at most once every PROGRESS_SECONDS, and tells the build when its row has
    gone (the person was deleted meanwhile)."""

    def __init__(self, export: Export) -> None:
        self.export_id = export.pk
        self.last = 0.0

    def update(self, *, done: int, size: int, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < PROGRESS_SECONDS:
            return
        self.last = now
        if not Export.objects.filter(pk=self.export_id, state=Export.State.RUNNING).update(
            documents_done=done, size_bytes=size
        ):
            raise ExportGone()


class ExportGone(Exception):
    """The export's row is no longer running (its person was deleted, or it was failed as stale)."""


def export_build(*, export_id) -> None:
    """The worker's part: claim the queued export, write the zip into storage, and mark it ready.

    Storage failing at any point fails the export with a clear error and aborts its upload, so no part is
    left behind; a document whose object is missing or changed is noted in metadata.json and the rest goes on.
    """
    now = timezone.now()
    if not Export.objects.filter(pk=export_id, state=Export.State.QUEUED).update(
        state=Export.State.RUNNING, started_at=now
    ):
        return  # gone, or already taken by another delivery of this message
    export = Export.objects.select_related("owner").get(pk=export_id)
    owner = export.owner
    documents = live_documents(owner).order_by("created", "pk")
    total = documents.count()
    Export.objects.filter(pk=export_id).update(documents_total=total)
    try:
        writer = storage.MultipartWriter(
            export.key, content_type="application/zip", part_bytes=settings.KITE_MULTIPART_PART_SIZE
        )
    except StorageUnavailable:
        export_fail(export_id=export_id, error=STORAGE_DOWN)
        return
    if not Export.objects.filter(pk=export_id, state=Export.State.RUNNING).update(upload_id=writer.upload_id):
        _abort_writer(writer)
        return
    try:
        total = _write_zip(writer, export, documents)
        writer.complete()
    except ExportGone:
        _abort_writer(writer)
        return
    except StorageUnavailable:
        _abort_writer(writer)
        export_fail(export_id=export_id, error=STORAGE_DOWN)
        return
    except BaseException:
        # Anything else (a bug, the time limit): no half-written upload stays; the caller says what happened.
        _abort_writer(writer)
        raise
    finished = timezone.now()
    with transaction.atomic():
        updated = Export.objects.filter(pk=export_id, state=Export.State.RUNNING).update(
            state=Export.State.READY,
            upload_id="",
            size_bytes=writer.written,
            documents_done=total,
            documents_total=total,
            finished_at=finished,
            expires_at=finished + timedelta(hours=settings.KITE_EXPORT_HOURS),
        )
        if updated:
            record(owner, Action.EXPORT_READY, detail=f"{total} documents, {writer.written} bytes")
    if not updated:
        # Failed as stale or its person deleted while the last bytes went: the object is nobody's.
        StorageDeletion.objects.get_or_create(key=export.key)
        storage_deletion_attempt(export.key)
        return
    # The newest export replaces the ones before it: a person holds at most one copy of everything outside the
    # quota, however often they ask.
    for earlier in (
        Export.objects.owned_by(owner)
        .exclude(pk=export_id)
        .exclude(state__in=[Export.State.QUEUED, Export.State.RUNNING])
    ):
        export_delete(earlier)


def _abort_writer(writer: storage.MultipartWriter) -> None:
    try:
        writer.abort()
    except StorageUnavailable:
        logger.warning("storage unavailable; the export upload %s is left for exports_reconcile", writer.key)


def _write_zip(writer: storage.MultipartWriter, export: Export, documents) -> int:
    """Write every file, then metadata.json; returns how many documents the zip holds."""
    progress = _Progress(export)
    results: dict = {}
    # Rows are read a batch at a time (never all at once), the files' and then the metadata's.
    fields = ("id", "filename", "size_bytes", "sha256", "key", "etag", "created")
    # Files are stored as they are (PDFs and photos do not shrink); metadata.json is deflated.
    with zipfile.ZipFile(writer, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for document in documents.only(*fields).iterator(chunk_size=500):
            results[document.pk] = _write_file(archive, document)
            progress.update(done=len(results), size=writer.written)
        progress.update(done=len(results), size=writer.written, force=True)
        info = zipfile.ZipInfo(METADATA_NAME, date_time=_zip_time(timezone.now()))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as out:
            for chunk in _metadata_chunks(export, documents, results):
                out.write(chunk.encode())
    return len(results)


def _zip_time(moment) -> tuple:
    moment = moment.astimezone(UTC)
    return (max(moment.year, 1980), moment.month, moment.day, moment.hour, moment.minute, moment.second)


def _write_file(archive: zipfile.ZipFile, document: Document) -> FileResult:
    """Copy one document's object into the zip chunk by chunk, hashing what goes by."""
    name = zip_name(document)
    info = zipfile.ZipInfo(name, date_time=_zip_time(document.created))
    info.file_size = document.size_bytes  # lets zipfile choose ZIP64 up front for big files
    digest = hashlib.sha256()
    chunks = storage.stream(document.key, etag=document.etag, chunk_bytes=READ_CHUNK_BYTES)
    try:
        first = next(chunks, b"")
    except storage.ObjectMissing:
        return FileResult(None, "", "Storage no longer holds this file.")
    except storage.ObjectChanged:
        return FileResult(None, "", "The stored file is no longer the one that was uploaded.")
    with archive.open(info, "w", force_zip64=document.size_bytes > 2**31) as out:
        for chunk in _chained(first, chunks):
            digest.update(chunk)
            out.write(chunk)
    found = digest.hexdigest()
    if document.sha256 and document.sha256 != found:
        return FileResult(name, found, "The file's SHA-256 differs from the one recorded when it was uploaded.")
    return FileResult(name, found)


def _chained(first: bytes, rest):
    if first:
        yield first
    yield from rest


def _metadata_chunks(export: Export, documents, results: dict) -> Iterator[str]:
    """metadata.json, a piece at a time: the documents' texts are never all in memory together."""
    owner = export.owner
    topics = Topic.objects.filter(owner=owner).order_by("name")
    head = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "username": owner.username,
        "topics": [{"name": topic.name, "description": topic.description} for topic in topics],
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "documents": ['
    first = True
    # Small batches: a document's text may be long.
    rows = documents.prefetch_related(topic_assignments(), "notes").iterator(chunk_size=50)
    for document in rows:
        result = results.get(document.pk)
        if result is None:
            continue  # stored while the files were written: the next export holds it
        yield ("" if first else ", ") + json.dumps(_document_entry(document, result), ensure_ascii=False)
        first = False
    yield "]}"


def _notes(document: Document) -> list[dict]:
    return [{"text": note.text, "created": note.created.isoformat()} for note in document.notes.all()]


def _document_entry(document: Document, result: FileResult) -> dict:
    entry = {
        "id": str(document.pk),
        "title": document.title,
        "filename": document.filename,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "sha256": result.sha256 or document.sha256,
        "sha256_verified": bool(result.sha256) and not result.problem,
        "created": document.created.isoformat(),
        "state": document.state,
        "topics": [
            {
                "name": assignment.topic.name,
                "is_system": assignment.topic.is_system,
                "source": assignment.source,
                "confidence": assignment.confidence,
            }
            for assignment in document.assignments.all()
        ],
        "notes": _notes(document),
        "text": document.text,
        "pages": document.pages,
        "text_source": document.text_source or None,
        "date": document.date.isoformat() if document.date else None,
        "date_source": document.date_source or None,
        "file": result.name,
    }
    if result.problem:
        entry["problem"] = result.problem
        if result.sha256:
            entry["sha256_recorded"] = document.sha256
    return entry


def export_delete(export: Export) -> None:
    """Forget an export: its object goes now or through the deletion retry queue (STORE-06), in the same
    transaction that deletes its row, so an outage loses nothing."""
    with transaction.atomic():
        StorageDeletion.objects.get_or_create(key=export.key)
        upload_id, key = export.upload_id, export.key
        export.delete()
    storage_deletion_attempt(key)
    if upload_id:
        _abort_quietly(key, upload_id)


def owner_exports_queue_deletion(*, owner: User) -> int:
    """ACC-05: queue the objects of a person's exports in the transaction that deletes the person; a running
    export's upload is aborted once that commits (its worker stops at its next progress update)."""
    exports = list(Export.objects.filter(owner=owner).values_list("key", "upload_id"))
    StorageDeletion.objects.bulk_create([StorageDeletion(key=key) for key, _ in exports], ignore_conflicts=True)
    for key, upload_id in exports:
        if upload_id:
            transaction.on_commit(partial(_abort_quietly, key, upload_id))
    return len(exports)
