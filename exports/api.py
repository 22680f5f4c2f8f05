"""`/api/exports/`: ask for an export of everything (LIFE-05), follow it, and download it while it lasts."""

from __future__ import annotations

from django.http import HttpResponseRedirect
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from documents import storage
from exports import services
from exports.models import Export
from exports.serializers import ExportCreatedSerializer, ExportSerializer

ERROR = OpenApiResponse(description='`{"detail", "code"}`')


class ExportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ExportSerializer
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return Export.objects.owned_by(self.request.user)

    @extend_schema(request=None, responses={202: ExportCreatedSerializer, 503: ERROR})
    def create(self, request):
        """Start an export; while one is queued or running, the answer is that one (one at a time)."""
        export = services.export_request(user=request.user)
        return Response(ExportCreatedSerializer(export).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={302: OpenApiResponse(description="Redirect to a presigned GET of the zip"), 404: ERROR},
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """A fresh short signature on every visit, so Kite's link works for as long as the export lasts."""
        export = self.get_object()
        if export.state != Export.State.READY:
            raise NotFound("This export is not ready.")
        return HttpResponseRedirect(
            storage.presigned_get(key=export.key, filename=export.download_filename(), content_type="application/zip")
        )
