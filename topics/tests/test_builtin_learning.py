"""The built-in classifier learns from a person's own manual topics, retrained in the background (D-15, T-01)."""

import pytest

from conftest import api_client_for, upload_document, wait_for
from documents.models import Document
from topics.classification.models import ClassifierModel
from topics.tests.factories import TopicFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Topic names that say nothing about their documents: only learning can tell them apart.
CORPUS = {
    "Blue folder": ["invoice payment due amount vat receipt", "receipt vat invoice paid amount total"],
    "Red folder": ["hiking trail mountain summit boots", "summit boots trail backpack mountain"],
}


def finished(document_id):
    return wait_for(
        lambda: Document.objects.filter(pk=document_id, state__in=["classified", "skipped", "failed"]).first(),
        timeout=30,
    )


def test_builtin_classifier_learns_from_manual_topics(alice, worker):
    """D-15, T-01: after a person files a few documents by hand, the offline model is retrained and files a
    new document under the topic it learnt, though the topic's name says nothing about it."""
    client = api_client_for(alice)
    topics = {name: TopicFactory(owner=alice, name=name) for name in CORPUS}
    for name, texts in CORPUS.items():
        for index, text in enumerate(texts * 3):
            document = finished(
                upload_document(client, f"{text} {index}".encode(), filename=f"{name}{index}.txt")["id"]
            )
            client.patch(f"/api/documents/{document.pk}/", {"topic_ids": [topics[name].pk]}, format="json")
    model = wait_for(lambda: ClassifierModel.objects.filter(user=alice, examples=12).first(), timeout=30)
    assert model.examples == 12

    hiking = finished(upload_document(client, b"new boots for the mountain trail", filename="new.txt")["id"])
    assert [(a.topic.name, a.source) for a in hiking.assignments.select_related("topic")] == [("Red folder", "builtin")]
