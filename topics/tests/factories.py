"""factory-boy factories for topics."""

from __future__ import annotations

import factory

from accounts.tests.factories import UserFactory
from topics.models import Topic


class TopicFactory(factory.django.DjangoModelFactory):
    """A person's own topic; `owner=None` makes a system topic."""

    class Meta:
        model = Topic

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Topic {n}")
