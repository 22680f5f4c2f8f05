"""Topic workflows: the namespace rules of DOC-04 and the staff-only system topics of D-09."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.functions import Lower

from accounts.models import User
from kite.errors import InvalidInput, KiteError
from topics.models import Topic


class SystemTopicForbidden(KiteError):
    status = 403
    code = "permission_denied"
    default_detail = "Only staff can create or change system topics."


def _check_unique(*, owner: User | None, name: str, exclude_pk: int | None = None) -> None:
    clash = Topic.objects.annotate(lname=Lower("name")).filter(lname=name.lower())
    clash = clash.filter(owner=owner) if owner is not None else clash.filter(owner__isnull=True)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        where = "your topics" if owner is not None else "system topics"
        raise InvalidInput(f"A topic named “{name}” already exists in {where}.", field="name")


def _save(topic: Topic) -> Topic:
    try:
        with transaction.atomic():
            topic.save()
    except IntegrityError:  # a concurrent create won the race for the name
        raise InvalidInput(f"A topic named “{topic.name}” already exists.", field="name") from None
    return topic


def topic_create(*, user: User, name: str, description: str = "", is_system: bool = False) -> Topic:
    if is_system and not user.is_staff:
        raise SystemTopicForbidden()
    owner = None if is_system else user
    name = name.strip()
    _check_unique(owner=owner, name=name)
    return _save(Topic(owner=owner, name=name, description=description.strip()))


def topic_update(*, user: User, topic: Topic, name: str | None = None, description: str | None = None) -> Topic:
    if topic.is_system and not user.is_staff:
        raise SystemTopicForbidden()
    if name is not None:
        topic.name = name.strip()
        _check_unique(owner=topic.owner, name=topic.name, exclude_pk=topic.pk)
    if description is not None:
        topic.description = description.strip()
    return _save(topic)


def topic_delete(*, user: User, topic: Topic) -> None:
    if topic.is_system and not user.is_staff:
        raise SystemTopicForbidden()
    topic.delete()
