"""Classification: choose the owner's provider, read and extract the document, file it under topics.

Provider resolution (D-15, DOC-05): the document owner's own settings, else the
server default, else the built-in offline classifier.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from accounts.models import ProviderSettings, User
from documents import builtin_classifier, extraction, providers, storage, urlguard
from documents.models import ClassifierModel, Document
from kite import crypto
from kite.errors import StorageUnavailable
from topics.models import DocumentTopic, Topic

logger = logging.getLogger(__name__)

MAX_TOPICS = 3
BUILTIN_THRESHOLD = 0.15


@dataclass(frozen=True)
class ResolvedProvider:
    config: providers.ProviderConfig
    source: str  # "user" | "default" | "builtin"


UNREAD = object()


def resolve_provider(user: User, own: ProviderSettings | None | object = UNREAD) -> ResolvedProvider:
    """The provider that files `user`'s documents: their own, else the server default, else the built-in one.

    `own` is the person's ProviderSettings (or None) when the caller has already read it.
    """
    if own is UNREAD:
        own = ProviderSettings.objects.filter(user=user).first()
    if own is not None:
        api_key = crypto.decrypt(own.api_key_encrypted) if own.api_key_encrypted else ""
        return ResolvedProvider(providers.ProviderConfig(own.kind, own.base_url, own.model, api_key), "user")
    if settings.KITE_DEFAULT_PROVIDER_KIND:
        config = providers.ProviderConfig(
            settings.KITE_DEFAULT_PROVIDER_KIND,
            settings.KITE_DEFAULT_PROVIDER_BASE_URL,
            settings.KITE_DEFAULT_PROVIDER_MODEL,
            settings.KITE_DEFAULT_PROVIDER_API_KEY,
        )
        return ResolvedProvider(config, "default")
    return ResolvedProvider(providers.ProviderConfig("builtin"), "builtin")


class PermanentFailure(Exception):
    """A reason to stop trying, readable by the document's owner."""


def _candidate_topics(user: User) -> list[Topic]:
    return list(Topic.objects.visible_to(user).order_by("pk"))


def _classify(user: User, text: str, topics: list[Topic]) -> tuple[list[tuple[Topic, float]], str]:
    """Return (topic, confidence) pairs among `topics` and the assignment source."""
    resolved = resolve_provider(user)
    if resolved.config.kind == "builtin":
        model = ClassifierModel.objects.filter(user=user).values_list("data", flat=True).first()
        infos = [builtin_classifier.TopicInfo(t.pk, t.name, t.description) for t in topics]
        ranked = builtin_classifier.rank(text, infos, bytes(model) if model is not None else None)
        chosen = builtin_classifier.choose(ranked, threshold=BUILTIN_THRESHOLD, max_topics=MAX_TOPICS)
        by_id = {t.pk: t for t in topics}
        return [(by_id[pk], score) for pk, score in chosen if pk in by_id], DocumentTopic.Source.BUILTIN
    if resolved.source == "user" and resolved.config.base_url:
        # Checked again at call time: the host may resolve elsewhere now than when it was saved (DOC-08).
        try:
            urlguard.check_base_url(resolved.config.base_url, allow_private=settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS)
        except ValueError as exc:
            raise providers.PermanentProviderError(str(exc)) from None
    choices = [providers.TopicChoice(t.name, t.description) for t in topics]
    answer = providers.classify(
        resolved.config,
        text=text,
        topics=choices,
        max_topics=MAX_TOPICS,
        timeout=settings.KITE_PROVIDER_TIMEOUT,
        public_only=resolved.source == "user" and not settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS,
    )
    # A user topic and a system topic may share a name; the person's own wins.
    by_name: dict[str, Topic] = {}
    for topic in sorted(topics, key=lambda t: t.owner_id is not None):
        by_name[topic.name.lower()] = topic
    return [(by_name[name.lower()], conf) for name, conf in answer if name.lower() in by_name], DocumentTopic.Source.LLM


