"""A person's own classification provider and the offline model learnt from their filing."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ProviderSettings(models.Model):
    """A person's own classification provider (DOC-03); the API key is stored encrypted."""

    class Kind(models.TextChoices):
        OPENAI = "openai", "OpenAI-compatible API"
        ANTHROPIC = "anthropic", "Anthropic"
        BUILTIN = "builtin", "Built-in classifier (offline)"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="provider_settings"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    base_url = models.URLField(max_length=500, blank=True)
    model = models.CharField(max_length=200, blank=True)
    api_key_encrypted = models.TextField(blank=True, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "topics"
        verbose_name_plural = "provider settings"

    def __str__(self) -> str:
        return f"{self.user}: {self.kind}"

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key_encrypted)


class ClassifierModel(models.Model):
    """A person's trained built-in classifier, learnt from their manual topic assignments (never pickled)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="classifier_model"
    )
    data = models.BinaryField()
    examples = models.PositiveIntegerField()
    trained = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "topics"

    def __str__(self) -> str:
        return f"{self.user}: {self.examples} examples"
