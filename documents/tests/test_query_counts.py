"""Lists cost a constant number of SQL queries, whatever the page size, the topics per document or their number."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from conftest import api_client_for
from documents.models import Document
from documents.tests.factories import DocumentFactory
from topics.models import DocumentTopic, Topic
from topics.tests.factories import TopicFactory

# Token lookup (with its user), count, page, assignments with their topics.
API_LIST_QUERIES = 4
# A search ranks and counts its matches in one narrow query, then reads the listed rows by primary key
# (documents.search.SearchPaginator): token, the topics whose names the words match, page ids with the count,
# their rows, topics.
API_SEARCH_QUERIES = 5
# Session, the person with their quota, the topic filter's choices, count, the page with its documents' topics.
PAGE_LIST_QUERIES = 5
# A search's narrow query counts its matches, and its rows come in a query of their own; the topics whose names
# the words match come first.
PAGE_SEARCH_QUERIES = 6


def seed(owner, documents: int, topics: int) -> list[Topic]:
    """`documents` documents, each filed under every one of `topics` topics (half of them system topics)."""
    tag = uuid.uuid4().hex[:6]
    own = [TopicFactory(owner=owner, name=f"Topic {i} {tag}") for i in range(topics - topics // 2)]
    system = [TopicFactory(owner=None, name=f"System topic {i} {tag}") for i in range(topics // 2)]
    created = Document.objects.bulk_create(
        DocumentFactory.build(
            owner=owner,
            title=f"Zeppelin report {i}",
            filename=f"report-{i}.txt",
            size_bytes=100 + i,
            text=f"The zeppelin maintenance log number {i}.",
        )
        for i in range(documents)
    )
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=topic, source=DocumentTopic.Source.BUILTIN, confidence=0.5)
        for document in created
        for topic in own + system
    )
    return own + system


@pytest.fixture
def token_client(alice) -> APIClient:
    client = api_client_for(alice)
    client.get("/api/quota/")  # the token's first use records last_used; later uses within a minute write nothing
    return client


LISTS = [
    "/api/documents/?page_size={n}",
    "/api/documents/?page_size={n}&ordering=title",
    "/api/documents/?page_size={n}&state=classified&ordering=-size_bytes",
    "/api/documents/?page_size={n}&topic={topic}",
    "/api/documents/?page_size={n}&q=zeppelin",
    "/api/documents/?page_size={n}&q=zeppelin+report&topic={topic}&ordering=created",
]


@pytest.mark.parametrize("url", LISTS)
def test_api_list_queries_do_not_grow_with_page_size(alice, token_client, django_assert_num_queries, url):
    """docs/api.md lists: the same few queries at page size 5 and 50, with four topics on every document."""
    topic = seed(alice, documents=60, topics=4)[0]
    expected = API_SEARCH_QUERIES if "q=" in url else API_LIST_QUERIES
    for page_size in (5, 50):
        with django_assert_num_queries(expected):
            answer = token_client.get(url.format(n=page_size, topic=topic.pk))
        assert answer.status_code == 200
        assert len(answer.json()["results"]) == page_size
        assert all(len(document["topics"]) == 4 for document in answer.json()["results"])


def test_api_list_queries_do_not_grow_with_the_number_of_topics(alice, token_client, django_assert_num_queries):
    """docs/api.md lists: ten topics per document cost the same queries as one."""
    seed(alice, documents=30, topics=10)
    with django_assert_num_queries(API_SEARCH_QUERIES):
        results = token_client.get("/api/documents/?page_size=30&q=zeppelin").json()["results"]
    assert {len(document["topics"]) for document in results} == {10}


def test_api_list_with_a_session_costs_one_more_query(alice, django_assert_num_queries):
    """docs/api.md: the browser's session works too; it costs its session and user lookups instead of the token's."""
    seed(alice, documents=30, topics=3)
    client = APIClient()
    client.force_login(alice)
    for page_size in (5, 25):
        with django_assert_num_queries(API_LIST_QUERIES + 1):
            assert client.get(f"/api/documents/?page_size={page_size}").status_code == 200
        with django_assert_num_queries(API_SEARCH_QUERIES + 1):
            assert client.get(f"/api/documents/?page_size={page_size}&q=report").status_code == 200


def page_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/documents/", "/documents/?q=zeppelin", "/documents/?q=report&ordering=title"])
def test_list_page_queries_do_not_grow_with_documents_or_topics(alice, client, url):
    """UI-01: the list page costs the same queries for 3 documents with 1 topic each and 40 with 6 each."""
    client.force_login(alice)
    seed(alice, documents=3, topics=1)
    few = page_queries(client, url)
    Document.objects.all().delete()
    topics = seed(alice, documents=40, topics=6)
    assert page_queries(client, url) == few == (PAGE_SEARCH_QUERIES if "q=" in url else PAGE_LIST_QUERIES)
    # Every row still shows all its topics, sorted by name, from the page query's own arrays.
    rows = client.get(url).context["rows"]
    names = sorted(topic.name for topic in topics)
    assert len(rows) == 25 and all([item.topic.name for item in listed] == names for _, listed in rows)


def grow(owner, size: int) -> None:
    """`size` topics of the owner's, each with a document filed under it, and `size` API tokens."""
    from accounts import services as account_services

    seed(owner, documents=size, topics=size)
    for i in range(size):
        account_services.token_create(user=owner, name=f"script {i} {uuid.uuid4().hex[:4]}")


@pytest.mark.parametrize("url", ["/api/topics/", "/api/auth/tokens/"])
def test_other_api_lists_cost_the_same_few_queries(alice, token_client, url):
    """The topic and token lists: the same queries, at most 5, for 2 entries and for 20."""
    grow(alice, 2)
    few = page_queries(token_client, url)
    grow(alice, 18)
    assert page_queries(token_client, url) == few <= 5


@pytest.mark.parametrize("url", ["/topics/", "/accounts/settings/"])
def test_other_pages_with_lists_cost_the_same_few_queries(alice, client, url):
    """UI-04 and the settings page (topics with their counts, API tokens): the same queries for 2 and 20."""
    client.force_login(alice)
    grow(alice, 2)
    few = page_queries(client, url)
    grow(alice, 18)
    assert page_queries(client, url) == few <= 5
