"""Writing to a person's activity log, and forgetting what is older than KITE_ACTIVITY_DAYS.

Callers pass the person (or their id) and, for a document, the document itself. An event is written in the
caller's transaction: what is logged happened, and what rolled back is not logged.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from activity.models import Event

Action = Event.Action

BATCH = 5000


def _owner_id(owner: Any) -> int:
    return owner if isinstance(owner, int) else owner.pk


def record(owner: Any, action: str, *, document: Any = None, detail: str = "") -> Event:
    """Append one event to the log of `owner` (a person or their id), in one INSERT; `document` is anything with
    `id` and `title` (or None)."""
    return Event.objects.create(
        owner_id=_owner_id(owner),
        action=action,
        document_id=getattr(document, "id", None),
        document_title=(getattr(document, "title", "") or "")[:255],
        detail=detail[:500],
    )


def record_many(owner: Any, action: str, documents: list[Any], *, detail: str = "") -> None:
    """One event per document in a single INSERT (bulk actions)."""
    Event.objects.bulk_create(
        Event(
            owner_id=_owner_id(owner),
            action=action,
            document_id=document.id,
            document_title=(document.title or "")[:255],
            detail=detail[:500],
        )
        for document in documents
    )


def events_purge_old() -> int:
    """LIFE-06: delete events older than KITE_ACTIVITY_DAYS, a bounded batch per run (the scheduler's job)."""
    cutoff = timezone.now() - timedelta(days=settings.KITE_ACTIVITY_DAYS)
    old = Event.objects.filter(at__lt=cutoff).values_list("pk", flat=True)[:BATCH]
    deleted, _ = Event.objects.filter(pk__in=list(old)).delete()
    return deleted
