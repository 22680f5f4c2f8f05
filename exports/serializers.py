"""What the export endpoints answer."""

from rest_framework import serializers

from exports.models import Export


class ExportCreatedSerializer(serializers.ModelSerializer):
    class Meta:
        model = Export
        fields = ["id", "state"]


class ExportSerializer(serializers.ModelSerializer):
    download_url = serializers.CharField(allow_null=True, read_only=True)

    class Meta:
        model = Export
        fields = [
            "id",
            "state",
            "size_bytes",
            "download_url",
            "documents_done",
            "documents_total",
            "error",
            "created",
            "finished_at",
            "expires_at",
        ]
