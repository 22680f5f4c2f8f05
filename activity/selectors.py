"""Reads of a person's activity log that the page and the API share."""

from django.db.models import QuerySet

from activity.models import Event


def events_of(owner) -> QuerySet[Event]:
    """`owner`'s events, newest first (the index activity_owner_at serves it), and nobody else's."""
    return Event.objects.filter(owner=owner).order_by("-at", "-id")
