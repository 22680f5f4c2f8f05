"""Document workflows: the three-step upload, changes, deletion and the hand-off to workers.

The trash lives in documents.trash, notes in documents.notes, bulk actions in documents.bulk, periodic jobs
in documents.periodic, quota reconciliation in documents.reconcile.
"""

from __future__ import annotations

import logging
import os
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from activity.services import Action, record
from documents import search, storage
from documents.confirming import confirm_in_one_statement
from documents.models import Document, MultipartUpload, StorageDeletion
from documents.tasks import drain_storage_deletions, process_document
from kite.errors import (
    Duplicate,
    FileTooLarge,
    InvalidInput,
    KiteError,
    NoMultipartUpload,
    NotFound,
    QuotaExceeded,
    SizeMismatch,
    StorageUnavailable,
    UploadMissing,
)
from quotas.models import Quota
from topics.models import DocumentTopic, RejectedSuggestion, Topic
from topics.tasks import train_builtin_model

logger = logging.getLogger(__name__)

MAX_FILENAME_LENGTH = 255


def sanitize_filename(name: str) -> str:
    """A display name safe anywhere: no directories, no control characters, bounded length."""
    name = unicodedata.normalize("NFC", name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".").strip()
    if not name:
        return "unnamed"
    if len(name) > MAX_FILENAME_LENGTH:
        stem, ext = os.path.splitext(name)
        ext = ext if len(ext) <= 16 else ""
        name = stem[: MAX_FILENAME_LENGTH - len(ext)] + ext
    return name


def _quota_exceeded(user: User, size: int) -> QuotaExceeded:
    quota = Quota.objects.get(user=user)
    return QuotaExceeded(
        size_bytes=size,
        used_bytes=quota.used_bytes,
        reserved_bytes=quota.reserved_bytes,
        limit_bytes=quota.limit_bytes,
        remaining_bytes=quota.remaining_bytes,
    )


# What S3 multipart uploads allow: at most 10,000 parts, none but the last under 5 MiB.
MAX_PARTS = 10_000
MIN_PART_BYTES = 5 * 1024 * 1024


def is_multipart(size_bytes: int) -> bool:
    """UP-01: files above KITE_MULTIPART_THRESHOLD upload in parts."""
    return size_bytes > settings.KITE_MULTIPART_THRESHOLD


