"""Input and output shapes of the document endpoints (docs/api.md)."""

from __future__ import annotations

import re

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from documents.bulk import MAX_IDS, BulkAction
from documents.models import Document, Note
from documents.notes import MAX_NOTE_CHARS
from kite.fields import StrictBooleanField, StrictCharField, StrictIntegerField
from kite.parsing import MAX_ID
from topics.models import DocumentTopic

CONTENT_TYPE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$")


class DocumentTopicSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="topic.id")
    name = StrictCharField(source="topic.name")
    is_system = serializers.BooleanField(source="topic.is_system")
    # Named as the API names it, though a serializer field has a `source` attribute of its own.
    source = serializers.ChoiceField(choices=DocumentTopic.Source.choices)  # type: ignore[assignment]
    confidence = serializers.FloatField(allow_null=True)


class DocumentSerializer(serializers.ModelSerializer):
    """One document. Its topics are the prefetched `assignments`, or `context["assignments"]` when the caller
    already has them (confirm does)."""

    topics = serializers.SerializerMethodField()
    text_source = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = Document
        fields = [
            "id",
            "title",
            "filename",
            "content_type",
            "size_bytes",
            "sha256",
            "state",
            "error",
            "topics",
            "pages",
            "text_source",
            "thumbnail",
            "date",
            "created",
            "updated",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=Document.TextSource.choices, allow_null=True))
    def get_text_source(self, document: Document) -> str | None:
        return document.text_source or None

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_thumbnail(self, document: Document) -> str | None:
        url = document.thumbnail_url
        request = self.context.get("request")
        return request.build_absolute_uri(url) if url and request is not None else url

    @extend_schema_field(DocumentTopicSerializer(many=True))
    def get_topics(self, document: Document) -> list[dict]:
        assignments = self.context.get("assignments")
        if assignments is None:
            assignments = document.assignments.all()
        return list(DocumentTopicSerializer(assignments, many=True).data)


class DocumentListItemSerializer(DocumentSerializer):
    """A document in a list: never its text; in search results (`q`), a short highlighted `snippet` of it."""

    # One nested serializer for the whole page instead of one per document: a quarter of the time.
    topics = DocumentTopicSerializer(source="assignments", many=True, read_only=True)  # type: ignore[assignment]
    # Not read-only so the schema can mark it optional: lists without `q` leave it out (SkipField).
    snippet = serializers.CharField(
        source="search_snippet",
        required=False,
        help_text="Only with `q`: HTML where the matching words are in <mark> and all other text is escaped.",
    )

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "snippet"]
        read_only_fields = DocumentSerializer.Meta.fields


class UploadUrlInputSerializer(serializers.Serializer):
    filename = StrictCharField(max_length=1024, trim_whitespace=False)
    size_bytes = StrictIntegerField(min_value=0)
    content_type = StrictCharField(max_length=255)
    sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$", required=False, allow_blank=True, default="")
    classify = StrictBooleanField(required=False, default=True)
    # UP-01, for files above KITE_MULTIPART_THRESHOLD: the SHA-256 of each part, in order, which each part's URL
    # is pinned to; and the part size they were cut at (Kite proposes one when it is left out).
    part_size = StrictIntegerField(required=False, min_value=1, max_value=5 * 1024**3)
    part_sha256 = serializers.ListField(
        child=serializers.RegexField(r"^[0-9a-fA-F]{64}$"), required=False, max_length=10_000
    )

    def validate_content_type(self, value: str) -> str:
        value = value.strip()
        if not CONTENT_TYPE_RE.match(value):
            raise serializers.ValidationError("Must be a media type such as application/pdf.")
        return value.lower()


class PartUrlSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    url = serializers.URLField()


class UploadSerializer(serializers.Serializer):
    """A presigned POST (`multipart` false: `url`, `fields`), or a multipart upload (`multipart` true:
    `upload_id`, `part_size`, `parts`): PUT each part to its URL with the header `x-amz-checksum-sha256` set to the
    base64 of that part's SHA-256."""

    multipart = serializers.BooleanField()
    url = serializers.URLField(required=False)
    # Named as the API names it, though a serializer has a `fields` attribute of its own.
    fields = serializers.DictField(child=StrictCharField(), required=False)  # type: ignore[assignment]
    upload_id = serializers.CharField(required=False)
    part_size = serializers.IntegerField(required=False)
    parts = PartUrlSerializer(many=True, required=False)
    expires_at = serializers.DateTimeField()


class UploadUrlOutputSerializer(serializers.Serializer):
    document = DocumentSerializer()
    upload = UploadSerializer()


class UploadedPartSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    size = serializers.IntegerField()


class PartsSerializer(serializers.Serializer):
    uploaded = UploadedPartSerializer(many=True)
    parts = PartUrlSerializer(many=True)


class DocumentUpdateSerializer(serializers.Serializer):
    title = StrictCharField(max_length=255, required=False)
    # The document's own date; null clears it (and a later reading does not set it again).
    date = serializers.DateField(required=False, allow_null=True)
    topic_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=100
    )


class NoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Note
        fields = ["id", "text", "created"]
        read_only_fields = fields


class NoteInputSerializer(serializers.Serializer):
    # Longer notes are refused by documents.notes with its own message; this bound only stops huge bodies early.
    text = StrictCharField(max_length=MAX_NOTE_CHARS, trim_whitespace=True)


class DocumentIdsSerializer(serializers.Serializer):
    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_IDS)


class OptionalDocumentIdsSerializer(serializers.Serializer):
    """No `ids`: every document in the trash."""

    ids = serializers.ListField(child=serializers.UUIDField(), min_length=1, max_length=MAX_IDS, required=False)


class BulkInputSerializer(DocumentIdsSerializer):
    action = serializers.ChoiceField(choices=BulkAction.choices)
    topic_ids = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=100
    )


class CountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class TrashedDocumentSerializer(DocumentSerializer):
    """A document in the trash: when it was trashed, and when the scheduler deletes it for good."""

    purge_after = serializers.DateTimeField(read_only=True)

    class Meta(DocumentSerializer.Meta):
        fields = [*DocumentSerializer.Meta.fields, "deleted_at", "purge_after"]
        read_only_fields = fields
