"""LIFE-03: bulk actions on many documents, from the API and the list page: all or nothing."""

from __future__ import annotations

import uuid

import dramatiq
import pytest
from django.utils import timezone

from activity.models import Event
from documents.bulk import MAX_IDS
from documents.models import Document
from documents.tasks import process_document
from documents.tests.factories import DocumentFactory
from kite.broker import messages_held
from quotas.models import Quota
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

BULK = "/api/documents/bulk/"


@pytest.fixture
def docs(alice):
    return [DocumentFactory(owner=alice, size_bytes=100) for _ in range(3)]


def ids(documents) -> list[str]:
    return [str(document.pk) for document in documents]


def assignments(documents) -> set[tuple]:
    rows = DocumentTopic.objects.filter(document__in=documents)
    return set(rows.values_list("document_id", "topic_id", "source", "confidence"))


def test_add_and_remove_topics_as_manual_filing(alice, alice_api, docs, django_capture_on_commit_callbacks):
    """LIFE-03, T-01: add_topics makes every pair a manual assignment (one the classifier had made becomes
    manual), remove_topics removes them; system topics may be used; each document's change is in the activity,
    and the built-in model is retrained after commit, as for a single edit."""
    mine, system = TopicFactory(owner=alice, name="Bills"), TopicFactory(owner=None, name="Invoices")
    DocumentTopic.objects.create(document=docs[0], topic=mine, source="builtin", confidence=0.7)
    body = {"ids": ids(docs), "action": "add_topics", "topic_ids": [mine.pk, system.pk]}
    with django_capture_on_commit_callbacks() as callbacks:
        answer = alice_api.post(BULK, body, format="json")
    assert answer.status_code == 200 and answer.json() == {"count": 3}
    assert len(callbacks) == 1  # the retraining
    expected = {(d.pk, t.pk, "manual", None) for d in docs for t in (mine, system)}
    assert assignments(docs) == expected
    assert Event.objects.filter(owner=alice, action="topics", detail="Added Bills, Invoices").count() == 3

    body = {"ids": ids(docs[:2]), "action": "remove_topics", "topic_ids": [system.pk]}
    assert alice_api.post(BULK, body, format="json").json() == {"count": 2}
    assert assignments(docs) == expected - {(d.pk, system.pk, "manual", None) for d in docs[:2]}
    body = {"ids": ids(docs), "action": "remove_topics", "topic_ids": [system.pk]}
    assert alice_api.post(BULK, body, format="json").json() == {"count": 3}
    removals = Event.objects.filter(owner=alice, action="topics", detail="Removed Invoices")
    assert sorted(removals.values_list("document_id", flat=True)) == sorted([docs[0].pk, docs[1].pk, docs[2].pk])


def test_classify_queues_each_document_after_commit(alice, alice_api, docs, django_capture_on_commit_callbacks):
    """LIFE-03, DOC-06: classify queues every document again and sends it to the broker once committed."""
    dramatiq.get_broker().flush_all()
    with django_capture_on_commit_callbacks(execute=True):
        answer = alice_api.post(BULK, {"ids": ids(docs), "action": "classify"}, format="json")
    assert answer.status_code == 200 and answer.json() == {"count": 3}
    assert set(Document.objects.filter(pk__in=[d.pk for d in docs]).values_list("state", flat=True)) == {"queued"}
    assert messages_held(process_document.queue_name) == 3
    dramatiq.get_broker().flush_all()


def test_trash_moves_them_all_and_releases_their_bytes(alice, alice_api, docs):
    """LIFE-03, LIFE-01: trash moves every document to the trash and releases their bytes in one go."""
    Quota.objects.filter(user=alice).update(used_bytes=300)
    assert alice_api.post(BULK, {"ids": ids(docs), "action": "trash"}, format="json").json() == {"count": 3}
    assert Document.objects.in_trash_of(alice).count() == 3
    assert Quota.objects.get(user=alice).used_bytes == 0
    assert Event.objects.filter(owner=alice, action="trash").count() == 3


def test_one_id_that_is_not_the_persons_changes_nothing(alice, bob, alice_api, docs):
    """LIFE-03, SEC-04: one id of bob's, one in the trash or one unknown answers 404 and nothing changes; a topic
    of bob's answers 404 too."""
    mine = TopicFactory(owner=alice)
    trashed = DocumentFactory(owner=alice, deleted_at=timezone.now())
    for odd in (DocumentFactory(owner=bob).pk, trashed.pk, uuid.uuid4()):
        for action in ("add_topics", "trash", "classify"):
            body = {"ids": [*ids(docs), str(odd)], "action": action, "topic_ids": [mine.pk]}
            assert alice_api.post(BULK, body, format="json").status_code == 404, (odd, action)
    bobs_topic = TopicFactory(owner=bob)
    body = {"ids": ids(docs), "action": "add_topics", "topic_ids": [mine.pk, bobs_topic.pk]}
    assert alice_api.post(BULK, body, format="json").status_code == 404
    assert not DocumentTopic.objects.exists()
    assert Document.objects.in_trash_of(alice).count() == 1
    assert set(Document.objects.filter(owner=alice).values_list("state", flat=True)) == {"classified"}


