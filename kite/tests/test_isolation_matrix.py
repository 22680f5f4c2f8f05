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
from documents.models import Document, Note
from documents.tests.factories import DocumentFactory
from topics.models import DocumentTopic
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
SECRET_WORDS = ["Zeppelin-title", "zeppelin-file.pdf", "Alice-topic", "alice-token-name", "Alice-note", "Trashed-title"]


def url_patterns(patterns=None, prefix: str = "", namespace: str | None = None):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from url_patterns(pattern.url_patterns, prefix + str(pattern.pattern), pattern.namespace or namespace)
        else:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield prefix + str(pattern.pattern), name, dict(pattern.pattern.converters)


ROUTES = [route for route in url_patterns() if not route[0].startswith("admin/")]


def object_kind(name: str, converters: dict) -> str | None:
    """Which of alice's objects fills the route's parameters, if it has any."""
    if not converters or name in PUBLIC:
        return None
    if set(converters) == {"pk", "note_id"} and "note" in name:
        return "note"  # a note of alice's, under its document
    if set(converters) == {"pk", "topic_id"} and name.startswith("documents:"):
        return "suggestion"  # a document and the topic suggested for it
    assert set(converters) == {"pk"}, f"{name}: teach the isolation matrix about {sorted(converters)}"
    converter = type(converters["pk"]).__name__
    if converter == "UUIDConverter" and ("document" in name or name.startswith("documents:")):
        return "document"
    if converter == "IntConverter" and "topic" in name:
        return "topic"
    if converter == "IntConverter" and "token" in name:
        return "token"
    raise AssertionError(f"{name}: teach the isolation matrix which object {converters} names")


def fill(route: str, value) -> str:
    """The route with its parameters filled: one value, or (document, note) for a note's route."""
    values = value if isinstance(value, tuple) else (value,)
    for each in values:
        start = route.index("<")
        route = route[:start] + str(each) + route[route.index(">") + 1 :]
    return "/" + route


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
        self.note = Note.objects.create(document=self.document, text="Alice-note")
        # In the trash: only the trash's own endpoints list it, and only to alice.
        self.trashed = DocumentFactory(owner=alice, title="Trashed-title", size_bytes=5, deleted_at=timezone.now())
        DocumentTopic.objects.create(
            document=self.document, topic=self.topic, source=DocumentTopic.Source.SUGGESTED, confidence=0.5
        )

    def ids(self) -> dict:
        return {
            "document": self.document.pk,
            "topic": self.topic.pk,
            "token": self.token.pk,
            "note": (self.document.pk, self.note.pk),
            "suggestion": (self.document.pk, self.topic.pk),
        }


MISSING = {
    "document": uuid.UUID(int=0),
    "topic": 2_000_000_000,
    "token": 2_000_000_000,
    "note": (uuid.UUID(int=0), uuid.UUID(int=0)),
    "suggestion": (uuid.UUID(int=0), 2_000_000_000),
}


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
    assert kinds["documents:accept"] == kinds["documents:reject"] == "suggestion"
    assert {"api:document-download", "documents:preview", "topics:edit", "token-revoke"} <= {
        name for name, kind in kinds.items() if kind
    }


def test_a_trashed_document_answers_as_a_missing_one_everywhere_but_the_trash(actors, uploads):
    """LIFE-01, SEC-04: every page and endpoint of a document (detail, download, text, thumbnail, classify, notes,
    PATCH, DELETE, ...) answers its owner exactly as for a document that does not exist, once it is in the trash."""
    alice = actors["owner"]
    checked = 0
    for route, name, converters in ROUTES:
        kind = object_kind(name, converters)
        if kind not in ("document", "note"):
            continue
        api = route.startswith("api/")
        for method in METHODS:
            world = World(alice)
            url = fill(route, world.ids()[kind])
            Document.objects.filter(pk=world.document.pk).update(deleted_at=timezone.now())
            answer = call(client_for(alice, api), method, url)
            missing = call(client_for(alice, api), method, fill(route, MISSING[kind]))
            where = f"owner {method.upper()} {url} ({name})"
            assert answer.status_code == missing.status_code and answer.status_code in (404, 405), where
            assert b"Zeppelin-title" not in answer.content, where
            checked += 1
    assert checked >= 60


ID_LISTS = [
    ("/api/documents/bulk/", True, {"action": "trash"}),
    ("/api/trash/restore/", True, {}),
    ("/api/trash/empty/", True, {}),
    ("/documents/bulk/", False, {"action": "trash"}),
    ("/documents/trash/restore/", False, {}),
    ("/documents/trash/empty/", False, {}),
]


def test_id_lists_naming_another_persons_documents_answer_404_and_change_nothing(actors, uploads):
    """LIFE-01, LIFE-03, SEC-04, SC4: bulk actions, restore and empty-trash naming alice's documents answer bob and
    staff 404 on the API and the pages, and change nothing; alice's own trash lists only to her."""
    alice = actors["owner"]
    world = World(alice)
    for actor in ("other", "staff"):
        for url, api, extra in ID_LISTS:
            target = world.trashed.pk if "trash/" in url else world.document.pk
            client = client_for(actors[actor], api)
            if api:
                answer = client.post(url, {"ids": [str(target)], **extra}, format="json")
            else:
                answer = client.post(url, {"ids": [str(target)], **extra})
            assert answer.status_code == 404, (actor, url)
        for url in ("/api/trash/", "/documents/trash/"):
            listed = client_for(actors[actor], url.startswith("/api/")).get(url)
            assert listed.status_code == 200 and b"Trashed-title" not in listed.content, (actor, url)
    assert Document.objects.owned_by(alice).filter(pk=world.document.pk).exists()
    assert Document.objects.in_trash_of(alice).filter(pk=world.trashed.pk).exists()
    for url in ("/api/trash/", "/documents/trash/"):
        assert b"Trashed-title" in client_for(alice, url.startswith("/api/")).get(url).content