def _claim(document_id) -> Document | None:
    """Move a queued (or redelivered, still processing) document to processing; None if there is nothing to do."""
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(pk=document_id, state__in=[Document.State.QUEUED, Document.State.PROCESSING])
            .select_related("owner")
            .first()
        )
        if document is None:
            return None
        document.state = Document.State.PROCESSING
        document.error = ""
        document.save(update_fields=["state", "error", "updated"])
        return document


def _finish(document: Document, *, state: str, text: str | None = None, error: str = "", assignments=()) -> bool:
    """Write the outcome once: only if the document is still this run's (not deleted, not re-queued)."""
    with transaction.atomic():
        current = Document.objects.select_for_update().filter(pk=document.pk).first()
        if current is None or current.state != Document.State.PROCESSING:
            return False
        if state == Document.State.CLASSIFIED:
            manual = set(
                DocumentTopic.objects.filter(document=current, source=DocumentTopic.Source.MANUAL).values_list(
                    "topic_id", flat=True
                )
            )
            # T-01: manual assignments survive; every earlier automatic one is replaced.
            DocumentTopic.objects.filter(document=current).filter(~Q(source=DocumentTopic.Source.MANUAL)).delete()
            DocumentTopic.objects.bulk_create(
                DocumentTopic(document=current, topic=topic, source=source, confidence=round(conf, 4))
                for topic, conf, source in assignments
                if topic.pk not in manual
            )
        current.state = state
        current.error = error
        fields = ["state", "error", "updated"]
        if text is not None:
            current.text = text
            fields.append("text")
        current.save(update_fields=fields)
        return True


def document_process(*, document_id, final_attempt: bool = True) -> str | None:
    """Classify one document. Transient failures raise (the actor retries) unless this is the final attempt."""
    document = _claim(document_id)
    if document is None:
        return None
    if document.size_bytes > settings.KITE_CLASSIFY_MAX_BYTES and not document.content_type.startswith("text/"):
        # PDF and DOCX keep their index at the end: a prefix of them cannot be read.
        limit = settings.KITE_CLASSIFY_MAX_BYTES // (1024 * 1024)
        _finish(document, state=Document.State.SKIPPED, error=f"This file is too large to read (over {limit} MB).")
        return Document.State.SKIPPED
    try:
        data = storage.read(document.key, etag=document.etag, max_bytes=settings.KITE_CLASSIFY_MAX_BYTES)
        text = extraction.extract_text(
            data,
            content_type=document.content_type,
            filename=document.filename,
            max_chars=settings.KITE_CLASSIFY_MAX_CHARS,
        )
        if not text.strip():
            _finish(document, state=Document.State.SKIPPED, text="", error="No text could be read from this file.")
            return Document.State.SKIPPED
        topics = _candidate_topics(document.owner)
        chosen, source = _classify(document.owner, text, topics) if topics else ([], DocumentTopic.Source.BUILTIN)
    except extraction.ExtractionError as exc:
        _finish(document, state=Document.State.FAILED, error=str(exc))
        return Document.State.FAILED
    except providers.PermanentProviderError as exc:
        _finish(document, state=Document.State.FAILED, text=text, error=str(exc))
        return Document.State.FAILED
    except (providers.TransientProviderError, StorageUnavailable) as exc:
        if not final_attempt:
            raise
        _finish(document, state=Document.State.FAILED, error=f"{exc} Kite gave up after several attempts.")
        return Document.State.FAILED
    _finish(document, state=Document.State.CLASSIFIED, text=text, assignments=[(t, c, source) for t, c in chosen])
    return Document.State.CLASSIFIED


def builtin_model_train(*, user_id: int) -> bool:
    """Retrain a person's built-in classifier from their manual assignments; False if too few to learn from."""
    examples = list(
        DocumentTopic.objects.filter(document__owner_id=user_id, source=DocumentTopic.Source.MANUAL)
        .exclude(document__text="")
        .values_list("document__text", "topic_id")
    )
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    infos = [builtin_classifier.TopicInfo(t.pk, t.name, t.description) for t in _candidate_topics(user)]
    model = builtin_classifier.train(examples, infos)
    if model is None:
        ClassifierModel.objects.filter(user_id=user_id).delete()
        return False
    ClassifierModel.objects.update_or_create(user_id=user_id, defaults={"data": model, "examples": len(examples)})
    return True