@pytest.mark.parametrize(
    "body",
    [
        {"ids": None, "action": "trash"},
        {"ids": "left out", "action": "trash"},
        {"action": None},
        {"ids": [], "action": "trash"},
        {"ids": ["not-a-uuid"], "action": "trash"},
        {"ids": "abc", "action": "trash"},
        {"ids": None, "action": "explode"},
        {"action": "explode", "ids": []},
        {"action": "add_topics"},
        {"action": "add_topics", "topic_ids": []},
        {"action": "add_topics", "topic_ids": ["1"]},
        {"ids": [str(uuid.uuid4()) for _ in range(MAX_IDS + 1)], "action": "trash"},
    ],
)
def test_bad_bodies_answer_400_and_change_nothing(alice, alice_api, docs, body):
    """LIFE-03, SEC-06: a missing or unknown action, no ids, ids that are not UUIDs, too many ids, or a topic
    action without topics answer 400."""
    body = {"ids": ids(docs), **body}
    if body["ids"] == "left out":
        del body["ids"]
    answer = alice_api.post(BULK, body, format="json")
    assert answer.status_code == 400, answer.content
    assert Document.objects.owned_by(alice).count() == 3 and not DocumentTopic.objects.exists()


def test_the_list_page_applies_an_action_to_ticked_rows_or_to_everything_matching(client, alice, bob):
    """LIFE-03, UI-01: the action bar works as a plain form: ticked rows get the topic; "all matching" reaches
    every document the search finds, beyond the first page, and no other; then the same list comes back."""
    topic = TopicFactory(
        owner=alice, name="Quarterly"
    )  # not a word of the search: a topic's name would find its documents
    reports = [DocumentFactory(owner=alice, title=f"report {n}") for n in range(30)]
    others = [DocumentFactory(owner=alice, title=f"letter {n}") for n in range(3)]
    DocumentFactory(owner=bob, title="report of bob")
    client.force_login(alice)
    page = client.get("/documents/?q=report").content.decode()
    assert 'id="bulk"' in page and "All 30 documents found" in page and page.count('name="ids"') == 25

    answer = client.post("/documents/bulk/", {"ids": [others[0].pk], "action": "add_topics", "topic_ids": topic.pk})
    assert answer.status_code == 302 and answer["Location"] == "/documents/"
    form = {"scope": "matching", "q": "report", "action": "add_topics", "topic_ids": topic.pk}
    answer = client.post("/documents/bulk/", form)
    assert answer.status_code == 302 and answer["Location"] == "/documents/?q=report"
    tagged = set(DocumentTopic.objects.filter(topic=topic, source="manual").values_list("document_id", flat=True))
    assert tagged == {document.pk for document in reports} | {others[0].pk}
    shown = client.get(answer["Location"]).content.decode()
    assert "Add topic: done for 30 documents." in shown

    refused = client.post("/documents/bulk/", {"action": "add_topics", "topic_ids": topic.pk}, follow=True)
    assert "Choose documents first" in refused.content.decode()
    assert client.post("/documents/bulk/", {"ids": [str(uuid.uuid4())], "action": "trash"}).status_code == 404


@pytest.mark.parametrize(
    "bad",
    [
        {"topic": "abc"},
        {"topic": ""},
        {"topic": "-1"},
        {"topic": "99999999999999999999"},
        {"topic": [str(n) for n in range(1, 23)]},
        {"state": "bogus"},
        {"date_after": "yesterday"},
    ],
)
def test_all_matching_with_a_filter_that_is_not_valid_changes_nothing(client, alice, bad):
    """SEC-06: "all matching" with a filter value the list would have dropped acts on nothing: dropping it here
    would widen the action to every document."""
    topic = TopicFactory(owner=alice, name="Quarterly")
    documents = [DocumentFactory(owner=alice, title=f"letter {n}") for n in range(3)]
    client.force_login(alice)
    form = {"scope": "matching", "action": "trash", "topic_ids": topic.pk, **bad}
    shown = client.post("/documents/bulk/", form, follow=True).content.decode()
    assert "nothing was changed" in shown
    assert Document.objects.filter(pk__in=[d.pk for d in documents], deleted_at__isnull=True).count() == 3
