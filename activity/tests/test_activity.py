"""LIFE-06: each person's activity log, written where things happen and read through the API and the page."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.tests.factories import PASSWORD
from activity.models import Event
from activity.services import Action, events_purge_old, record
from conftest import upload_document
from documents import processing, storage
from documents.management.commands.run_periodic import JOBS
from documents.models import Document
from kite.tests.conftest import SAMPLES, make_topics, teach


def events(client) -> list[dict]:
    answer = client.get("/api/activity/")
    assert answer.status_code == 200
    return answer.json()["results"]


def test_uploads_and_confirms_are_recorded_with_their_document(alice_api, unique_bytes):
    """LIFE-06: an upload URL issued and a confirm each add an event naming the document, newest first."""
    document = upload_document(alice_api, unique_bytes(300), filename="lease.txt")
    upload, confirm = events(alice_api)[1], events(alice_api)[0]
    assert (confirm["action"], upload["action"]) == ("confirm", "upload")
    assert upload["document"] == {"id": document["id"], "title": "lease"} == confirm["document"]
    assert upload["detail"] == "lease.txt, 300 bytes" and upload["at"] <= confirm["at"]


def test_filing_says_which_classifier_and_model_filed_under_which_topics(alice, alice_api):
    """LIFE-06: the worker's filing is recorded with the classifier, its model and the topic names."""
    topics = make_topics(alice)
    teach(alice, topics)
    content_type, data = SAMPLES["lisbon.txt"]
    document = upload_document(alice_api, data, filename="lisbon.txt", content_type=content_type)
    assert processing.document_process(document_id=document["id"]) == Document.State.CLASSIFIED
    filed = events(alice_api)[0]
    assert filed["action"] == "filed" and filed["document"]["id"] == document["id"]
    assert filed["detail"] == "Filed under Travel by the built-in learner, with the model learnt from your filing"


def test_a_document_that_cannot_be_read_is_recorded(alice_api, unique_bytes):
    """LIFE-06: a document that ends failed is recorded with the reason."""
    document = upload_document(alice_api, unique_bytes(300))
    storage.delete(Document.objects.get(pk=document["id"]).key)
    assert processing.document_process(document_id=document["id"]) == Document.State.FAILED
    failed = events(alice_api)[0]
    assert failed["action"] == "read_failed" and failed["detail"] == processing.OBJECT_MISSING


def test_a_document_given_up_is_recorded(alice, alice_api, unique_bytes):
    """LIFE-06: a document whose reading ran out of time ends failed in the log too."""
    document = upload_document(alice_api, unique_bytes(300))
    Document.objects.filter(pk=document["id"]).update(state=Document.State.PROCESSING)
    assert processing.document_give_up(document_id=document["id"], error="Too slow.")
    assert events(alice_api)[0]["action"] == "read_failed" and events(alice_api)[0]["detail"] == "Too slow."


def test_tokens_and_sign_ins_are_recorded(alice):
    """LIFE-06: a token obtained with the password is a sign-in and a token made; revoking it is recorded; the
    log-in page's sign-in and a failed one are recorded with how and from where."""
    answer = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD, "name": "laptop"}, format="json"
    )
    assert answer.status_code == 201
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    assert client.delete(f"/api/auth/tokens/{answer.json()['id']}/").status_code == 204
    page = Client()
    assert page.post("/accounts/login/", {"username": "alice", "password": "wrong"}).status_code == 200
    assert page.post("/accounts/login/", {"username": "alice", "password": PASSWORD}).status_code == 302
    api = APIClient()
    api.force_authenticate(alice)
    logged = [(event["action"], event["detail"]) for event in events(api)]
    assert logged == [
        ("sign_in", "Log-in page from 127.0.0.1"),
        ("sign_in_failed", "Log-in page from 127.0.0.1"),
        ("token_revoked", "“laptop”"),
        ("token_created", "“laptop”"),
        ("sign_in", "API token request from 127.0.0.1"),
    ]


def test_a_failed_sign_in_for_an_unknown_username_leaves_no_trace(alice):
    """LIFE-06: a username nobody has gets no event, anywhere."""
    before = Event.objects.count()
    assert Client().post("/accounts/login/", {"username": "nobody", "password": "x"}).status_code == 200
    answer = APIClient().post("/api/auth/token/", {"username": "nobody", "password": "x"}, format="json")
    assert answer.status_code == 400
    assert Event.objects.count() == before


