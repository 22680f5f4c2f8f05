"""Searches and lists when one person owns (nearly) every document: best matches first, exact counts, and plans
that read the owner-keyed search index however common the word is. Speed itself is measured by `make bench`."""

from __future__ import annotations

import json
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents.models import Document
from documents.tests.factories import DocumentFactory
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

# Words past the first 120 characters are matched but not ranked (documents.search.index.RANKED_TEXT_CHARS).
FAR_DOWN = "filler " * 100


def aged(document: Document, days: int) -> Document:
    Document.objects.filter(pk=document.pk).update(created=timezone.now() - timedelta(days=days))
    return document


def pages(client, q: str, size: int, **params) -> tuple[int, list[dict]]:
    results, count, number = [], None, 1
    while True:
        body = client.get("/api/documents/", {"q": q, "page_size": size, "page": number, **params}).json()
        count = body["count"] if count is None else count
        assert body["count"] == count
        results += body["results"]
        if body["next"] is None:
            return count, results
        number += 1


def test_a_common_word_lists_the_best_matches_first_and_counts_every_match(alice_api, alice, bob):
    """UI-01: when most of a person's documents match, the title matches still come first (even the oldest),
    then the rest newest first, every match exactly once over the pages; the trash and other people stay out."""
    best = [aged(DocumentFactory(owner=alice, title=f"Invoice {i}", text="paid"), 400 + i) for i in range(3)]
    rest = [aged(DocumentFactory(owner=alice, title=f"Letter {i}", text=FAR_DOWN + "invoice"), i) for i in range(22)]
    DocumentFactory(owner=alice, title="Invoice trashed", text="invoice", deleted_at=timezone.now())
    DocumentFactory(owner=bob, title="Invoice of bob", text="invoice")
    DocumentFactory(owner=alice, title="Unrelated", text="receipt")
    count, results = pages(alice_api, "invoice", 10)
    assert count == 25 and len(results) == 25
    assert {r["title"] for r in results[:3]} == {d.title for d in best}
    assert [r["title"] for r in results[3:]] == [d.title for d in rest]  # newest first: rest[0] is the youngest
    assert all(r["snippet"] is not None for r in results)


def test_a_search_sorted_by_any_ordering_pages_as_the_list_does(alice_api, alice, bob):
    """A search every document matches, sorted by each of the list's orderings, gives the list's order page by
    page (equal values, undated documents last either way, ties broken by id), and counts every match, leaving
    out the trash and other people's documents."""
    for i in range(23):
        aged(
            DocumentFactory(
                owner=alice,
                title=f"Receipt {i % 5}",
                text=f"receipt number {i}",
                size_bytes=1000 * (i % 4),
                date=None if i % 3 == 0 else timezone.now().date() - timedelta(days=i % 7),
            ),
            days=i % 6,
        )
    DocumentFactory(owner=alice, title="Trashed receipt", text="receipt", deleted_at=timezone.now())
    DocumentFactory(owner=bob, title="Receipt of Bob", text="receipt")
    for ordering in ("-created", "created", "title", "-title", "-size_bytes", "size_bytes", "-date", "date"):
        listed = [
            r["id"]
            for r in alice_api.get("/api/documents/", {"ordering": ordering, "page_size": 100}).json()["results"]
        ]
        count, found = pages(alice_api, "receipt", 5, ordering=ordering)
        assert count == 23 and [r["id"] for r in found] == listed, ordering


