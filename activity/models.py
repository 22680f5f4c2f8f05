"""Each person's own history: append-only, kept for KITE_ACTIVITY_DAYS, seen by its person alone.

This app sits below accounts, topics and documents, which record into it: it imports none of them. A
document is remembered by its id and its title at the time, so the log outlives the document's purge.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Event(models.Model):
    class Action(models.TextChoices):
        UPLOAD = "upload", "Upload started"
        CONFIRM = "confirm", "Uploaded"
        FILED = "filed", "Filed"
        READ_FAILED = "read_failed", "Could not be read"
        TOPICS = "topics", "Topics changed"
        RETITLED = "retitled", "Renamed"
        NOTE_ADDED = "note_added", "Note added"
        NOTE_DELETED = "note_deleted", "Note deleted"
        TRASH = "trash", "Moved to the trash"
        RESTORE = "restore", "Restored"
        PURGE = "purge", "Deleted for good"
        SHARE_CREATED = "share_created", "Share link created"
        SHARE_OPENED = "share_opened", "Share link opened"
        SHARE_REVOKED = "share_revoked", "Share link revoked"
        EXPORT_REQUESTED = "export_requested", "Export requested"
        EXPORT_READY = "export_ready", "Export ready"
        EXPORT_FAILED = "export_failed", "Export failed"
        TOKEN_CREATED = "token_created", "API token created"
        TOKEN_REVOKED = "token_revoked", "API token revoked"
        SIGN_IN = "sign_in", "Signed in"
        SIGN_IN_FAILED = "sign_in_failed", "Failed sign-in"

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    action = models.CharField(max_length=24, choices=Action.choices)
    # The document concerned, if any: its id and its title when this happened (no foreign key on purpose).
    document_id = models.UUIDField(null=True, blank=True)
    document_title = models.CharField(max_length=255, blank=True)
    detail = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["owner", "-at", "-id"], name="activity_owner_at")]

    def __str__(self) -> str:
        # Staff's screens must never show what a person did: the id is all a string of this row says.
        return f"Event {self.pk}"
