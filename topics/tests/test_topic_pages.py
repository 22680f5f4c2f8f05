"""Topic pages: deleting a topic asks first and says what it touches (D-17)."""

from documents.models import Document
from documents.tests.factories import DocumentFactory
from topics.models import DocumentTopic, Topic
from topics.tests.factories import TopicFactory


def filed_document(owner, topic: Topic) -> Document:
    document = DocumentFactory(owner=owner, title="Letter")
    DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.MANUAL)
    return document


def test_deleting_a_topic_asks_first_and_keeps_the_documents(client, alice):
    """D-17: the edit page links to a confirmation that counts the documents filed under the topic; only the
    POST deletes, and the documents stay."""
    topic = TopicFactory(owner=alice, name="Letters")
    documents = [filed_document(alice, topic) for _ in range(2)]
    client.force_login(alice)
    assert f'href="/topics/{topic.pk}/delete/"' in client.get(f"/topics/{topic.pk}/").content.decode()
    asking = client.get(f"/topics/{topic.pk}/delete/")
    assert asking.status_code == 200
    assert "Delete the topic “Letters”?" in asking.content.decode()
    assert "2 documents</strong> are filed under it" in asking.content.decode()
    assert 'aria-current="page">Topics</a>' in asking.content.decode()  # the menu shows where you are
    assert Topic.objects.filter(pk=topic.pk).exists()
    answer = client.post(f"/topics/{topic.pk}/delete/")
    assert answer.status_code == 302 and answer["Location"] == "/topics/"
    assert not Topic.objects.filter(pk=topic.pk).exists()
    assert Document.objects.filter(pk__in=[d.pk for d in documents]).count() == 2
    assert not DocumentTopic.objects.filter(document__in=documents).exists()


def test_a_topic_with_no_documents_says_so(client, alice):
    topic = TopicFactory(owner=alice, name="Empty")
    client.force_login(alice)
    assert "No document is filed under it." in client.get(f"/topics/{topic.pk}/delete/").content.decode()


def test_nobody_else_reaches_the_confirmation(client, alice, bob):
    """SEC-04: another person's topic and a system topic answer 404, and nothing is deleted."""
    own = TopicFactory(owner=alice, name="Private")
    system = TopicFactory(owner=None, name="Invoices shared")
    client.force_login(bob)
    for topic in (own, system):
        assert client.get(f"/topics/{topic.pk}/delete/").status_code == 404
        assert client.post(f"/topics/{topic.pk}/delete/").status_code == 404
    assert Topic.objects.filter(pk__in=[own.pk, system.pk]).count() == 2


def test_the_topics_page_says_how_many_documents_each_topic_has_learnt_from(client, alice, bob):
    """D-15, T-01: beside its documents, each topic shows how many the person filed under it by hand with text in
    them: what the built-in classifier learns from. Documents it filed itself and another person's do not count."""
    topic = TopicFactory(owner=alice, name="Letters")
    for text in ("Dear sir", "Dear madam", ""):
        document = DocumentFactory(owner=alice, text=text)
        DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.MANUAL)
    guessed = DocumentFactory(owner=alice, text="Dear all")
    DocumentTopic.objects.create(document=guessed, topic=topic, source=DocumentTopic.Source.BUILTIN, confidence=0.9)
    shared = TopicFactory(owner=None, name="Shared")
    theirs = DocumentFactory(owner=bob, text="Hello")
    DocumentTopic.objects.create(document=theirs, topic=shared, source=DocumentTopic.Source.MANUAL)
    client.force_login(alice)
    page = client.get("/topics/").content.decode()
    row = page[page.index(f'data-topic-id="{topic.pk}"') :]
    assert '<td class="num" data-document-count>4</td>' in row[: row.index("</tr>")]
    assert '<td class="num" data-learnt-from>2</td>' in row[: row.index("</tr>")]
    row = page[page.index(f'data-topic-id="{shared.pk}"') :]
    assert '<td class="num" data-learnt-from>0</td>' in row[: row.index("</tr>")]
    assert "Learnt from" in page