def multipart_part_size(size_bytes: int) -> int:
    """The part size Kite proposes: KITE_MULTIPART_PART_SIZE, or more where that would need over 10,000 parts."""
    return max(settings.KITE_MULTIPART_PART_SIZE, -(-size_bytes // MAX_PARTS))


def _part_plan(size_bytes: int, part_size: int | None, part_sha256: list[str] | None) -> tuple[int, list[str]]:
    """The part size and the parts' checksums of a multipart upload, checked against each other."""
    part_size = part_size or multipart_part_size(size_bytes)
    count = -(-size_bytes // part_size)
    if part_size < MIN_PART_BYTES or count > MAX_PARTS:
        raise InvalidInput(
            f"part_size must be at least {MIN_PART_BYTES} bytes and make at most {MAX_PARTS} parts; "
            f"Kite proposes {multipart_part_size(size_bytes)}.",
            part_size=multipart_part_size(size_bytes),
        )
    if not part_sha256 or len(part_sha256) != count:
        raise InvalidInput(
            f"A file above {settings.KITE_MULTIPART_THRESHOLD} bytes uploads in parts: part_sha256 must list the "
            f"SHA-256 of each of its {count} parts of {part_size} bytes (the last one shorter), in order.",
            part_size=part_size,
            part_count=count,
        )
    return part_size, [sha.lower() for sha in part_sha256]


def document_upload_url(
    *,
    user: User,
    filename: str,
    size_bytes: int,
    content_type: str,
    sha256: str = "",
    classify: bool = True,
    part_size: int | None = None,
    part_sha256: list[str] | None = None,
) -> tuple[Document, dict]:
    """Step 1 of D-05: check the size, reserve its bytes against the quota (UP-03) and a document, and presign
    the one POST that may fill it, or the parts of a multipart upload (UP-01)."""
    if size_bytes > settings.KITE_MAX_UPLOAD_BYTES:
        raise FileTooLarge(size_bytes=size_bytes, max_bytes=settings.KITE_MAX_UPLOAD_BYTES)
    multipart = is_multipart(size_bytes)
    plan = _part_plan(size_bytes, part_size, part_sha256) if multipart else (0, [])
    if size_bytes > Quota.objects.get(user=user).remaining_bytes:
        raise _quota_exceeded(user, size_bytes)  # early, and without asking storage for anything
    sha256 = sha256.lower()
    if sha256:
        existing = Document.objects.owned_by(user).stored().filter(sha256=sha256).first()
        if existing is not None:
            raise Duplicate(document_id=str(existing.pk), filename=existing.filename)
    filename = sanitize_filename(filename)
    document_id = uuid.uuid4()
    document = Document(
        id=document_id,
        owner=user,
        title=os.path.splitext(filename)[0] or filename,
        filename=filename,
        content_type=content_type,
        size_bytes=size_bytes,
        sha256=sha256,
        key=document_key(user, document_id),
        classify=classify,
    )
    upload_id = ""
    if multipart:
        upload_id = storage.multipart_create(key=document.key, content_type=content_type)  # no lock held over it
    else:
        upload = storage.presigned_post(key=document.key, size=size_bytes, content_type=content_type, sha256=sha256)
    with transaction.atomic():
        # UP-03: the reservation is the one conditional UPDATE that decides; the check above only saves work.
        reserved = Quota.objects.reserve(user, size_bytes)
        if reserved:
            document.save(force_insert=True)
            record(user, Action.UPLOAD, document=document, detail=f"{filename}, {size_bytes} bytes")
            if multipart:
                multipart_upload = MultipartUpload.objects.create(
                    document=document, upload_id=upload_id, part_size=plan[0], part_sha256=plan[1]
                )
    if not reserved:
        if upload_id:
            _abort_quietly(document.key, upload_id)
        raise _quota_exceeded(user, size_bytes)
    if multipart:
        return document, {
            "multipart": True,
            "upload_id": upload_id,
            "part_size": plan[0],
            "parts": part_urls(multipart_upload, range(1, multipart_upload.part_count + 1)),
        }
    return document, {"multipart": False, **upload}


def part_urls(upload: MultipartUpload, numbers) -> list[dict]:
    """Fresh presigned PUTs of the parts `numbers`, each pinned to the checksum it was announced with."""
    key = upload.document.key
    return [
        {
            "number": number,
            "url": storage.presigned_part(
                key=key,
                upload_id=upload.upload_id,
                number=number,
                sha256=upload.part_sha256[number - 1],
                size=upload.part_bytes(number),
            ),
        }
        for number in numbers
    ]


def document_parts(*, user: User, document_id) -> dict:
    """UP-02: the parts storage holds of a multipart upload in flight, and fresh URLs for those it lacks."""
    upload = (
        MultipartUpload.objects.select_related("document")
        .filter(document__owner=user, document_id=document_id, document__state=Document.State.UPLOADING)
        .first()
    )
    if upload is None:
        if Document.objects.owned_by(user).filter(pk=document_id).exists():
            raise NoMultipartUpload()
        raise NotFound()
    try:
        stored = storage.multipart_parts(key=upload.document.key, upload_id=upload.upload_id)
    except storage.MissingUpload:
        raise UploadMissing("Storage no longer has this upload; upload the file again.") from None
    numbers = range(1, upload.part_count + 1)
    uploaded = [n for n in numbers if n in stored and stored[n].size == upload.part_bytes(n)]
    missing = [n for n in numbers if n not in uploaded]
    return {
        "uploaded": [{"number": n, "size": stored[n].size} for n in uploaded],
        "parts": part_urls(upload, missing),
    }


def document_key(user: User, document_id) -> str:
    """Where a person's document lives in storage: known from the ids alone."""
    return f"u/{user.uuid}/{document_id}"


@dataclass(frozen=True)
class Confirmed:
    """A confirmed document, and whether it has any topics yet.

    The locked read that confirms the document learns this for nothing, so an answer shows the topics of a
    document being confirmed (which rarely has any) without asking for them in vain.
    """

    document: Document
    has_topics: bool


def _multipart_finish(upload: MultipartUpload) -> storage.StoredObject | None:
    """Complete a multipart upload from the parts storage lists (never from what the client says it sent).

    Parts still missing raise UploadMissing and leave the upload as it is, to be resumed (UP-02). Parts of the
    wrong size are not joined: the answer is then their total with no ETag, which confirm refuses as a size
    mismatch.
    """
    key = upload.document.key
    try:
        stored = storage.multipart_parts(key=key, upload_id=upload.upload_id)
    except storage.MissingUpload:
        return storage.head(key)  # completed by a confirm running alongside, or gone
    numbers = range(1, upload.part_count + 1)
    missing = [n for n in numbers if n not in stored]
    if missing:
        raise UploadMissing(
            f"{len(missing)} of {upload.part_count} parts are not in storage yet; "
            "GET the document's parts/ for their URLs, send them, and confirm again.",
            missing_parts=missing[:100],
        )
    total = sum(stored[n].size for n in numbers)
    if any(stored[n].size != upload.part_bytes(n) for n in numbers):
        return storage.StoredObject(size=total, etag="", content_type="")
    parts = [stored[n] for n in numbers]
    try:
        completed = storage.multipart_complete(
            key=key, upload_id=upload.upload_id, parts=parts, sha256s=upload.part_sha256
        )
    except storage.MissingUpload:
        return storage.head(key)  # completed alongside: HEAD says what is there
    # Storage joined exactly these parts, whose sizes it listed: its answer is the object, unless it named no ETag.
    return completed if completed.etag else storage.head(key)


def document_confirm(*, user: User, document_id) -> Confirmed:
    """Step 3 of D-05: verify the object, turn its reservation into use (UP-03), and queue the document.

    The object's key follows from the ids, so storage is asked first, before any row is read or locked
    (no lock is held over a network call), and the row is then read once, locked. A multipart upload is
    completed here, from the parts storage lists, before the lock too.

    On PostgreSQL the usual case (a single-part upload as declared, that fits) is one statement of
    documents.confirming; whatever that statement does not confirm goes through the ORM below, as does every
    confirm on SQLite and of a multipart upload.
    """
    key = document_key(user, document_id)
    stored = storage.head(key)
    if stored is not None and stored.etag and "-" not in stored.etag and connection.vendor == "postgresql":
        # The usual case in one statement, in autocommit (documents.confirming); it changes nothing in any
        # other case, which the ORM's transaction below tells apart.
        fast = confirm_in_one_statement(
            connection.alias, owner_id=user.pk, document_id=document_id, key=key, size=stored.size, etag=stored.etag
        )
        if fast is not None:
            confirmed, has_topics = fast
            if confirmed.state == Document.State.QUEUED:
                confirmed_id = confirmed.pk
                transaction.on_commit(lambda: enqueue_processing(confirmed_id))
            return Confirmed(confirmed, has_topics)
    if stored is None:
        upload = (
            MultipartUpload.objects.select_related("document")
            .filter(document__owner=user, document_id=document_id, document__state=Document.State.UPLOADING)
            .first()
        )
        if upload is not None:
            stored = _multipart_finish(upload)
    rejected: KiteError | None = None
    with transaction.atomic():
        document = (
            Document.objects.owned_by(user)
            .select_for_update(of=("self",))
            .annotate(has_topics=Exists(DocumentTopic.objects.filter(document=OuterRef("pk"))))
            .filter(pk=document_id)
            .first()
        )
        if document is None:
            raise NotFound()
        if document.state != Document.State.UPLOADING:
            return Confirmed(document, document.has_topics)  # D-06: already confirmed, nothing more to charge
        if document.key != key:
            stored = storage.head(document.key)  # a key from another scheme: ask again (held lock, rare)
        # A confirm that fails for good gives the reservation back with the upload (UP-03).
        if stored is None:
            rejected = UploadMissing(
                "Storage has no uploaded file for this document; its upload was given up. Ask for a new upload URL."
            )
        elif stored.size != document.size_bytes or not stored.etag:
            rejected = SizeMismatch(declared_bytes=document.size_bytes, stored_bytes=stored.size)
        elif Quota.objects.use_reserved(user, document.size_bytes):
            _mark_confirmed(document, stored.etag)
        else:
            # STORE-05: the upload does not fit (its reservation was lost), so neither its row nor its object stays.
            rejected = _quota_exceeded(user, document.size_bytes)
        if rejected is not None:
            upload_discard(document)
    if rejected is not None:
        raise rejected  # after the block, so the discard commits
    return Confirmed(document, document.has_topics)


def _mark_confirmed(document: Document, etag: str) -> None:
    document.etag = etag
    document.state = Document.State.QUEUED if document.classify else Document.State.SKIPPED
    # Optimistic: cleared again if the broker refuses the message.
    document.enqueued_at = timezone.now() if document.classify else None
    document.save(update_fields=["etag", "state", "enqueued_at", "updated"])
    record(document.owner_id, Action.CONFIRM, document=document)
    if "-" in etag:  # a multipart object (its ETag counts its parts): nothing left to resume or abort
        MultipartUpload.objects.filter(document=document).delete()
    if document.state == Document.State.QUEUED:
        document_id = document.pk
        transaction.on_commit(lambda: enqueue_processing(document_id))


def upload_discard(document: Document) -> None:
    """Drop a document's row and, while it is an upload, its reservation (UP-03) now; its objects (file and
    thumbnail) and any multipart upload once the transaction commits (the scheduler aborts the upload if storage
    is down then)."""
    queued = _deletions_of(document)
    keys = [deletion.key for deletion in queued]
    StorageDeletion.objects.bulk_create(queued, ignore_conflicts=True)
    upload_id = MultipartUpload.objects.filter(document=document).values_list("upload_id", flat=True).first()
    if document.state == Document.State.UPLOADING:
        Quota.objects.unreserve(document.owner_id, document.size_bytes)
    document.delete()
    key = document.key
    transaction.on_commit(lambda: [storage_deletion_attempt(each) for each in keys])
    if upload_id:
        transaction.on_commit(lambda: _abort_quietly(key, upload_id))


def _deletions_of(document: Document) -> list[StorageDeletion]:
    """The deletions that remove every object of `document`; its own key is deleted again once its upload form
    has expired (storage_deletion_attempt)."""
    form_valid_until = document.created + timedelta(seconds=upload_url_expiry())
    return [
        StorageDeletion(key=key, repeat_until=form_valid_until if key == document.key else None)
        for key in document.object_keys()
    ]


def _abort_quietly(key: str, upload_id: str) -> None:
    try:
        storage.multipart_abort(key=key, upload_id=upload_id)
    except StorageUnavailable:
        logger.warning("storage unavailable, multipart upload of %s left for the scheduler to abort", key)


def storage_deletion_attempt(key: str) -> bool:
    """Delete one queued object; on failure it stays queued for the periodic retry. A key whose upload form is
    still valid stays queued after it is deleted, to be deleted again once the form has expired: a form posted
    again after its document was deleted leaves no object behind (documents.periodic)."""
    try:
        storage.delete(key)
    except StorageUnavailable as exc:
        StorageDeletion.objects.filter(key=key).update(attempts=F("attempts") + 1, last_error=str(exc))
        logger.warning("storage unavailable, deletion of %s queued for retry", key)
        return False
    finished = Q(repeat_until__isnull=True) | Q(repeat_until__lte=timezone.now())
    StorageDeletion.objects.filter(finished, key=key).delete()
    StorageDeletion.objects.filter(key=key).update(deleted_once=True)
    return True


def enqueue_processing(document_id) -> bool:
    """Send the document to the workers; a broker outage leaves it `queued` for the sweeper."""
    try:
        process_document.send(str(document_id))
    except Exception:
        logger.exception("could not enqueue document %s; the sweeper will send it", document_id)
        Document.objects.filter(pk=document_id, state=Document.State.QUEUED).update(enqueued_at=None)
        return False
    return True


def upload_url_expiry() -> int:
    return settings.KITE_UPLOAD_URL_EXPIRY


def document_search(owner: User, q: str, queryset: QuerySet[Document] | None = None) -> QuerySet[Document]:
    """`owner`'s documents (of `queryset`, by default all of theirs) matching `q`, with `search_rank` and an
    HTML-safe `search_snippet`, best first (documents.search). The match itself reaches only `owner`'s words."""
    if queryset is None:
        queryset = Document.objects.owned_by(owner)
    return search.document_search(queryset, q, owner=owner)


@transaction.atomic
def document_update(*, user: User, document: Document, title: str | None = None, topic_ids=None, **changes) -> Document:
    """Rename, date (`date=`, None to clear), and/or set the document's topics by hand (T-01): listed topics
    become manual (a listed suggestion is accepted); suggestions left out stay suggestions, since they were never
    the document's filing. A date set here is the owner's: reading the document again keeps it. Each is recorded
    in the person's activity when it changes something."""
    fields = []
    old_title = document.title
    if title is not None:
        document.title = title.strip() or document.title
        fields.append("title")
    if "date" in changes:
        document.date, document.date_source = changes["date"], Document.DateSource.MANUAL
        fields += ["date", "date_source"]
    if fields:
        document.save(update_fields=[*fields, "updated"])
    if document.title != old_title:
        record(user, Action.RETITLED, document=document, detail=f"Was “{old_title}”")
    if topic_ids is not None:
        wanted = set(topic_ids)
        found = {topic.pk: topic for topic in Topic.objects.visible_to(user).filter(pk__in=wanted)}
        if set(found) != wanted:
            raise InvalidInput("Unknown topic ids: " + ", ".join(map(str, sorted(wanted - set(found)))))
        # The document is locked before its assignments, as every other writer of them does: writing an assignment
        # reads the document for the database's copy of its owner and trash state (topics migration 0007), and a
        # trash updates the document's assignments, so a trash waiting on these rows while this waited on the
        # document would deadlock.
        Document.objects.select_for_update().filter(pk=document.pk).values_list("pk").first()
        # Suggestions are not filing: one listed is accepted (added), one left out stays a suggestion.
        existing = set(DocumentTopic.objects.filter(document=document).values_list("topic_id", flat=True))
        had = set(DocumentTopic.objects.filed().filter(document=document).values_list("topic_id", flat=True))
        removed = list(Topic.objects.filter(pk__in=had - wanted).values_list("name", flat=True))
        DocumentTopic.objects.filed().filter(document=document).exclude(topic_id__in=wanted).delete()
        DocumentTopic.objects.filter(document=document, topic_id__in=wanted).update(
            source=DocumentTopic.Source.MANUAL, confidence=None
        )
        DocumentTopic.objects.bulk_create(
            DocumentTopic(document=document, topic_id=pk, source=DocumentTopic.Source.MANUAL)
            for pk in wanted - existing
        )
        added = [found[pk].name for pk in wanted - had]
        if added or removed:
            record(user, Action.TOPICS, document=document, detail=topics_change(added, removed))
        # If the broker is down the model is only a little older; the next change retrains it.
        transaction.on_commit(lambda: _send_quietly(train_builtin_model, user.pk))
    return document


def topics_change(added: list[str], removed: list[str]) -> str:
    """How the activity log says what a topic change did."""
    parts = []
    if added:
        parts.append("Added " + ", ".join(sorted(added)))
    if removed:
        parts.append("removed " + ", ".join(sorted(removed)) if parts else "Removed " + ", ".join(sorted(removed)))
    return "; ".join(parts)


def suggestion_accept(*, user: User, document: Document, topic_id: int) -> DocumentTopic:
    """A suggested topic becomes a manual one, and teaches the built-in classifier as filing by hand does."""
    with transaction.atomic():
        assignment = _suggestion(document, topic_id)
        assignment.source = DocumentTopic.Source.MANUAL
        assignment.confidence = None
        assignment.save(update_fields=["source", "confidence"])
        record(user, Action.TOPICS, document=document, detail=f"Accepted “{assignment.topic}”")
        transaction.on_commit(lambda: _send_quietly(train_builtin_model, user.pk))
    return assignment


def suggestion_reject(*, user: User, document: Document, topic_id: int) -> DocumentTopic:
    """A suggested topic goes, and is remembered: no classifier suggests or files it on this document again."""
    with transaction.atomic():
        assignment = _suggestion(document, topic_id)
        assignment.delete()
        RejectedSuggestion.objects.get_or_create(document=document, topic_id=topic_id)
        record(user, Action.TOPICS, document=document, detail=f"Rejected “{assignment.topic}”")
    return assignment


def _suggestion(document: Document, topic_id: int) -> DocumentTopic:
    # The document first, then the assignment (see document_update): a trash at the same time updates both.
    Document.objects.select_for_update().filter(pk=document.pk).values_list("pk").first()
    assignment = (
        DocumentTopic.objects.select_for_update(of=("self",))
        .select_related("topic")
        .filter(document=document, topic_id=topic_id, source=DocumentTopic.Source.SUGGESTED)
        .first()
    )
    if assignment is None:
        raise NotFound("This document has no such suggestion (any more).")
    return assignment


def _send_quietly(actor, *args) -> None:
    """Send work whose loss costs nothing lasting: a broker outage is logged, not raised."""
    try:
        actor.send(*args)
    except Exception:
        logger.warning("could not enqueue %s%s", actor.actor_name, args)


def document_reclassify(*, user: User, document_id) -> Document:
    """Queue a stored document for another classification run (DOC-06)."""
    with transaction.atomic():
        document = Document.objects.owned_by(user).select_for_update().filter(pk=document_id).first()
        if document is None:
            raise NotFound()
        if document.state == Document.State.UPLOADING:
            raise UploadMissing()
        document.state = Document.State.QUEUED
        document.error = ""
        document.classify = True
        document.attempts = 0
        document.enqueued_at = timezone.now()
        document.save(update_fields=["state", "error", "classify", "attempts", "enqueued_at", "updated"])
        transaction.on_commit(lambda: enqueue_processing(document.pk))
    return document


def owner_objects_queue_deletion(*, owner: User) -> int:
    """ACC-05: queue the stored objects of a person being deleted, in the deleting transaction; returns how many.

    Called for every deletion of a person (documents.apps connects it to the user's pre_delete), so the objects
    are deleted from storage even when storage is down right now, whoever deleted the person and how.
    """
    queued = [
        deletion
        for document in Document.objects.filter(owner=owner).only("key", "state", "created")
        for deletion in _deletions_of(document)
    ]
    StorageDeletion.objects.bulk_create(queued, ignore_conflicts=True)
    if queued:
        transaction.on_commit(lambda: _send_quietly(drain_storage_deletions))  # the scheduler drains it anyway
    return len(queued)
