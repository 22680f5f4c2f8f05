"""factory-boy factories for people."""

from __future__ import annotations

import factory

from accounts import services
from accounts.models import User

PASSWORD = "correct horse battery"


class UserFactory(factory.django.DjangoModelFactory):
    """A person made the way Kite makes people (`accounts.services.user_create`), with PASSWORD and a quota."""

    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"person{n}")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs) -> User:
        return services.user_create(**kwargs)
