"""`/api/documents/` and `/api/trash/`: the three-step upload, notes, bulk actions and the trash, of the requesting
user's documents only."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.cache import patch_cache_control
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from documents import bulk, notes, search, selectors, services, storage, trash
from documents.models import Document, topic_assignments_of
from documents.serializers import (
    BulkInputSerializer,
    CountSerializer,
    DocumentIdsSerializer,
    DocumentListItemSerializer,
    DocumentSerializer,
    DocumentUpdateSerializer,
    NoteInputSerializer,
    NoteSerializer,
    OptionalDocumentIdsSerializer,
    PartsSerializer,
    TrashedDocumentSerializer,
    UploadUrlInputSerializer,
    UploadUrlOutputSerializer,
)
from kite.api import Pagination

ERROR = OpenApiResponse(description='`{"detail", "code"}`')


class DocumentPagination(Pagination):
    django_paginator_class = search.SearchPaginator


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "q",
                str,
                description="Full-text search of the title, filename and text. Every word must match, as a word "
                'or the start of one; `"two words"` is a phrase; `-word` excludes; `a or b` matches either. '
                "Results carry a highlighted `snippet`.",
            ),
            OpenApiParameter(
                "topic",
                str,
                many=True,
                description="A topic id, repeated for several (documents filed under any of them), or `none` for "
                "documents filed under no topic.",
            ),
            OpenApiParameter("date_after", OpenApiTypes.DATE, description="Dated on or after this day."),
            OpenApiParameter("date_before", OpenApiTypes.DATE, description="Dated on or before this day."),
            OpenApiParameter("state", str, enum=[s.value for s in Document.State]),
            OpenApiParameter(
                "ordering",
                str,
                enum=sorted(selectors.ORDERINGS),
                description="Default `-created`; with `q`, best match first.",
            ),
        ],
        responses=DocumentListItemSerializer,
    ),
    partial_update=extend_schema(request=DocumentUpdateSerializer, responses=DocumentSerializer),
    destroy=extend_schema(
        description="Move the document to the trash (LIFE-01) and release its bytes from the quota at once.",
        responses={204: None, 404: ERROR},
    ),
)
class DocumentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet
):
    serializer_class = DocumentSerializer
    pagination_class = DocumentPagination
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        queryset = Document.objects.owned_by(self.request.user).with_topics()
        if self.action != "list":
            return queryset
        return self._list_queryset(queryset.defer("text"))

    def _list_queryset(self, queryset):
        """The list's filters and orderings (documents.selectors), in a constant number of queries."""
        filterset = selectors.document_filter(self.request.query_params, queryset, self.request, lenient=False)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        return filterset.qs

    def get_serializer_class(self):
        return DocumentListItemSerializer if self.action == "list" else DocumentSerializer

    def partial_update(self, request, *args, **kwargs):
        document = self.get_object()
        data = DocumentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.document_update(user=request.user, document=document, **data.validated_data)
        return Response(DocumentSerializer(self.get_object()).data)

    def update(self, request, *args, **kwargs):
        if not kwargs.get("partial"):
            return self.http_method_not_allowed(request)
        return super().update(request, *args, **kwargs)

    def destroy(self, request, pk=None):
        trash.document_trash(user=request.user, document_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=BulkInputSerializer,
        responses={200: CountSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
        description="LIFE-03: one action on many documents, all or nothing. Any id that is not one of yours (or is "
        "in the trash), or a topic you may not use, answers 404 and changes nothing.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        data = BulkInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        count = bulk.documents_bulk(user=request.user, **data.validated_data)
        return Response({"count": count})

    @extend_schema(
        methods=["GET"], request=None, responses={200: NoteSerializer(many=True), 404: ERROR}, description="LIFE-02"
    )
    @extend_schema(
        methods=["POST"], request=NoteInputSerializer, responses={201: NoteSerializer, 400: ERROR, 404: ERROR}
    )
    @action(detail=True, methods=["get", "post"], url_path="notes", url_name="notes")
    def notes(self, request, pk=None):
        document = self.get_object()  # 404 for anyone else's document before the body is judged
        if request.method == "GET":
            return Response(NoteSerializer(notes.notes_of(user=request.user, document_id=document.pk), many=True).data)
        data = NoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        note = notes.note_add(user=request.user, document_id=document.pk, **data.validated_data)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None, 404: ERROR})
    @action(detail=True, methods=["delete"], url_path="notes/<uuid:note_id>", url_name="note")
    def note(self, request, pk=None, note_id=None):
        notes.note_delete(user=request.user, document_id=pk, note_id=note_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=UploadUrlInputSerializer,
        responses={201: UploadUrlOutputSerializer, 400: ERROR, 409: ERROR, 413: ERROR, 503: ERROR},
    )
    @action(detail=False, methods=["post"], url_path="upload-url")
    def upload_url(self, request):
        data = UploadUrlInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document, upload = services.document_upload_url(user=request.user, **data.validated_data)
        expires_at = timezone.now() + timedelta(seconds=services.upload_url_expiry())
        body = {"document": document, "upload": {**upload, "expires_at": expires_at}}
        return Response(UploadUrlOutputSerializer(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: DocumentSerializer, 404: ERROR, 409: ERROR, 413: ERROR, 503: ERROR})
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        # The service finds the person's document itself (404 for anyone else's), in one locked read.
        confirmed = services.document_confirm(user=request.user, document_id=pk)
        assignments = topic_assignments_of(confirmed.document) if confirmed.has_topics else []
        return Response(DocumentSerializer(confirmed.document, context={"assignments": assignments}).data)

    @extend_schema(request=None, responses={200: PartsSerializer, 404: ERROR, 409: ERROR, 503: ERROR})
    @action(detail=True, methods=["get"])
    def parts(self, request, pk=None):
        # UP-02: the service finds the person's upload itself (404 for anyone else's).
        return Response(PartsSerializer(services.document_parts(user=request.user, document_id=pk)).data)

    @extend_schema(request=None, responses={302: OpenApiResponse(description="Redirect to a presigned GET")})
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        document = self.get_object()
        if document.state == Document.State.UPLOADING:
            raise services.UploadMissing()
        return HttpResponseRedirect(
            storage.presigned_get(key=document.key, filename=document.filename, content_type=document.content_type)
        )

    @extend_schema(
        request=None,
        responses={302: OpenApiResponse(description="Redirect to a presigned GET of the thumbnail"), 404: ERROR},
    )
    @action(detail=True, methods=["get"])
    def thumbnail(self, request, pk=None):
        """READ-02: the image is the same until the document is read again, so the browser keeps the answer."""
        document = self.get_object()
        if document.thumbnail_at is None:
            raise NotFound("This document has no thumbnail.")
        response = HttpResponseRedirect(storage.presigned_thumbnail(document.thumbnail_key))
        patch_cache_control(response, private=True, max_age=storage.THUMBNAIL_CACHE_SECONDS)
        return response

    @extend_schema(request=None, responses={(200, "text/plain"): OpenApiResponse(description="The document's text")})
    @action(detail=True, methods=["get"])
    def text(self, request, pk=None):
        """READ-01: what was read from the document, from its text layer or by OCR."""
        return HttpResponse(self.get_object().text, content_type="text/plain; charset=utf-8")

    @extend_schema(request=None, responses={202: DocumentSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def classify(self, request, pk=None):
        document = services.document_reclassify(user=request.user, document_id=self.get_object().pk)
        return Response(DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)


@extend_schema_view(list=extend_schema(responses=TrashedDocumentSerializer))
class TrashViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """LIFE-01: the person's trash, most recently trashed first; the only endpoints that see trashed documents."""

    serializer_class = TrashedDocumentSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return (
            Document.objects.in_trash_of(self.request.user).with_topics().defer("text").order_by("-deleted_at", "-pk")
        )

    @extend_schema(request=DocumentIdsSerializer, responses={200: CountSerializer, 400: ERROR, 404: ERROR, 413: ERROR})
    @action(detail=False, methods=["post"])
    def restore(self, request):
        data = DocumentIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"count": trash.trash_restore(user=request.user, ids=data.validated_data["ids"])})

    @extend_schema(request=OptionalDocumentIdsSerializer, responses={204: None, 400: ERROR, 404: ERROR})
    @action(detail=False, methods=["post"])
    def empty(self, request):
        data = OptionalDocumentIdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        trash.trash_empty(user=request.user, ids=data.validated_data.get("ids"))
        return Response(status=status.HTTP_204_NO_CONTENT)
