"""`/api/documents/{id}/shares/` and `/api/shares/{id}/`: a person's share links (LIFE-04)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from shares import services
from shares.models import ShareLink
from shares.serializers import ShareCreateSerializer, ShareSerializer

ERROR = OpenApiResponse(description='`{"detail", "code"}`')


def share_url(request, token: str) -> str:
    """The link's absolute address, from the address this request came to."""
    return request.build_absolute_uri(reverse("shares:public", args=[token]))


def _body(link: ShareLink, url: str | None = None) -> dict:
    fields = ["id", "expires_at", "has_password", "opens", "last_opened_at", "created"]
    return {"url": url, **{field: getattr(link, field) for field in fields}}


@extend_schema(
    methods=["GET"], request=None, responses={200: ShareSerializer(many=True), 404: ERROR}, operation_id="shares_list"
)
@extend_schema(
    methods=["POST"],
    request=ShareCreateSerializer,
    responses={201: ShareSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
    operation_id="shares_create",
)
@api_view(["GET", "POST"])
def document_shares(request, pk):
    """The document's active links (never their tokens: `url` is null), or a new one with its `url`, once."""
    if request.method == "GET":
        links = services.shares_of(user=request.user, document_id=pk)
        return Response(ShareSerializer([_body(link) for link in links], many=True).data)
    data = ShareCreateSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    link, token = services.share_create(user=request.user, document_id=pk, **data.validated_data)
    return Response(ShareSerializer(_body(link, share_url(request, token))).data, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={204: None, 404: ERROR})
@api_view(["DELETE"])
def share_delete(request, pk):
    """Revoke a link: it answers 404 from now on."""
    services.share_revoke(user=request.user, share_id=pk)
    return Response(status=status.HTTP_204_NO_CONTENT)
