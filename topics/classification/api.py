"""`/api/provider/`: the requesting user's classification provider (DOC-03, D-12, D-15)."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response

from kite.fields import StrictCharField
from topics.classification import services
from topics.classification.models import ProviderSettings


class EffectiveProviderSerializer(serializers.Serializer):
    kind = StrictCharField()
    model = StrictCharField(allow_blank=True)
    # Named as the API names it, though a serializer field has a `source` attribute of its own.
    source = serializers.ChoiceField(choices=["user", "default", "builtin"])  # type: ignore[assignment]


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
    own = ProviderSettings.objects.filter(user=request.user).first()
    return Response(ProviderSerializer(services.provider_summary(request.user, own)).data)
