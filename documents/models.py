"""Documents: one stored object each, owned by one person."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Protocol, cast

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q, QuerySet
from django.db.models.sql.where import WhereNode
from django.urls import reverse
from django.utils import timezone

from documents import search
from topics.models import DocumentTopic


def _shown_assignments() -> QuerySet[DocumentTopic]:
    """Topic assignments with their topics, by topic name: what a document's pages and answers show."""
    return DocumentTopic.objects.select_related("topic").order_by("topic__name")


def topic_assignments() -> models.Prefetch:
    return models.Prefetch("assignments", queryset=_shown_assignments())


def topic_assignments_of(document: Document) -> list[DocumentTopic]:
    return list(_shown_assignments().filter(document=document))


class Countable(Protocol):
    """What can stand in for a list's count: a queryset, or anything else that counts (`count()`)."""

    def count(self) -> int: ...


class DocumentQuerySet(models.QuerySet["Document"]):
    # Set by `counted_by`: the conditions this list had then, and what counts the same documents.
    _counted: tuple[WhereNode, Countable] | None = None

    def counted_by(self, counted: Countable) -> DocumentQuerySet:
        """This list, whose `count()` is `counted.count()` (a smaller query the caller knows to count exactly the
        same documents) as long as no condition is added to it: any filter added afterwards counts the list's own
        query again."""
        clone = self.all()
        clone._counted = (self.query.where.clone(), counted)
        return clone

    def count(self) -> int:
        if self._counted is not None and self._result_cache is None:
            where, counted = self._counted
            query = self.query
            if query.where == where and not query.is_sliced and not query.distinct and not query.combinator:
                return counted.count()
        return super().count()

    def _clone(self):
        # Django's copy for every chained call (order_by, slicing, defer…), not in the stubs: the count goes along.
        clone = super()._clone()  # type: ignore[misc]
        clone._counted = self._counted
        return clone

    def owned_by(self, user) -> DocumentQuerySet:
        """`user`'s documents outside the trash: what every page and endpoint but the trash's own may see (LIFE-01)."""
        return self.filter(owner=user).live()

    def in_trash_of(self, user) -> DocumentQuerySet:
        """`user`'s documents in the trash (LIFE-01)."""
        return self.filter(owner=user).trashed()

    def live(self) -> DocumentQuerySet:
        return self.filter(deleted_at__isnull=True)

    def trashed(self) -> DocumentQuerySet:
        return self.filter(deleted_at__isnull=False)

    def with_topics(self) -> DocumentQuerySet:
        return self.prefetch_related(topic_assignments())

    def stored(self) -> DocumentQuerySet:
        """Documents whose bytes are confirmed and charged to the quota: neither uploads in flight nor the trash."""
        return self.exclude(state=Document.State.UPLOADING).live()


_DocumentManagerBase = models.Manager.from_queryset(DocumentQuerySet)


class DocumentManager(_DocumentManagerBase):
    def get_queryset(self) -> DocumentQuerySet:  # type: ignore[override]  # the stubs lose from_queryset's type
        # The search vectors are for the database's eyes only: never fetch them.
        return cast(DocumentQuerySet, super().get_queryset().defer("search_vector", "rank_vector"))


