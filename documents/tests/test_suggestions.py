"""Suggestions: a classifier's guess below the filing threshold is offered, not filed, until the person accepts it
(DOC-07, T-01)."""

import pytest
from django.test import Client

from activity.models import Event
from conftest import api_client_for, upload_document
from devtools.testing.fake_llm import FakeOpenAI
from documents.models import Document
from documents.tests.factories import DocumentFactory
from documents.tests.test_classification import finished, topics_of
from topics.classification import services as classification_services
from topics.classification.models import ClassifierModel
from topics.models import DocumentTopic, RejectedSuggestion
from topics.tests.factories import TopicFactory


def suggest(document: Document, topic, confidence: float = 0.19) -> DocumentTopic:
    return DocumentTopic.objects.create(
        document=document, topic=topic, source=DocumentTopic.Source.SUGGESTED, confidence=confidence
    )


@pytest.mark.django_db(transaction=True)
def test_guesses_below_the_threshold_are_suggested_and_a_rejection_is_remembered(alice, worker, settings):
    """DOC-07: the provider's 0.95 files the document, its 0.19 is only suggested (source "suggested" in the API),
    and a guess below the suggestion floor is dropped. A suggestion counts neither in the topic's document count
    nor under its filter; once rejected, re-classifying does not suggest it again."""
    settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS = True
    taxes = TopicFactory(owner=alice, name="Taxes")
    travel = TopicFactory(owner=alice, name="Travel")
    TopicFactory(owner=alice, name="Cooking")
    with FakeOpenAI() as llm:
        classification_services.provider_settings_save(
            user=alice, kind="openai", base_url=llm.base_url, model="m", api_key="k"
        )
        llm.script_topics([("Taxes", 0.95), ("Travel", 0.19), ("Cooking", 0.05)])
        api = api_client_for(alice)
        document = finished(upload_document(api, b"tax return and a hotel bill")["id"])
        assert topics_of(document) == {"Taxes": "llm", "Travel": "suggested"}
        shown = api.get(f"/api/documents/{document.pk}/").json()["topics"]
        assert [(t["name"], t["source"], t["confidence"]) for t in shown] == [
            ("Taxes", "llm", 0.95),
            ("Travel", "suggested", 0.19),
        ]
        counts = {t["name"]: t["document_count"] for t in api.get("/api/topics/").json()["results"]}
        assert counts == {"Cooking": 0, "Taxes": 1, "Travel": 0}
        assert api.get(f"/api/documents/?topic={travel.pk}").json()["count"] == 0
        assert api.get(f"/api/documents/?topic={taxes.pk}").json()["count"] == 1

        page = Client()
        page.force_login(alice)
        assert f'href="/documents/{document.pk}/"' not in page.get(f"/documents/?topic={travel.pk}").content.decode()
        answer = page.post(f"/documents/{document.pk}/suggestions/{travel.pk}/reject/")
        assert answer.status_code == 302 and answer["Location"] == document.get_absolute_url()
        assert topics_of(document) == {"Taxes": "llm"}
        assert RejectedSuggestion.objects.filter(document=document, topic=travel).exists()

        llm.script_topics([("Taxes", 0.95), ("Travel", 0.5)])
        assert api_client_for(alice).post(f"/api/documents/{document.pk}/classify/").status_code == 202
        assert topics_of(finished(document.pk)) == {"Taxes": "llm"}


def test_the_document_page_shows_a_suggestion_with_its_confidence_and_buttons(client, alice):
    """UI-03: a suggestion reads "Suggested: Travel 19 %" without hovering, with Accept and Reject buttons that
    post a form (no script needed); its topic is not ticked in the topic editor."""
    travel = TopicFactory(owner=alice, name="Travel")
    document = DocumentFactory(owner=alice, title="Hotel bill")
    suggest(document, travel)
    client.force_login(alice)
    page = client.get(document.get_absolute_url()).content.decode()
    assert 'Suggested: Travel <span class="confidence">19&nbsp;%</span>' in page
    accept = f'formaction="/documents/{document.pk}/suggestions/{travel.pk}/accept/"'
    reject = f'formaction="/documents/{document.pk}/suggestions/{travel.pk}/reject/"'
    assert accept in page and reject in page
    assert '<form id="suggestion-form" method="post" hidden>' in page
    assert f'value="{travel.pk}" checked' not in page
    listed = client.get("/documents/").content.decode()
    assert "Suggested: Travel" in listed and accept in listed