def test_another_persons_events_never_appear(alice_api, bob_api, bob, unique_bytes):
    """LIFE-06, SEC-04: bob's log, in the API and on the page, holds nothing of alice's."""
    upload_document(alice_api, unique_bytes(300), filename="alice-secret-lease.txt")
    assert all(event["document"] is None for event in events(bob_api))
    assert "alice-secret-lease" not in bob_api.get("/api/activity/").content.decode()
    page = Client()
    page.force_login(bob)
    assert "alice-secret-lease" not in page.get("/activity/").content.decode()


def test_the_page_lists_events_with_times_and_pages(alice):
    """LIFE-06: the activity page shows the person's events newest first in <time> elements, fifty a page."""
    for n in range(55):
        record(alice, Action.TRASH, detail=f"event number {n}")
    client = Client()
    client.force_login(alice)
    first = client.get("/activity/").content.decode()
    assert first.index("event number 54") < first.index("event number 10")
    assert len(re.findall(r'<time datetime="[^"]+">', first)) == 50 and "Page 1 of 2" in first
    second = client.get("/activity/?page=2").content.decode()
    assert "event number 0" in second and "event number 54" not in second
    assert Client().get("/activity/").status_code == 302


def test_old_events_are_purged_by_the_scheduler(alice, settings):
    """LIFE-06: events older than KITE_ACTIVITY_DAYS go, newer ones stay; the scheduler runs the purge."""
    settings.KITE_ACTIVITY_DAYS = 30
    old = record(alice, Action.SIGN_IN, detail="long ago")
    Event.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    kept = record(alice, Action.SIGN_IN, detail="lately")
    Event.objects.filter(pk=kept.pk).update(at=timezone.now() - timedelta(days=29))
    assert events_purge_old() == 1
    assert list(Event.objects.filter(owner=alice).values_list("detail", flat=True)) == ["lately"]
    assert events_purge_old in [job for _, _, job in JOBS]


def test_deleting_the_account_deletes_its_events(alice, bob):
    """LIFE-06, ACC-05: a person's log goes with them, and nobody else's does."""
    record(alice, Action.SIGN_IN)
    record(bob, Action.SIGN_IN)
    User.objects.get(pk=alice.pk).delete()
    assert not Event.objects.filter(owner_id=alice.pk).exists() and Event.objects.filter(owner=bob).exists()


def test_filing_by_a_provider_names_whose_provider_and_model(alice, alice_api, settings):
    """LIFE-06: a document filed by the person's own provider, or the server's default one, says so with the
    provider's kind and model."""
    from devtools.testing.fake_llm import FakeOpenAI
    from topics.classification import services as classification_services
    from topics.tests.factories import TopicFactory

    settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS = True  # the fake provider listens on loopback
    TopicFactory(owner=alice, name="Taxes")
    with FakeOpenAI() as server:
        server.script_topics([("Taxes", 0.9)])
        server.script_topics([("Taxes", 0.95)])
        settings.KITE_DEFAULT_PROVIDER_KIND = "openai"
        settings.KITE_DEFAULT_PROVIDER_BASE_URL = server.base_url
        settings.KITE_DEFAULT_PROVIDER_MODEL = "server-model"
        first = upload_document(alice_api, b"My taxes for 2025 are attached.", filename="t.txt")
        assert processing.document_process(document_id=first["id"]) == Document.State.CLASSIFIED
        by_default = events(alice_api)[0]["detail"]
        classification_services.provider_settings_save(
            user=alice, kind="openai", base_url=server.base_url, model="alice-model", api_key="alice-key"
        )
        second = upload_document(alice_api, b"Tax return, second copy.", filename="u.txt")
        assert processing.document_process(document_id=second["id"]) == Document.State.CLASSIFIED
        by_own = events(alice_api)[0]["detail"]
    assert by_default == "Filed under Taxes by the server's default provider (openai, model server-model)"
    assert by_own == "Filed under Taxes by your own provider (openai, model alice-model)"


def test_the_api_list_costs_the_same_queries_however_many_events(alice, django_assert_num_queries):
    """LIFE-06: the API page is a count and one query for its events, whether there are 2 or 40."""
    api = APIClient()
    api.force_authenticate(alice)
    for n in range(2):
        record(alice, Action.SIGN_IN, detail=f"n{n}")
    with django_assert_num_queries(2):
        assert len(events(api)) == 2
    for n in range(38):
        record(alice, Action.SIGN_IN, detail=f"m{n}")
    with django_assert_num_queries(2):
        assert len(events(api)) == 25
