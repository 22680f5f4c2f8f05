"""`GET /api/quota/`."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from quotas.models import Quota


class QuotaSerializer(serializers.ModelSerializer):
    remaining_bytes = serializers.IntegerField(read_only=True)

    class Meta:
        model = Quota
        fields = ["used_bytes", "limit_bytes", "remaining_bytes"]


@extend_schema(responses=QuotaSerializer)
@api_view(["GET"])
def quota_detail(request):
    return Response(QuotaSerializer(Quota.objects.get(user=request.user)).data)
