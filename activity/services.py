"""Writing to a person's activity log. Callers pass the person and, for a document, the document itself."""

from __future__ import annotations

from typing import Any

from activity.models import Event

Action = Event.Action


def record(owner: Any, action: str, *, document: Any = None, detail: str = "") -> Event:
    """Append one event to `owner`'s log; `document` is anything with `id` and `title` (or None)."""
    return Event.objects.create(
        owner=owner,
        action=action,
        document_id=getattr(document, "id", None),
        document_title=(getattr(document, "title", "") or "")[:255],
        detail=detail[:500],
    )


def record_many(owner: Any, action: str, documents: list[Any], *, detail: str = "") -> None:
    """One event per document in a single INSERT (bulk actions)."""
    Event.objects.bulk_create(
        Event(
            owner=owner,
            action=action,
            document_id=document.id,
            document_title=(document.title or "")[:255],
            detail=detail[:500],
        )
        for document in documents
    )
