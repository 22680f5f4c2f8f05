"""Classification workflows: which provider files a person's documents, asking it, and learning from filing.

Provider resolution (D-15, DOC-05): the owner's own settings, else the server default, else the built-in
offline classifier. The built-in learner (scikit-learn) is imported only where it is used, so pages that
merely show provider settings never load it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, Max

from accounts.models import User
from kite import crypto
from kite.errors import InvalidInput
from topics.classification import MAX_TOPICS, SUGGESTION_FLOOR, THRESHOLD, providers, urlguard
from topics.classification.models import ClassifierModel, ProviderSettings
from topics.classification.providers import PermanentProviderError, ProviderError, TransientProviderError
from topics.models import DocumentTopic, Topic

__all__ = [
    "Classification",
    "PermanentProviderError",
    "ProviderError",
    "TransientProviderError",
    "classify",
    "model_train",
    "provider_check",
    "provider_resolve",
    "provider_settings_delete",
    "provider_settings_save",
    "provider_summary",
]

# What "Test connection" asks the provider to file, and the topics it offers when the person has none yet.
SAMPLE_TEXT = "Invoice 2031 for March: three hours of consulting, 450 EUR, payable by bank transfer within 30 days."
SAMPLE_TOPICS = [providers.TopicChoice("Invoices", "Bills to pay"), providers.TopicChoice("Travel", "Trips")]
CHECK_TIMEOUT_SECONDS = 20


@dataclass(frozen=True)
class ResolvedProvider:
    config: providers.ProviderConfig
    source: str  # "user" | "default" | "builtin"

    @property
    def public_only(self) -> bool:
        """A person's own base URL may reach public addresses only (DOC-08), unless the server allows more."""
        return self.source == "user" and not settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS


@dataclass(frozen=True)
class Classification:
    """The topics chosen for a text, best first, with their confidence, and who chose them; and the topics only
    suggested, below the filing threshold (THRESHOLD), which the person accepts or rejects."""

    choices: list[tuple[Topic, float]]
    source: str  # a DocumentTopic.Source
    suggestions: list[tuple[Topic, float]] = field(default_factory=list)


def _own_settings(user: User) -> ProviderSettings | None:
    return ProviderSettings.objects.filter(user=user).first()


def provider_resolve(user: User, own: ProviderSettings | None) -> ResolvedProvider:
    """The provider that files `user`'s documents, given their own settings (None when they have none)."""
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


def provider_summary(user: User, own: ProviderSettings | None) -> dict:
    """What the settings page and `/api/provider/` show: the person's settings (never the key) and what is in effect."""
    effective = provider_resolve(user, own)
    return {
        "kind": own.kind if own else None,
        "base_url": own.base_url if own else "",
        "model": own.model if own else "",
        "has_api_key": bool(own and own.has_api_key),
        "effective": {"kind": effective.config.kind, "model": effective.config.model, "source": effective.source},
    }


def provider_settings_save(
    *, user: User, kind: str, base_url: str = "", model: str = "", api_key: str | None = None
) -> ProviderSettings:
    """DOC-03, DOC-08: store a person's provider; the key is encrypted, a private base URL refused unless allowed.

    `api_key=None` keeps the stored key, `""` removes it.
    """
    if base_url:
        try:
            base_url = urlguard.check_base_url(base_url, allow_private=settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="base_url") from None
    if kind in (ProviderSettings.Kind.OPENAI, ProviderSettings.Kind.ANTHROPIC) and not model:
        raise InvalidInput("Choose the model this provider should use.", field="model")
    provider, _ = ProviderSettings.objects.get_or_create(user=user, defaults={"kind": kind})
    provider.kind = kind
    provider.base_url = base_url if kind != ProviderSettings.Kind.BUILTIN else ""
    provider.model = model if kind != ProviderSettings.Kind.BUILTIN else ""
    if kind == ProviderSettings.Kind.BUILTIN or api_key == "":
        provider.api_key_encrypted = ""
    elif api_key is not None:
        provider.api_key_encrypted = crypto.encrypt(api_key)
    provider.save()
    return provider


def provider_settings_delete(*, user: User) -> None:
    ProviderSettings.objects.filter(user=user).delete()


def _candidate_topics(user: User) -> list[Topic]:
    return list(Topic.objects.visible_to(user).order_by("pk"))


def _ask_provider(
    resolved: ResolvedProvider, text: str, topics: list[providers.TopicChoice], timeout: float
) -> list[tuple[str, float]]:
    """One call to an LLM provider; a person's own base URL is checked again now, since the host may resolve
    elsewhere than when it was saved (DOC-08)."""
    if resolved.source == "user" and resolved.config.base_url:
        try:
            urlguard.check_base_url(resolved.config.base_url, allow_private=settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS)
        except ValueError as exc:
            raise PermanentProviderError(str(exc)) from None
    return providers.classify(
        resolved.config,
        text=text,
        topics=topics,
        max_topics=MAX_TOPICS,
        timeout=timeout,
        public_only=resolved.public_only,
        # A person's own server is bounded call by call; the server's default is the operator's choice.
        whole_call=resolved.source == "user",
    )


def _builtin():
    from topics.classification import builtin

    return builtin


