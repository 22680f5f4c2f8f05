"""`/api/provider/`: the requesting user's classification provider (DOC-03, D-12, D-15)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from accounts import services
from accounts.models import ProviderSettings
from documents.classification import UNREAD, resolve_provider
from kite.fields import StrictCharField


class EffectiveProviderSerializer(serializers.Serializer):
    kind = StrictCharField()
    model = StrictCharField(allow_blank=True)
    source = serializers.ChoiceField(choices=["user", "default", "builtin"])


class ProviderSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProviderSettings.Kind.choices, allow_null=True)
    base_url = StrictCharField(allow_blank=True)
    model = StrictCharField(allow_blank=True)
    has_api_key = serializers.BooleanField()
    effective = EffectiveProviderSerializer()


class ProviderInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProviderSettings.Kind.choices)
    base_url = StrictCharField(max_length=500, required=False, allow_blank=True, default="")
    model = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    api_key = StrictCharField(
        max_length=500,
        required=False,
        allow_blank=True,
        write_only=True,
        trim_whitespace=True,
        help_text="Write-only. Omit to keep the stored key; an empty string removes it.",
    )


def provider_view(user, own: ProviderSettings | None | object = UNREAD) -> dict:
    if own is UNREAD:
        own = ProviderSettings.objects.filter(user=user).first()
    effective = resolve_provider(user, own)
    return {
        "kind": own.kind if own else None,
        "base_url": own.base_url if own else "",
        "model": own.model if own else "",
        "has_api_key": bool(own and own.has_api_key),
        "effective": {"kind": effective.config.kind, "model": effective.config.model, "source": effective.source},
    }


@extend_schema(methods=["GET"], responses=ProviderSerializer)
@extend_schema(
    methods=["PUT"],
    request=ProviderInputSerializer,
    responses={200: ProviderSerializer, 400: OpenApiResponse(description='`{"detail", "code"}`')},
)
@extend_schema(methods=["DELETE"], responses={204: None})
@api_view(["GET", "PUT", "DELETE"])
def provider_detail(request):
    if request.method == "PUT":
        data = ProviderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.provider_settings_save(
            user=request.user,
            kind=data.validated_data["kind"],
            base_url=data.validated_data["base_url"],
            model=data.validated_data["model"],
            api_key=data.validated_data.get("api_key"),
        )
    elif request.method == "DELETE":
        services.provider_settings_delete(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
    return Response(ProviderSerializer(provider_view(request.user)).data)
