"""Exports (LIFE-05): one zip of everything a person keeps in Kite, built by a worker into storage and linked for a
day, never charged to the quota."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse


def export_key(user, export_id) -> str:
    """Where an export lives in storage: beside the documents (u/), under a prefix of its own that neither
    document reconciliation nor quotas look at."""
    return f"{EXPORT_PREFIX}{user.uuid}/{export_id}.zip"


EXPORT_PREFIX = "x/"


class ExportQuerySet(models.QuerySet["Export"]):
    def owned_by(self, user) -> ExportQuerySet:
        return self.filter(owner=user)

    def active(self) -> ExportQuerySet:
        return self.filter(state__in=Export.ACTIVE)


class Export(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    ACTIVE = (State.QUEUED, State.RUNNING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exports")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    key = models.CharField(max_length=200, unique=True, editable=False)
    # The multipart upload the worker is writing the zip into, while it runs: what to abort if it dies.
    upload_id = models.CharField(max_length=1024, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    documents_done = models.PositiveIntegerField(default=0)
    documents_total = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # finished_at + KITE_EXPORT_HOURS: then the scheduler deletes the object and the row.
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created"]
        constraints = [
            # One export at a time per person, held by the database whatever races the requests run.
            models.UniqueConstraint(
                fields=["owner"], condition=Q(state__in=["queued", "running"]), name="export_one_active_per_owner"
            ),
        ]
        indexes = [models.Index(fields=["expires_at"], name="export_expires")]

    def __str__(self) -> str:
        # Staff's screens never show whose export this is or what it holds.
        return f"Export {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("api:export-detail", args=[self.pk])

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE

    @property
    def download_url(self) -> str | None:
        """Kite's own address for the zip (a redirect to a short presigned GET), so the link lasts as long as the
        export, not as long as one signature."""
        if self.state != self.State.READY:
            return None
        return reverse("api:export-download", args=[self.pk])

    @property
    def percent_done(self) -> int:
        if not self.documents_total:
            return 100 if self.state == self.State.READY else 0
        return min(100, round(100 * self.documents_done / self.documents_total))

    def download_filename(self) -> str:
        return f"kite-export-{(self.finished_at or self.created):%Y-%m-%d}.zip"
