"""Topics: each person's own namespace, plus system topics (no owner) everyone sees (DOC-04)."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class TopicQuerySet(models.QuerySet):
    def visible_to(self, user) -> TopicQuerySet:
        return self.filter(Q(owner=user) | Q(owner__isnull=True))


class Topic(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="topics"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=1000)
    created = models.DateTimeField(auto_now_add=True)

    objects = TopicQuerySet.as_manager()

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                "owner", Lower("name"), condition=Q(owner__isnull=False), name="topic_name_unique_per_owner"
            ),
            models.UniqueConstraint(Lower("name"), condition=Q(owner__isnull=True), name="topic_name_unique_system"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_system(self) -> bool:
        return self.owner_id is None


class SystemTopic(Topic):
    """System topics alone, for the admin."""

    class Meta:
        proxy = True
        verbose_name = "system topic"


class DocumentTopicQuerySet(models.QuerySet):
    def filed(self) -> DocumentTopicQuerySet:
        """Assignments that file a document under a topic: everything but suggestions."""
        return self.exclude(source=DocumentTopic.Source.SUGGESTED)

    def filed_live(self, *, topic_id: int, owner) -> DocumentTopicQuerySet:
        """`owner`'s documents outside the trash filed under the topic, from the assignments alone: their count
        is read from one small index (document_topic_filed_live), however large the library."""
        return self.filed_live_of(owner).filter(topic_id=topic_id)

    def without_uploads_of(self, owner) -> DocumentTopicQuerySet:
        """Without the assignments of `owner`'s uploads still in flight (a topic set by hand before the upload
        ends), as the list page leaves those documents out; they are few, found through an index of their state."""
        # The document model through the relation, and its upload state by value: documents sits above topics.
        document_model = cast(type[models.Model], self.model._meta.get_field("document").related_model)
        uploads = document_model._base_manager.filter(owner=owner, deleted_at__isnull=True, state="uploading")
        return self.exclude(document__in=uploads.values("pk"))

    def filed_live_of(self, owner) -> DocumentTopicQuerySet:
        """`owner`'s filing of their documents outside the trash, from the assignments alone (which carry their
        document's owner and trash state): one topic's through document_topic_filed_live, every topic's through
        document_topic_owner_filed."""
        return self.filter(document_owner=owner, document_live=True, source__in=DocumentTopic.FILING_SOURCES)


class DocumentTopic(models.Model):
    class Source(models.TextChoices):
        MANUAL = "manual"
        LLM = "llm"
        BUILTIN = "builtin"
        # A classifier's guess below the filing threshold: shown for the person to accept or reject, never counted
        # as filing (topic counts, the topic filter) until they accept it.
        SUGGESTED = "suggested"

    # The sources that file a document under a topic, for filters that must leave suggestions out in one join.
    FILING_SOURCES = (Source.MANUAL, Source.LLM, Source.BUILTIN)

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="assignments")
    # Indexed with the document below: a topic's documents are read from the index alone.
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    source = models.CharField(max_length=10, choices=Source.choices)
    confidence = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    # The document's owner and whether it is outside the trash, copied here by the database whenever an assignment
    # or its document is written (triggers made by migration 0007, on PostgreSQL and SQLite alike): whatever a write
    # sends for them is replaced, so they cannot differ from the document's. They let a topic's count of one
    # person's live documents come from one index instead of joining every document filed under the topic.
    document_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,  # the document, and with it this assignment, goes with its owner
        db_constraint=False,
        db_index=False,
        null=True,  # only until the database fills it in (SQLite does so just after the row is written)
        editable=False,
        related_name="+",
    )
    document_live = models.BooleanField(default=True, editable=False)

    objects = DocumentTopicQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint("document", "topic", name="document_topic_unique")]
        indexes = [
            # A topic's assignments, whoever's: the filter by several topics, the topics' counts, deleting a topic.
            models.Index(fields=["topic", "document"], name="document_topic_by_topic"),
            # One person's live documents filed under a topic: the topic list's count reads this index only, and
            # its page probes it for each of the newest documents.
            models.Index(
                fields=["topic", "document_owner", "document"],
                name="document_topic_filed_live",
                # FILING_SOURCES, in its order: PostgreSQL uses the index for queries that name the same list.
                condition=Q(document_live=True, source__in=("manual", "llm", "builtin")),
            ),
            # One person's live documents filed under any topic: those filed under none (the list's `topic=none`)
            # are the others, whoever else has filed documents under the system topics.
            models.Index(
                fields=["document_owner", "document"],
                name="document_topic_owner_filed",
                condition=Q(document_live=True, source__in=("manual", "llm", "builtin")),
            ),
            # One person's live documents filed under a topic by hand, which the built-in classifier learns from:
            # the topic page's count of them reads this index, not every filing's row to find its source.
            models.Index(
                fields=["topic", "document_owner", "document"],
                name="document_topic_taught_live",
                condition=Q(document_live=True, source="manual"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} ({self.source})"

    @property
    def is_suggestion(self) -> bool:
        return self.source == self.Source.SUGGESTED


class RejectedSuggestion(models.Model):
    """A topic the person said a document is not about: no classifier suggests or files it there again."""

    document = models.ForeignKey("documents.Document", on_delete=models.CASCADE, related_name="rejected_suggestions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="+")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("document", "topic", name="rejected_suggestion_unique")]

    def __str__(self) -> str:
        return f"not {self.topic}"


# Registered with this app: classification is what topics are for.
from topics.classification.models import ClassifierModel, ProviderSettings  # noqa: E402

__all__ = ["ClassifierModel", "DocumentTopic", "ProviderSettings", "RejectedSuggestion", "SystemTopic", "Topic"]
