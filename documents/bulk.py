"""Bulk actions on many of a person's documents at once (LIFE-03): all or nothing, in one transaction.

Manual topic changes behave as on one document (documents.services.document_update): the topics become
manual, survive reclassification, and retrain the person's built-in model.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models, transaction
from django.utils import timezone

from accounts.models import User
from activity.services import Action, record_many
from documents.models import Document
from documents.services import _send_quietly, enqueue_processing, topics_change
from documents.trash import documents_trash_locked
from kite.errors import InvalidInput, NotFound, UploadMissing
from topics.models import DocumentTopic, Topic
from topics.tasks import train_builtin_model

# The most documents one API call names; a page's "all matching" may reach MAX_MATCHING.
MAX_IDS = 1000
MAX_MATCHING = 10_000


class BulkAction(models.TextChoices):
    ADD_TOPICS = "add_topics", "Add topic"
    REMOVE_TOPICS = "remove_topics", "Remove topic"
    CLASSIFY = "classify", "Re-classify"
    TRASH = "trash", "Move to trash"


TOPIC_ACTIONS = {BulkAction.ADD_TOPICS, BulkAction.REMOVE_TOPICS}


def documents_bulk(*, user: User, ids: Iterable, action: str, topic_ids: Iterable[int] = ()) -> int:
    """Apply `action` to the person's documents `ids`; returns how many. Any id that is not one of their live
    documents, or any topic they may not use, answers 404 and changes nothing."""
    if action not in BulkAction.values:
        raise InvalidInput(f"action must be one of {', '.join(BulkAction.values)}.", field="action")
    wanted_topics = set(topic_ids)
    if action in TOPIC_ACTIONS and not wanted_topics:
        raise InvalidInput("Choose at least one topic.", field="topic_ids")
    wanted = set(ids)
    if not wanted:
        raise InvalidInput("Choose at least one document.", field="ids")
    with transaction.atomic():
        # Locked in a fixed order, so two bulk actions over the same documents never deadlock.
        documents = list(
            Document.objects.owned_by(user).select_for_update().filter(pk__in=wanted).order_by("pk").defer("text")
        )
        if len(documents) != len(wanted):
            raise NotFound()
        if action == BulkAction.TRASH:
            return documents_trash_locked(user=user, documents=documents)
        if action == BulkAction.CLASSIFY:
            return _reclassify(documents)
        topics = list(Topic.objects.visible_to(user).filter(pk__in=wanted_topics))
        if len(topics) != len(wanted_topics):
            raise NotFound("Topic not found.")
        if action == BulkAction.ADD_TOPICS:
            _add_topics(documents, topics)
            detail, changed = topics_change([topic.name for topic in topics], []), documents
        else:
            removed = DocumentTopic.objects.filter(document__in=documents, topic__in=topics)
            had = set(removed.values_list("document_id", flat=True))
            removed.delete()
            detail = topics_change([], [topic.name for topic in topics])
            changed = [document for document in documents if document.pk in had]
        # The activity names the documents this changed: a topic removed from a document without it is no change.
        record_many(user, Action.TOPICS, changed, detail=detail)
        # As a single edit does: if the broker is down the model is only a little older.
        transaction.on_commit(lambda: _send_quietly(train_builtin_model, user.pk))
    return len(documents)


def _add_topics(documents: list[Document], topics: list[Topic]) -> None:
    """One upsert: every pair becomes a manual assignment, whether or not a classifier had made it (T-01)."""
    DocumentTopic.objects.bulk_create(
        [
            DocumentTopic(document=document, topic=topic, source=DocumentTopic.Source.MANUAL, confidence=None)
            for document in documents
            for topic in topics
        ],
        update_conflicts=True,
        unique_fields=["document", "topic"],
        update_fields=["source", "confidence"],
    )


def _reclassify(documents: list[Document]) -> int:
    """DOC-06 for each document, as documents.services.document_reclassify does for one; sent after commit."""
    if any(document.state == Document.State.UPLOADING for document in documents):
        raise UploadMissing("One of these documents was never uploaded completely, so it cannot be classified.")
    pks = [document.pk for document in documents]
    now = timezone.now()
    Document.objects.filter(pk__in=pks).update(
        state=Document.State.QUEUED, error="", classify=True, attempts=0, enqueued_at=now, updated=now
    )
    transaction.on_commit(lambda: [enqueue_processing(pk) for pk in pks])
    return len(pks)
