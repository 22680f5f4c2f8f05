"""Importing an export's zip into a person's account (`manage.py import_export`), all or nothing.

The zip is checked whole before anything is written: a Kite export's metadata.json, a bounded number of
members, every file it names present at its declared size, and their total within what the person's quota has
left. Files are then read by the names metadata.json gives (nothing is ever extracted to a path) and stored
under new keys Kite chooses, as uploads in flight holding a reservation (UP-03); only when every file is stored
and matches its SHA-256 do the documents, their topics, notes and text appear, in one transaction. Anything
failing on the way discards the uploads and their reservation again.

Documents that were read (classified or skipped) come in as read, with their text, topics and states; the others
(failed, or still waiting to be read when the export was made) are queued to be read here.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
import zipfile
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from accounts.models import User
from activity.services import Action, record_many
from documents import storage
from documents.models import Document, Note
from documents.notes import MAX_NOTE_CHARS
from documents.services import document_key, enqueue_processing, sanitize_filename, upload_discard
from exports.services import FORMAT, FORMAT_VERSION, METADATA_NAME
from kite.errors import StorageUnavailable
from quotas.models import Quota
from topics.models import DocumentTopic, Topic
from topics.tasks import train_builtin_model

logger = logging.getLogger(__name__)

# Bounds that keep a hostile zip from costing more than its person's quota: members, and metadata.json's size
# (the files themselves are read up to their declared sizes, whose total must fit the quota).
MAX_MEMBERS = 100_000
MAX_METADATA_BYTES = 256 * 1024 * 1024
READ_STATES = (Document.State.CLASSIFIED, Document.State.SKIPPED)


class ImportRefused(Exception):
    """The zip cannot be imported; the message says why. Nothing was kept."""


class _TopicSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class _AssignmentSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    is_system = serializers.BooleanField(default=False)
    # A field named like Field.source, which DRF's metaclass takes out of the class; the stubs do not know that.
    source = serializers.ChoiceField(choices=DocumentTopic.Source.choices)  # type: ignore[assignment]
    confidence = serializers.FloatField(allow_null=True, required=False, default=None, min_value=0, max_value=1)


class _NoteSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_NOTE_CHARS)
    created = serializers.DateTimeField(required=False)


class _DocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField(max_length=255)
    filename = serializers.CharField(max_length=255)
    content_type = serializers.CharField(max_length=255)
    size_bytes = serializers.IntegerField(min_value=0)
    sha256 = serializers.RegexField(r"^[0-9a-f]{64}$")
    created = serializers.DateTimeField()
    state = serializers.ChoiceField(choices=[s for s in Document.State.values if s != Document.State.UPLOADING])
    topics = _AssignmentSerializer(many=True)
    notes = _NoteSerializer(many=True, required=False, default=list)
    text = serializers.CharField(allow_blank=True, trim_whitespace=False)
    pages = serializers.IntegerField(allow_null=True, min_value=0)
    text_source = serializers.ChoiceField(choices=Document.TextSource.choices, allow_null=True, allow_blank=True)
    # The document's own date; absent from exports made before documents had one.
    date = serializers.DateField(allow_null=True, required=False, default=None)
    date_source = serializers.ChoiceField(
        choices=Document.DateSource.choices, allow_null=True, allow_blank=True, required=False, default=None
    )
    file = serializers.CharField(allow_null=True, max_length=1000)


class _MetadataSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=[FORMAT])
    version = serializers.ChoiceField(choices=[FORMAT_VERSION])
    topics = _TopicSerializer(many=True)
    documents = _DocumentSerializer(many=True)


@dataclass
class Plan:
    """What an import will do, decided before anything is written."""

    entries: list[dict]  # documents to import, in metadata.json's order
    topics: list[dict]
    skipped: list[str] = field(default_factory=list)  # why each left-out document was left out

    @property
    def total_bytes(self) -> int:
        return sum(entry["size_bytes"] for entry in self.entries)


@dataclass
class Imported:
    documents: int
    bytes: int
    to_read: int
    skipped: list[str]


def _first_error(errors, where: str = "") -> str:
    if isinstance(errors, dict):
        name, value = next(iter(errors.items()))
        return _first_error(value, f"{where}.{name}" if where else str(name))
    if isinstance(errors, list):
        for index, value in enumerate(errors):
            if value:
                return _first_error(value, f"{where}[{index}]" if not isinstance(value, str) else where)
    return f"{where}: {errors}"


def read_plan(archive: zipfile.ZipFile, user: User) -> Plan:
    """Check the whole zip against its metadata.json and decide what to import; raises ImportRefused."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ImportRefused(f"The zip has {len(infos)} members; an import takes at most {MAX_MEMBERS}.")
    try:
        metadata_info = archive.getinfo(METADATA_NAME)
    except KeyError:
        raise ImportRefused(f"This is not a Kite export: it has no {METADATA_NAME}.") from None
    if metadata_info.file_size > MAX_METADATA_BYTES:
        raise ImportRefused(f"{METADATA_NAME} is larger than {MAX_METADATA_BYTES} bytes.")
    try:
        metadata = json.loads(archive.read(metadata_info))
    except (ValueError, zipfile.BadZipFile, RuntimeError, OSError) as exc:
        raise ImportRefused(f"{METADATA_NAME} cannot be read: {exc}") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ImportRefused(f"This is not a Kite export: its {METADATA_NAME} is not Kite's.")
    checked = _MetadataSerializer(data=metadata)
    if not checked.is_valid():
        raise ImportRefused(f"{METADATA_NAME} is not valid: {_first_error(checked.errors)}")
    data = checked.validated_data
    members = {info.filename: info for info in infos}
    have = set(Document.objects.owned_by(user).stored().exclude(sha256="").values_list("sha256", flat=True))
    plan = Plan(entries=[], topics=data["topics"])
    for entry in data["documents"]:
        if entry["file"] is None:
            plan.skipped.append(f"{entry['title']}: the export holds no file for it")
            continue
        info = members.get(entry["file"])
        if info is None:
            raise ImportRefused(f"{METADATA_NAME} names {entry['file']!r}, which the zip does not hold.")
        if info.file_size != entry["size_bytes"]:
            raise ImportRefused(
                f"{entry['file']!r} holds {info.file_size} bytes; {METADATA_NAME} says {entry['size_bytes']}."
            )
        if entry["size_bytes"] > settings.KITE_MAX_UPLOAD_BYTES:
            # Every way in takes the same files: an import brings in nothing an upload would refuse.
            raise ImportRefused(
                f"{entry['file']!r} has {entry['size_bytes']} bytes; this Kite takes files of at most "
                f"{settings.KITE_MAX_UPLOAD_BYTES} bytes (KITE_MAX_UPLOAD_BYTES). Nothing was imported."
            )
        if entry["sha256"] in have:
            plan.skipped.append(f"{entry['title']}: already in the account")
            continue
        have.add(entry["sha256"])
        plan.entries.append(entry)
    return plan


