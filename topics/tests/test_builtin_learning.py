"""The built-in classifier learns from a person's own manual topics, retrained in the background (D-15, T-01)."""

import pytest

from bench.accuracy import splits
from conftest import api_client_for, upload_document, wait_for
from documents.models import Document
from topics.classification import builtin
from topics.classification.models import ClassifierModel
from topics.tests.factories import TopicFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Topic names that say nothing about their documents: only learning can tell them apart.
CORPUS = {
    "Blue folder": ["invoice payment due amount vat receipt", "receipt vat invoice paid amount total"],
    "Red folder": ["hiking trail mountain summit boots", "summit boots trail backpack mountain"],
}
DONE = ["classified", "skipped", "failed"]


def finished(document_id):
    return wait_for(lambda: Document.objects.filter(pk=document_id, state__in=DONE).first(), timeout=30)


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


@pytest.mark.slow
def test_real_documents_filed_by_hand_teach_the_next_uploads(alice, worker):
    """D-15, T-01: a person uploads real dialogs (chatterbot-corpus, 6 subjects), files 20 of each subject by
    hand through the API, and at once uploads 5 new ones of each: the worker files them with what the 120 taught
    (training first if the background retraining has not yet run), right far more often than not, and says so."""
    split = splits("dialogs", 20, 1)[0]
    topics = {label: TopicFactory(owner=alice, name=f"Subject {index}") for index, label in enumerate(split.labels)}
    client = api_client_for(alice)
    examples = [
        (upload_document(client, text.encode(), filename=f"example{index}.txt")["id"], label)
        for index, (text, label) in enumerate(split.train)
    ]
    for document_id, label in examples:
        finished(document_id)
        answer = client.patch(f"/api/documents/{document_id}/", {"topic_ids": [topics[label].pk]}, format="json")
        assert answer.status_code == 200, answer.content
        assert [(t["name"], t["source"]) for t in answer.json()["topics"]] == [(topics[label].name, "manual")]

    asked, seen = [], dict.fromkeys(split.labels, 0)
    for index, (text, label) in enumerate(split.test):
        if seen[label] < 5:
            seen[label] += 1
            asked.append((upload_document(client, text.encode(), filename=f"new{index}.txt")["id"], label))
    right = wrong = 0
    for document_id, label in asked:
        finished(document_id)
        answer = client.get(f"/api/documents/{document_id}/").json()
        assert answer["state"] == "classified"
        for topic in answer["topics"]:
            if topic["source"] == "suggested":  # offered, not filed: neither right nor wrong
                assert topic["confidence"] < builtin.THRESHOLD
                continue
            assert topic["source"] == "builtin"
            assert builtin.THRESHOLD <= topic["confidence"] <= 1
            if topic["name"] == topics[label].name:
                right += 1
            else:
                wrong += 1
    assert ClassifierModel.objects.get(user=alice).examples == 120
    # Offline, a model trained on these 120 files 23 of the 30, all of them rightly.
    assert right >= 20, (right, wrong)
    assert wrong <= 2, (right, wrong)


def test_a_few_new_examples_do_not_hold_a_document_up_for_training_but_many_do(alice):
    """D-15: training takes seconds per hundred examples, so a classification trains first only when the stored
    model knows less than KNOWN_SHARE_TO_SKIP_TRAINING of the person's filing; a little newer filing is left to
    the background retraining it queued."""
    from documents.tests.factories import DocumentFactory
    from topics.classification import services
    from topics.models import DocumentTopic

    split = splits("bbc", 20, 1)[0]
    topics = {label: TopicFactory(owner=alice, name=f"Subject {index}") for index, label in enumerate(split.labels)}

    def file(examples):
        for text, label in examples:
            document = DocumentFactory(owner=alice, text=text)
            DocumentTopic.objects.create(document=document, topic=topics[label], source=DocumentTopic.Source.MANUAL)

    file(split.train[:50])
    services.classify(owner=alice, text=split.test[0][0])
    trained = ClassifierModel.objects.get(user=alice)
    assert trained.examples == 50
    file(split.train[50:55])  # 55: the model knows 91 %
    services.classify(owner=alice, text=split.test[0][0])
    assert ClassifierModel.objects.get(user=alice).trained == trained.trained
    file(split.train[55:70])  # 70: it knows 71 %
    services.classify(owner=alice, text=split.test[0][0])
    assert ClassifierModel.objects.get(user=alice).examples == 70
