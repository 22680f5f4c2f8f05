"""`/api/topics/`: the user's own topics and the system topics (DOC-04, D-09, D-17)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.response import Response

from kite.fields import StrictBooleanField, StrictCharField
from topics import services
from topics.models import DocumentTopic, Topic

ERROR = OpenApiResponse(description='`{"detail", "code"}`')


class TopicSerializer(serializers.ModelSerializer):
    is_system = serializers.BooleanField(read_only=True)
    document_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "name", "description", "is_system", "document_count"]


class TopicCreateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    description = StrictCharField(max_length=1000, required=False, allow_blank=True, default="")
    is_system = StrictBooleanField(required=False, default=False)


class TopicUpdateSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100, required=False)
    description = StrictCharField(max_length=1000, required=False, allow_blank=True)


def topics_for(user, *, stored: bool = False):
    """Visible topics with the number of the user's own documents filed under each (never those in the trash;
    suggestions are not filing); with `stored`, uploads still in flight are left out, as the list page leaves
    them out of the documents a topic links to.

    Each count is read from the assignments alone, which carry their document's owner and trash state
    (`DocumentTopic.objects.filed_live_of`): a range of one index per topic, so a system topic's count costs what
    the person's own filings cost, however many documents everybody else has filed under it.
    """
    filed = DocumentTopic.objects.filed_live_of(user).filter(topic=OuterRef("pk"))
    if stored:
        filed = filed.without_uploads_of(user)
    return Topic.objects.visible_to(user).annotate(document_count=count_of(filed)).order_by(Lower("name"), "pk")


def count_of(assignments) -> Coalesce:
    """The number of `assignments` (a queryset correlated to the outer topic), as one scalar subquery per topic."""
    counted = assignments.order_by().values("topic").annotate(count=Count("*")).values("count")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@extend_schema_view(
    create=extend_schema(request=TopicCreateSerializer, responses={201: TopicSerializer, 400: ERROR, 403: ERROR}),
    partial_update=extend_schema(
        request=TopicUpdateSerializer, responses={200: TopicSerializer, 400: ERROR, 403: ERROR, 404: ERROR}
    ),
    destroy=extend_schema(responses={204: None, 403: ERROR, 404: ERROR}),
)
class TopicViewSet(viewsets.ModelViewSet):
    serializer_class = TopicSerializer
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return topics_for(self.request.user)

    def create(self, request):
        data = TopicCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        topic = services.topic_create(user=request.user, **data.validated_data)
        return Response(TopicSerializer(self.get_queryset().get(pk=topic.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        topic = self.get_object()
        data = TopicUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.topic_update(user=request.user, topic=topic, **data.validated_data)
        return Response(TopicSerializer(self.get_queryset().get(pk=topic.pk)).data)

    def update(self, request, *args, **kwargs):
        return self.http_method_not_allowed(request)

    def destroy(self, request, pk=None):
        services.topic_delete(user=request.user, topic=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
