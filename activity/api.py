"""`GET /api/activity/`: the person's own history, newest first (LIFE-06)."""

from __future__ import annotations

from rest_framework import generics, serializers

from activity.models import Event
from activity.selectors import events_of
from kite.api import Pagination


class EventDocumentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):
    document = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = ["at", "action", "document", "detail"]

    def get_document(self, event: Event) -> dict | None:
        """The document concerned as it was named then; it may since have been deleted."""
        if event.document_id is None:
            return None
        return EventDocumentSerializer({"id": event.document_id, "title": event.document_title}).data


class ActivityList(generics.ListAPIView):
    serializer_class = EventSerializer
    pagination_class = Pagination

    def get_queryset(self):
        return events_of(self.request.user)
