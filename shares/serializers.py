from rest_framework import serializers

from kite.fields import StrictCharField, StrictIntegerField
from shares.services import DEFAULT_DAYS, MAX_DAYS


class ShareCreateSerializer(serializers.Serializer):
    expires_in_days = StrictIntegerField(min_value=1, max_value=MAX_DAYS, required=False, default=DEFAULT_DAYS)
    password = StrictCharField(
        max_length=128,
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="Asked before the download; empty or absent: no password.",
    )


class ShareSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.URLField(
        allow_null=True, help_text="The link, shown once in the answer that makes it; null in the list."
    )
    expires_at = serializers.DateTimeField()
    has_password = serializers.BooleanField()
    opens = serializers.IntegerField()
    last_opened_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
