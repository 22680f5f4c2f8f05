from rest_framework import serializers

from accounts.models import ApiToken
from accounts.services import TOKEN_MAX_DAYS
from kite.fields import StrictCharField, StrictIntegerField


class TokenCreateSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")
    expires_in_days = StrictIntegerField(
        min_value=1,
        max_value=TOKEN_MAX_DAYS,
        required=False,
        allow_null=True,
        default=None,
        help_text="Days until the token stops working; without it, until revoked or the password changes.",
    )


class TokenCreatedSerializer(serializers.Serializer):
    token = StrictCharField(help_text="Shown once; Kite keeps only its hash.")
    id = serializers.IntegerField()
    name = StrictCharField()
    expires = serializers.DateTimeField(allow_null=True)


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "last_used", "expires"]