def classify(*, owner: User, text: str) -> Classification:
    """DOC-01, DOC-05, DOC-07: choose among `owner`'s topics and the system topics for `text`, with `owner`'s
    provider. Raises TransientProviderError (worth retrying) or PermanentProviderError (readable by the owner)."""
    topics = _candidate_topics(owner)
    if not topics:
        return Classification([], DocumentTopic.Source.BUILTIN)
    resolved = provider_resolve(owner, _own_settings(owner))
    if resolved.config.kind == ProviderSettings.Kind.BUILTIN:
        builtin = _builtin()
        model = _current_model(owner)
        infos = [builtin.TopicInfo(t.pk, t.name, t.description) for t in topics]
        ranked = builtin.rank(text, infos, model)
        by_id = {t.pk: t for t in topics}
        return Classification(
            [(by_id[pk], score) for pk, score in builtin.choose(ranked) if pk in by_id],
            DocumentTopic.Source.BUILTIN,
            [(by_id[pk], score) for pk, score in builtin.suggest(ranked) if pk in by_id],
        )
    choices = [providers.TopicChoice(t.name, t.description) for t in topics]
    answer = _ask_provider(resolved, text, choices, settings.KITE_PROVIDER_TIMEOUT)
    # A user topic and a system topic may share a name; the person's own wins.
    by_name: dict[str, Topic] = {}
    for topic in sorted(topics, key=lambda t: t.owner_id is not None):
        by_name[topic.name.lower()] = topic
    known = [(by_name[name.lower()], conf) for name, conf in answer if name.lower() in by_name]
    # One bar for every classifier: what a provider is less sure of than the built-in learner's threshold is
    # offered, not filed.
    return Classification(
        [(topic, conf) for topic, conf in known if conf >= THRESHOLD],
        DocumentTopic.Source.LLM,
        [(topic, conf) for topic, conf in known if SUGGESTION_FLOOR <= conf < THRESHOLD],
    )


def provider_check(user: User) -> tuple[bool, str]:
    """DOC-03: run the person's effective provider once on a sample text; say how it went, never the key."""
    resolved = provider_resolve(user, _own_settings(user))
    config = resolved.config
    if config.kind == ProviderSettings.Kind.BUILTIN:
        return True, "The built-in classifier works offline: there is no connection to test."
    topics = [providers.TopicChoice(t.name, t.description) for t in _candidate_topics(user)]
    try:
        answer = _ask_provider(
            resolved, SAMPLE_TEXT, topics or SAMPLE_TOPICS, min(settings.KITE_PROVIDER_TIMEOUT, CHECK_TIMEOUT_SECONDS)
        )
    except (ProviderError, ValueError) as exc:
        message = str(exc)
        if config.api_key:
            message = message.replace(config.api_key, "***")  # provider errors never carry it; stay sure
        return False, f"The test failed: {message}"
    name = dict(ProviderSettings.Kind.choices).get(config.kind, config.kind)
    model = f" ({config.model})" if config.model else ""
    filed = ", ".join(f"“{topic}”" for topic, _ in answer) or "no topic"
    return True, f"{name}{model} answered: it would file a sample invoice under {filed}."


def _manual_examples(user_id: int):
    """What the built-in classifier learns from: the person's own filing by hand, of documents with text that are
    not in the trash (a person who throws a document away no longer vouches for its filing)."""
    return DocumentTopic.objects.filter(
        document__owner_id=user_id, document__deleted_at__isnull=True, source=DocumentTopic.Source.MANUAL
    ).exclude(document__text="")


def _model_is_current(user_id: int, stored: ClassifierModel | None) -> bool:
    """Whether `stored` already knows the person's filing: as many examples as they have now, none newer than
    the model, in a format this release reads. Fewer than two topics filed by hand leave nothing to learn."""
    filing = _manual_examples(user_id).aggregate(
        examples=Count("pk"), topics=Count("topic_id", distinct=True), newest=Max("created")
    )
    if filing["topics"] < 2:
        return stored is None
    return (
        stored is not None
        and stored.examples == filing["examples"]
        and stored.trained >= filing["newest"]
        and _builtin().usable(bytes(stored.data))
    )


# Training takes seconds per hundred examples (calibration fits the model five more times), so a document is not
# held up for it when the stored model already knows this share of the person's filing by hand: the background
# retraining queued by that filing (topics.tasks) brings the model up to date.
KNOWN_SHARE_TO_SKIP_TRAINING = 0.8


def _current_model(owner: User) -> bytes | None:
    """The person's model, trained first if their filing by hand has changed much since: a document that
    arrives right after they filed others by hand is judged by what those taught, not by an older model."""
    stored = ClassifierModel.objects.filter(user=owner).first()
    if _needs_training_now(owner.pk, stored):
        model_train(user_id=owner.pk)
        stored = ClassifierModel.objects.filter(user=owner).first()
    return bytes(stored.data) if stored is not None else None


def _needs_training_now(user_id: int, stored: ClassifierModel | None) -> bool:
    if _model_is_current(user_id, stored):
        return False
    if stored is None or not _builtin().usable(bytes(stored.data)):
        return True
    examples = _manual_examples(user_id).count()
    return stored.examples < examples * KNOWN_SHARE_TO_SKIP_TRAINING


def model_train(*, user_id: int, only_if_stale: bool = False) -> bool:
    """Retrain a person's built-in classifier from their manual assignments; False if too few to learn from.

    `only_if_stale` skips the work when the stored model already knows every assignment (many quick changes
    by hand queue many retrainings; the first one that runs after the last change does them all)."""
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return False
    if only_if_stale:
        stored = ClassifierModel.objects.filter(user_id=user_id).first()
        if _model_is_current(user_id, stored):
            return stored is not None
    examples = list(_manual_examples(user_id).values_list("document__text", "topic_id"))
    builtin = _builtin()
    infos = [builtin.TopicInfo(t.pk, t.name, t.description) for t in _candidate_topics(user)]
    model = builtin.train(examples, infos)
    if model is None:
        ClassifierModel.objects.filter(user_id=user_id).delete()
        return False
    ClassifierModel.objects.update_or_create(user_id=user_id, defaults={"data": model, "examples": len(examples)})
    return True
