from rest_framework import serializers

from accounts.models import ApiToken
from kite.fields import StrictCharField


class TokenCreateSerializer(serializers.Serializer):
    username = StrictCharField(max_length=150)
    password = StrictCharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


class TokenCreatedSerializer(serializers.Serializer):
    token = StrictCharField(help_text="Shown once; Kite keeps only its hash.")
    id = serializers.IntegerField()
    name = StrictCharField()


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "last_used"]
