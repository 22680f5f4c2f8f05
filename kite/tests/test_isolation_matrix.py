"""SEC-04, SC4, D-16, D-17: every URL of the project, every method, four actors.

The patterns come from the URL resolver, so a new endpoint joins the matrix by
itself; one with a parameter the matrix does not know fails it until it does.
"""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.tests.factories import UserFactory
from documents.tests.factories import DocumentFactory
from exports.models import Export, export_key
from topics.tests.factories import TopicFactory

METHODS = ["get", "post", "put", "patch", "delete"]
ACTORS = ["owner", "other", "staff", "anonymous"]
PUBLIC = {
    "home",
    "healthz",
    "favicon",
    "signup",
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "api:token-create",
    "api:schema",
    "api:docs",
}
SECRET_WORDS = ["Zeppelin-title", "zeppelin-file.pdf", "Alice-topic", "alice-token-name"]


def url_patterns(patterns=None, prefix: str = "", namespace: str | None = None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
        else:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, dict(pattern.pattern.converters)


ROUTES = [route for route in url_patterns() if not route[0].startswith("admin/")]


def object_kind(name: str, converters: dict) -> str | None:
    """Which of alice's objects fills the route's parameter, if it has one."""
    if not converters or name in PUBLIC:
        return None
    assert set(converters) == {"pk"}, f"{name}: teach the isolation matrix about {sorted(converters)}"
    converter = type(converters["pk"]).__name__
    if converter == "UUIDConverter" and ("document" in name or name.startswith("documents:")):
        return "document"
    if converter == "UUIDConverter" and "export" in name:
        return "export"
    if converter == "IntConverter" and "topic" in name:
        return "topic"
    if converter == "IntConverter" and "token" in name:
        return "token"
    raise AssertionError(f"{name}: teach the isolation matrix which object {converters} names")


def fill(route: str, value) -> str:
    start = route.index("<")
    return "/" + route[:start] + str(value) + route[route.index(">") + 1 :]


class World:
    """alice's objects, made fresh for every cell so an owner's DELETE cannot hide a later leak."""

    def __init__(self, alice):
        self.document = DocumentFactory(
            owner=alice,
            title="Zeppelin-title",
            filename="zeppelin-file.pdf",
            content_type="application/pdf",
            size_bytes=10,
            etag="x",
            thumbnail_at=timezone.now(),
        )
        self.topic = TopicFactory(owner=alice, name=f"Alice-topic-{uuid.uuid4().hex[:8]}")
        self.token, _ = account_services.token_create(user=alice, name="alice-token-name")
        export_id = uuid.uuid4()
        now = timezone.now()
        self.export = Export.objects.create(
            id=export_id, owner=alice, key=export_key(alice, export_id), state="ready", finished_at=now, expires_at=now
        )

    def ids(self) -> dict:
        return {"document": self.document.pk, "topic": self.topic.pk, "token": self.token.pk, "export": self.export.pk}


MISSING = {"document": uuid.UUID(int=0), "topic": 2_000_000_000, "token": 2_000_000_000, "export": uuid.UUID(int=0)}


@pytest.fixture
def actors(db):
    people = {
        "owner": UserFactory(username="alice"),
        "other": UserFactory(username="bob"),
        "staff": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    return people


def client_for(user, api: bool):
    if user is None:
        return APIClient() if api else Client()
    if api:
        client = APIClient()
        _, key = account_services.token_create(user=user, name="matrix")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client
    client = Client()
    client.force_login(user)
    return client


def call(client, method: str, url: str):
    if isinstance(client, APIClient):
        return getattr(client, method)(url, {}, format="json")
    return getattr(client, method)(url)


def test_isolation_matrix(actors, uploads):
    """SEC-04, SC4, D-16, D-17: owner allowed; another user and staff get exactly what a missing object gets
    (404, or 405 where the method does not exist), with nothing of alice's in the body; anonymous gets 401 on
    the API and a redirect to log-in on pages."""
    alice = actors["owner"]
    cells = 0
    for route, name, converters in ROUTES:
        kind = object_kind(name, converters)
        api = route.startswith("api/")
        for method in METHODS:
            world = World(alice)
            url = fill(route, world.ids()[kind]) if kind else "/" + route
            if "<" in url:  # a public route with parameters (password reset link): anonymous only
                url = fill(route, "MQ") if url.count("<") == 1 else "/accounts/reset/MQ/set-password/"
            for actor in ["anonymous", "other", "staff", "owner"]:
                cells += 1
                user = actors.get(actor)
                answer = call(client_for(user, api), method, url)
                where = f"{actor} {method.upper()} {url} ({name})"
                assert answer.status_code < 500, where
                if actor == "anonymous" and name not in PUBLIC:
                    if api:
                        assert answer.status_code == 401, where
                    else:
                        assert answer.status_code == 302 and "/login/" in answer["Location"], where
                elif actor in ("other", "staff") and kind:
                    missing = call(client_for(user, api), method, fill(route, MISSING[kind]))
                    assert answer.status_code in (404, 405), where
                    assert answer.status_code == missing.status_code, where
                elif actor == "owner" and kind:
                    assert answer.status_code not in (401, 403, 404), where
                if actor != "owner":
                    body = answer.content.decode(errors="replace")
                    assert not any(word in body for word in SECRET_WORDS), where
    print(f"isolation matrix: {len(ROUTES)} URL patterns x {len(METHODS)} methods x {len(ACTORS)} actors = {cells}")
    assert cells == len(ROUTES) * len(METHODS) * len(ACTORS)


def test_matrix_covers_every_object_route():
    """The matrix knows every parameterised route; routes with objects are all checked as objects."""
    kinds = {name: object_kind(name, conv) for _, name, conv in ROUTES}
    assert kinds["api:document-detail"] == "document" and kinds["documents:detail"] == "document"
    assert kinds["api:topic-detail"] == "topic" and kinds["api:token-delete"] == "token"
    assert kinds["api:export-detail"] == kinds["api:export-download"] == "export"
    assert {"api:document-download", "documents:preview", "topics:edit", "token-revoke"} <= {
        name for name, kind in kinds.items() if kind
    }