def test_accepting_makes_the_topic_manual_and_teaches_the_learner(client, alice):
    """T-01: an accepted suggestion becomes a manual topic, counts as filing, and is an example the built-in
    classifier learns from, as a topic chosen by hand is. The person goes back to the page they were on."""
    letters, travel = TopicFactory(owner=alice, name="Letters"), TopicFactory(owner=alice, name="Travel")
    filed = DocumentFactory(owner=alice, text="Dear madam, thank you for your letter")
    DocumentTopic.objects.create(document=filed, topic=letters, source=DocumentTopic.Source.MANUAL)
    document = DocumentFactory(owner=alice, text="Flights to Lisbon and a hotel for three nights")
    suggest(document, travel)
    client.force_login(alice)
    answer = client.post(
        f"/documents/{document.pk}/suggestions/{travel.pk}/accept/", {"next": "/documents/?q=hotel"}, follow=True
    )
    assert answer.redirect_chain == [("/documents/?q=hotel", 302)]
    assert "“Document" in answer.content.decode() and "filed under “Travel”" in answer.content.decode()
    assignment = DocumentTopic.objects.get(document=document)
    assert (assignment.source, assignment.confidence) == ("manual", None)
    assert client.get(f"/documents/?topic={travel.pk}").context["page"].paginator.count == 1
    assert classification_services.model_train(user_id=alice.pk)
    assert ClassifierModel.objects.get(user=alice).examples == 2
    event = Event.objects.get(owner=alice, action=Event.Action.TOPICS)
    assert (event.action, event.document_id, event.detail) == ("topics", document.pk, "Accepted “Travel”")


def test_the_api_keeps_suggestions_left_out_of_topic_ids_and_accepts_listed_ones(alice, uploads):
    """T-01: PATCH `topic_ids` sets the filing; a suggestion it leaves out stays a suggestion, one it lists
    becomes manual."""
    taxes, travel, news = (TopicFactory(owner=alice, name=name) for name in ("Taxes", "Travel", "News"))
    document = DocumentFactory(owner=alice)
    suggest(document, travel)
    suggest(document, news, 0.4)
    api = api_client_for(alice)
    answer = api.patch(f"/api/documents/{document.pk}/", {"topic_ids": [taxes.pk, news.pk]}, format="json")
    assert answer.status_code == 200
    assert [(t["name"], t["source"]) for t in answer.json()["topics"]] == [
        ("News", "manual"),
        ("Taxes", "manual"),
        ("Travel", "suggested"),
    ]


def test_it_checks_access_and_bad_requests_change_nothing(client, alice, bob):
    """SEC-04: another person's document answers 404 to both buttons; GET is refused; a topic that is not
    suggested is reported and left alone; an address elsewhere is never a place to go back to."""
    travel = TopicFactory(owner=alice, name="Travel")
    document = DocumentFactory(owner=alice)
    suggestion = suggest(document, travel)
    client.force_login(bob)
    for verdict in ("accept", "reject"):
        assert client.post(f"/documents/{document.pk}/suggestions/{travel.pk}/{verdict}/").status_code == 404
    client.force_login(alice)
    assert client.get(f"/documents/{document.pk}/suggestions/{travel.pk}/accept/").status_code == 405
    assert client.post(f"/documents/{document.pk}/suggestions/{10**20}/accept/").status_code == 404
    suggestion.refresh_from_db()
    assert suggestion.source == "suggested"

    manual = TopicFactory(owner=alice, name="Letters")
    DocumentTopic.objects.create(document=document, topic=manual, source=DocumentTopic.Source.MANUAL)
    answer = client.post(f"/documents/{document.pk}/suggestions/{manual.pk}/reject/", follow=True)
    assert "no such suggestion" in answer.content.decode()
    assert DocumentTopic.objects.filter(document=document, topic=manual, source="manual").exists()
    assert not RejectedSuggestion.objects.exists()

    answer = client.post(
        f"/documents/{document.pk}/suggestions/{travel.pk}/reject/", {"next": "https://elsewhere.example/"}
    )
    assert answer["Location"] == document.get_absolute_url()
    assert not DocumentTopic.objects.filter(document=document, topic=travel).exists()
