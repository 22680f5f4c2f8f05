from rest_framework import serializers

from accounts.models import ApiToken


class TokenCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class TokenCreatedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Shown once; Kite keeps only its hash.")
    id = serializers.IntegerField()
    name = serializers.CharField()


class TokenSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiToken
        fields = ["id", "name", "created", "last_used"]