class _HashingReader:
    """A zip member read as a stream, hashed as it goes by (not seekable: storage takes it part by part)."""

    def __init__(self, member) -> None:
        self.member = member
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self.member.read(size)
        self.digest.update(chunk)
        return chunk


def import_export(*, user: User, path: str) -> Imported:
    """Import the export at `path` into `user`'s account; ImportRefused (nothing kept) when it cannot be."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(f"{path} is not a zip that can be read: {exc}") from None
    with archive:
        plan = read_plan(archive, user)
        return _import(archive, user, plan)


def _import(archive: zipfile.ZipFile, user: User, plan: Plan) -> Imported:
    total = plan.total_bytes
    quota = Quota.objects.get(user=user)
    if total > quota.remaining_bytes:
        raise ImportRefused(
            f"The export's files take {total} bytes; {user.username}'s quota has {quota.remaining_bytes} left "
            f"(of {quota.limit_bytes}). Nothing was imported."
        )
    documents = [_new_document(user, entry) for entry in plan.entries]
    with transaction.atomic():
        # The reservation is the one conditional UPDATE that decides, as for any upload (UP-03).
        if not Quota.objects.reserve(user, total):
            raise ImportRefused(f"The export's {total} bytes no longer fit {user.username}'s quota.")
        Document.objects.bulk_create(documents)
    try:
        etags = [_store(archive, document, entry) for document, entry in zip(documents, plan.entries, strict=True)]
        to_read = _finish(user, documents, plan, etags)
    except BaseException:
        _discard(documents)
        raise
    return Imported(len(documents), total, to_read, plan.skipped)


def _new_document(user: User, entry: dict) -> Document:
    document_id = uuid.uuid4()
    return Document(
        id=document_id,
        owner=user,
        title=entry["title"],
        filename=sanitize_filename(entry["filename"]),
        content_type=entry["content_type"],
        size_bytes=entry["size_bytes"],
        sha256=entry["sha256"],
        key=document_key(user, document_id),
        classify=entry["state"] != Document.State.SKIPPED,
    )


def _store(archive: zipfile.ZipFile, document: Document, entry: dict) -> str:
    """Copy one member into storage as it is read; its bytes must be the ones metadata.json names."""
    try:
        with archive.open(entry["file"]) as member:
            reader = _HashingReader(member)
            storage.upload_stream(
                document.key, reader, content_type=document.content_type, part_bytes=settings.KITE_MULTIPART_PART_SIZE
            )
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: a compression zipfile cannot undo.
        raise ImportRefused(f"{entry['file']!r} cannot be read from the zip: {exc}") from None
    if reader.digest.hexdigest() != entry["sha256"]:
        raise ImportRefused(f"{entry['file']!r} is damaged: its SHA-256 is not the one {METADATA_NAME} gives.")
    stored = storage.head(document.key)
    if stored is None or stored.size != document.size_bytes:
        raise StorageUnavailable("Storage did not keep an imported file; nothing was imported.")
    return stored.etag


def _topic_lookup(user: User, plan: Plan):
    """A topic for each name the import uses: the person's own by name (made when missing, with the export's
    description), or a system topic of that name where the export had a system topic and this Kite has one."""
    own = {topic.name.lower(): topic for topic in Topic.objects.filter(owner=user)}
    system = {topic.name.lower(): topic for topic in Topic.objects.filter(owner__isnull=True)}

    def own_topic(name: str, description: str = "") -> Topic:
        topic = own.get(name.lower())
        if topic is None:
            topic = own[name.lower()] = Topic.objects.create(owner=user, name=name, description=description)
        return topic

    for topic in plan.topics:
        own_topic(topic["name"], topic["description"])

    def lookup(assignment: dict) -> Topic:
        if assignment["is_system"] and assignment["name"].lower() in system:
            return system[assignment["name"].lower()]
        return own_topic(assignment["name"])

    return lookup


def _finish(user: User, documents: list[Document], plan: Plan, etags: list[str]) -> int:
    """Every file is stored: the documents appear, charged to the quota, with their topics, notes and text."""
    now = timezone.now()
    to_read: list = []
    with transaction.atomic():
        # While files went up, these were the person's uploads in flight like any other: one confirmed or deleted
        # meanwhile has charged or released its own bytes, and charging the whole import now would count it twice.
        ids = [document.pk for document in documents]
        still = Document.objects.select_for_update().filter(
            pk__in=ids, owner=user, state=Document.State.UPLOADING, deleted_at__isnull=True
        )
        if len(still.values_list("pk", flat=True)) != len(ids):
            raise ImportRefused("Some of the imported files were confirmed or deleted meanwhile; nothing was imported.")
        if not Quota.objects.use_reserved(user, plan.total_bytes):
            raise ImportRefused("The quota changed under the import; nothing was imported.")
        topic_for = _topic_lookup(user, plan)
        assignments, notes = [], []
        for document, entry, etag in zip(documents, plan.entries, etags, strict=True):
            read = entry["state"] in READ_STATES
            Document.objects.filter(pk=document.pk).update(
                state=entry["state"] if read else Document.State.QUEUED,
                etag=etag,
                text=entry["text"],
                pages=entry["pages"],
                text_source=entry["text_source"] or "",
                date=entry["date"],
                date_source=entry["date_source"] or "",
                created=entry["created"],
                enqueued_at=None if read else now,
                # What searches read of the notes, joined as documents.notes joins them.
                notes_text="\n\n".join(note["text"] for note in entry["notes"]),
            )
            if not read:
                to_read.append(document.pk)
            seen: set[int] = set()
            for assignment in entry["topics"]:
                topic = topic_for(assignment)
                if topic.pk not in seen:
                    seen.add(topic.pk)
                    assignments.append(
                        DocumentTopic(
                            document=document,
                            topic=topic,
                            source=assignment["source"],
                            confidence=assignment["confidence"],
                        )
                    )
            notes += _notes_of(document, entry)
        DocumentTopic.objects.bulk_create(assignments)
        Note.objects.bulk_create(notes)
        record_many(user, Action.CONFIRM, documents, detail="Imported from a Kite export")
        transaction.on_commit(lambda: [enqueue_processing(pk) for pk in to_read])
        transaction.on_commit(lambda: _train_quietly(user.pk))
    return len(to_read)


def _notes_of(document: Document, entry: dict) -> list[Note]:
    return [
        Note(document=document, text=note["text"], **({"created": note["created"]} if note.get("created") else {}))
        for note in entry["notes"]
    ]


def _train_quietly(user_id: int) -> None:
    """Filing learnt from the imported topics; a broker outage only leaves the model a little older."""
    try:
        train_builtin_model.send(user_id)
    except Exception:
        logger.warning("could not enqueue training for user %s after an import", user_id)


def _discard(documents: list[Document]) -> None:
    """Nothing half-imported: every upload of this import goes again, with its reservation and stored object
    (through the deletion retry queue, so storage being down loses nothing)."""
    with transaction.atomic():
        for document in Document.objects.filter(pk__in=[d.pk for d in documents], state=Document.State.UPLOADING):
            upload_discard(document)