def test_a_search_page_reads_only_the_listed_rows_with_their_topics(alice_api, alice):
    """The ranked ids come first, then exactly the listed rows: their topics and snippets belong to them."""
    topic = TopicFactory(owner=alice, name="Bills")
    for i in range(30):
        document = DocumentFactory(
            owner=alice, title=f"Invoice {i:02d}", text=f"invoice reference ref{i:02d}x for the garden shed"
        )
        if i % 2:
            DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.MANUAL)
    body = alice_api.get("/api/documents/", {"q": "invoice", "topic": topic.pk, "page_size": 5}).json()
    assert body["count"] == 15 and len(body["results"]) == 5
    for result in body["results"]:
        number = int(result["title"].split()[1])
        assert number % 2 == 1 and [t["name"] for t in result["topics"]] == ["Bills"]
        assert f"ref{number:02d}x" in result["snippet"]


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def _ranked_plan(client, params: dict, count: int) -> list[dict]:
    """The plan of the query that ranks and counts a search's matches, as the API sends it."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/api/documents/", params).json()["count"] == count
    ranked = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith("WITH matches"))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + ranked)
        plan = cursor.fetchone()[0]
    return list(_plan_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))


def assert_reads_the_search_index(nodes: list[dict]) -> None:
    assert any(node.get("Index Name") == "document_search" for node in nodes), nodes
    assert not any(
        node["Node Type"] in ("Seq Scan", "Index Scan", "Index Only Scan")
        and node.get("Relation Name") == "documents_document"
        for node in nodes
    ), nodes


def test_a_common_word_is_found_through_the_owner_index_when_one_person_owns_everything(alice_api, alice, bob):
    """A word in every one of a person's documents, who owns nearly all rows, after ANALYZE: the page query
    still reads the owner-keyed search index and never the whole table (migration 0014 leaves the word
    statistics out, so the plan does not turn on how common a word is)."""
    Document.objects.bulk_create(
        DocumentFactory.build(owner=alice, title=f"Invoice {i}", text=f"invoice {i} " + FAR_DOWN) for i in range(300)
    )
    DocumentFactory(owner=bob, title="Other", text="invoice")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE documents_document")
    assert_reads_the_search_index(_ranked_plan(alice_api, {"q": "invoice"}, 300))


def test_a_word_naming_a_topic_adds_the_topics_documents_in_the_same_index_pass(alice_api, alice, bob):
    """A word that names a topic finds the topic's documents too (documents.search.matching): they are looked up
    by primary key and combined with the search index's matches in one bitmap, so the table is still read only
    where there are matches, not scanned whole or joined row by row."""
    Document.objects.bulk_create(
        DocumentFactory.build(owner=alice, title=f"Letter {i}", text=f"letter {i} " + FAR_DOWN) for i in range(300)
    )
    topic = TopicFactory(owner=None, name="Invoices")
    letters = list(Document.objects.filter(owner=alice).order_by("title")[:40])
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=topic, source=DocumentTopic.Source.MANUAL) for document in letters
    )
    DocumentFactory(owner=alice, title="Invoice 1", text="invoice")
    DocumentTopic.objects.create(document=DocumentFactory(owner=bob, text="x"), topic=topic, source="manual")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    nodes = _ranked_plan(alice_api, {"q": "invoices"}, 41)
    assert_reads_the_search_index(nodes)
    assert any(node["Node Type"] == "BitmapOr" for node in nodes), nodes
    # Beside a word every document has, the topic's documents are a set of ids: no document's row is asked
    # whether its words match (which unpacks its whole vector), whatever PostgreSQL guesses the sizes to be.
    nodes = _ranked_plan(alice_api, {"q": "invoices letter"}, 40)
    assert_reads_the_search_index(nodes)
    assert not any("@@" in node.get("Filter", "") for node in nodes), nodes
    # An excluded word beside the topic alone is the index's matches for it, left out: not a test of each row.
    DocumentFactory(owner=alice, title="Zebra", text="zebra")
    nodes = _ranked_plan(alice_api, {"q": "invoices -letter"}, 1)
    assert_reads_the_search_index(nodes)
    assert not any("@@" in node.get("Filter", "") for node in nodes), nodes


def test_a_search_sorted_by_a_column_never_walks_that_columns_index(alice_api, alice):
    """Sorted by date, title or size, a word found nowhere among thousands of documents is looked up in the
    search index, not by walking the column's index and testing every row (seconds at 100,000 documents)."""
    Document.objects.bulk_create(
        DocumentFactory.build(owner=alice, title=f"Letter {i}", text=f"letter {i}") for i in range(6000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE documents_document")
    for ordering in ("-created", "title", "-size_bytes"):
        assert_reads_the_search_index(_ranked_plan(alice_api, {"q": "nowhere", "ordering": ordering}, 0))


def test_a_topic_lists_its_live_documents_newest_first_with_their_count(alice_api, alice):
    """UI-01: a topic filter counts and lists the person's documents under it outside the trash, newest first."""
    topic = TopicFactory(owner=alice, name="Insurance")
    filed = [aged(DocumentFactory(owner=alice, title=f"Policy {i}"), i) for i in range(4)]
    filed.append(DocumentFactory(owner=alice, title="Trashed policy", deleted_at=timezone.now()))
    DocumentFactory(owner=alice, title="Not filed")
    for document in filed:
        DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.MANUAL)
    body = alice_api.get("/api/documents/", {"topic": topic.pk}).json()
    assert body["count"] == 4
    assert [r["title"] for r in body["results"]] == ["Policy 0", "Policy 1", "Policy 2", "Policy 3"]