class Document(models.Model):
    class State(models.TextChoices):
        UPLOADING = "uploading"
        QUEUED = "queued"
        PROCESSING = "processing"
        CLASSIFIED = "classified"
        SKIPPED = "skipped"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField(max_length=255)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=255)
    size_bytes = models.BigIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    key = models.CharField(max_length=200, unique=True, editable=False)
    etag = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.UPLOADING)
    error = models.TextField(blank=True)
    classify = models.BooleanField(default=True)
    # Runs of the processing actor that claimed this document since it was last queued by a person; past
    # documents.processing.MAX_ATTEMPTS it ends failed instead of being read again.
    attempts = models.PositiveSmallIntegerField(default=0)
    text = models.TextField(blank=True)
    # LIFE-01: set while the document is in the trash; its bytes are no longer charged, its object stays until
    # the trash is purged. Only the trash's pages and endpoints see such a document.
    deleted_at = models.DateTimeField(null=True, blank=True)
    # LIFE-02: the text of the document's notes, one after another, kept by documents.services whenever a note
    # is added or deleted, so the search vector (a generated column, which can read only this row) finds them.
    notes_text = models.TextField(blank=True, editable=False)

    # What reading the document found (READ-01..04): its pages, where its text came from, the OCR engine that
    # read it, a note when only part of it could be read, and when its thumbnail was stored (thumbnail_key).
    class TextSource(models.TextChoices):
        TEXT = "text"
        OCR = "ocr"

    pages = models.PositiveIntegerField(null=True, blank=True)
    text_source = models.CharField(max_length=4, choices=TextSource.choices, blank=True)
    reader = models.CharField(max_length=60, blank=True)
    reading_note = models.TextField(blank=True)
    thumbnail_at = models.DateTimeField(null=True, blank=True)

    # The document's own date (a letter's, an invoice's): found in its text by the worker, or set by its owner,
    # whose date a later reading never replaces.
    class DateSource(models.TextChoices):
        TEXT = "text"
        MANUAL = "manual"

    date = models.DateField(null=True, blank=True)
    date_source = models.CharField(max_length=6, choices=DateSource.choices, blank=True)
    # The page OCR is reading now ("reading page 3 of 12"), while the document is processing.
    page_reading = models.PositiveIntegerField(null=True, blank=True)
    # Set when the processing message is handed to the broker; None means the
    # hand-off failed and the sweeper must send it (docs/requirements.md, Brokers).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    topics = models.ManyToManyField("topics.Topic", through="topics.DocumentTopic", related_name="documents")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # Full-text search (documents/search.py): what matches and what ranks, kept up to date by the database.
    search_vector = models.GeneratedField(
        expression=search.search_vector(), output_field=SearchVectorField(null=True), db_persist=True
    )
    rank_vector = models.GeneratedField(
        expression=search.rank_vector(), output_field=SearchVectorField(null=True), db_persist=True
    )

    objects = DocumentManager()

    class Meta:
        ordering = ["-created"]
        indexes = [
            # The lists over the documents outside the trash (every list and search asks for those alone): the
            # orderings end on the primary key as the ordering does, so a page is read straight from the index;
            # a list's count is an index-only scan of the small, deduplicated (owner, state) index.
            models.Index(
                fields=["owner", "-created", "-id"], name="document_live_created", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(
                fields=["owner", "title", "id"], name="document_live_title", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(
                fields=["owner", "size_bytes", "id"], name="document_live_size", condition=Q(deleted_at__isnull=True)
            ),
            # document_live_date, (owner, date DESC NULLS LAST, created DESC, id) of live documents, is made by
            # migration 0013 on PostgreSQL only: SQLite cannot say NULLS LAST in an index.
            models.Index(fields=["owner", "state"], name="document_live_state", condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["owner", "sha256"], name="document_owner_sha256"),
            models.Index(fields=["state", "created"], name="document_state_created"),
            # fastupdate off: writes come from background workers, and searches never wade through a pending list.
            search.SearchVectorIndex(fields=["search_vector"], name="document_search", fastupdate=False),
            # The trash is small beside the live documents: its lists and the purge read only these entries.
            models.Index(
                fields=["owner", "-deleted_at"], name="document_owner_trash", condition=Q(deleted_at__isnull=False)
            ),
            models.Index(fields=["deleted_at"], name="document_trash_since", condition=Q(deleted_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(size_bytes__gte=0), name="document_size_not_negative"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.pk])

    @property
    def kind(self) -> str:
        """The file's type as people name it ("Word document"), not as a MIME type."""
        content_type = self.content_type.split(";")[0].strip().lower()
        if content_type in KIND_LABELS:
            return KIND_LABELS[content_type]
        major, _, minor = content_type.partition("/")
        if major in ("image", "audio", "video") and minor:
            return f"{minor.removeprefix('x-').upper()} {major}"
        return f"File ({content_type})" if content_type else "File"

    @property
    def is_pending(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.PROCESSING)

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None

    @property
    def purge_after(self) -> datetime | None:
        """When the scheduler deletes a trashed document for good (KITE_TRASH_DAYS after it was trashed)."""
        if self.deleted_at is None:
            return None
        return self.deleted_at + timedelta(days=settings.KITE_TRASH_DAYS)

    @property
    def thumbnail_key(self) -> str:
        return thumbnail_key(self.key)

    @property
    def thumbnail_url(self) -> str | None:
        """The thumbnail's address in Kite (a redirect to storage), new only when the thumbnail is, so browsers
        keep the image."""
        if self.thumbnail_at is None:
            return None
        return reverse("api:document-thumbnail", args=[self.pk]) + f"?v={int(self.thumbnail_at.timestamp())}"

    def object_keys(self) -> list[str]:
        """Every object this document may have in storage: its file and, once it was read, its thumbnail (a
        worker may store one before it records it, so it is counted from the moment the upload is confirmed)."""
        return [self.key] if self.state == self.State.UPLOADING else [self.key, self.thumbnail_key]


KIND_LABELS = {
    "application/pdf": "PDF document",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word document",
    "application/msword": "Word document (old format)",
    "application/vnd.oasis.opendocument.text": "OpenDocument text",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel spreadsheet",
    "application/vnd.ms-excel": "Excel spreadsheet (old format)",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PowerPoint presentation",
    "application/rtf": "Rich text document",
    "application/zip": "Zip archive",
    "application/octet-stream": "File of unknown type",
    "text/plain": "Plain text",
    "text/markdown": "Markdown text",
    "text/csv": "CSV table",
    "text/html": "Web page",
    "image/jpeg": "JPEG image",
    "image/png": "PNG image",
    "image/tiff": "TIFF image",
    "image/heic": "HEIC photo",
    "image/heif": "HEIF photo",
    "image/webp": "WebP image",
    "image/gif": "GIF image",
}


# Thumbnails live beside the documents under their own prefix, at a key derived from the document's (READ-02).
THUMBNAIL_PREFIX = "t/"


def thumbnail_key(key: str) -> str:
    return THUMBNAIL_PREFIX + key


class StorageDeletion(models.Model):
    """An object still to delete from storage: the retry queue of STORE-06.

    Written in the same transaction that deletes the document, so an object is
    never forgotten even when storage is down at that moment.
    """

    key = models.CharField(max_length=200, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The document's upload form stays valid until then, and could put the object back: the key is deleted once
    # more after it, and only then forgotten. `deleted_once` says the first deletion is done.
    repeat_until = models.DateTimeField(null=True, blank=True)
    deleted_once = models.BooleanField(default=False)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        return self.key

    @classmethod
    def due(cls) -> Q:
        """Deletions to try now: never done yet, or done once and their upload form has expired since."""
        return Q(deleted_once=False) | Q(repeat_until__lte=timezone.now())


class Note(models.Model):
    """LIFE-02: a note its owner wrote on a document; private as the document is, and gone with it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="notes")
    text = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created"]

    def __str__(self) -> str:
        # Never the text: a note is as private as its document, wherever a note is named.
        return f"Note {self.pk}"


class MultipartUpload(models.Model):
    """UP-01: the storage multipart upload that fills a document still `uploading`, and the SHA-256 each of its
    parts is pinned to (given when the upload URL was asked for), so fresh part URLs pin the same bytes (UP-02).

    Goes with its document; an upload whose row is gone is aborted by the scheduler (documents.periodic).
    """

    document = models.OneToOneField(Document, on_delete=models.CASCADE, primary_key=True, related_name="multipart")
    upload_id = models.CharField(max_length=1024)
    part_size = models.BigIntegerField()
    part_sha256 = models.JSONField()  # hex digests, part 1 first (a JSON list: SQLite has no arrays)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.document_id}: {len(self.part_sha256)} parts"

    @property
    def part_count(self) -> int:
        return len(self.part_sha256)

    def part_bytes(self, number: int) -> int:
        """How long part `number` (from 1) must be: part_size, the last one the remainder."""
        if number < self.part_count:
            return self.part_size
        return self.document.size_bytes - self.part_size * (self.part_count - 1)
