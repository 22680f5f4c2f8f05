"""A topic's list counts one person's live documents filed under it from the assignments alone: each carries its
document's owner and trash state, copied by the database (topics migration 0007) whatever writes the assignment
or the document. These tests take every write path and check the copy and the counts against the documents."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from documents import bulk, processing, services, trash
from documents.models import Document
from documents.tests.factories import DocumentFactory
from topics import services as topic_services
from topics.models import DocumentTopic
from topics.tests.factories import TopicFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]
FILING = DocumentTopic.FILING_SOURCES


def assert_copies_exact() -> None:
    """Every assignment says what its document says."""
    rows = DocumentTopic.objects.values_list(
        "document_owner_id", "document_live", "document__owner_id", "document__deleted_at"
    )
    assert rows, "no assignments to check"
    for owner, live, document_owner, deleted_at in rows:
        assert (owner, live) == (document_owner, deleted_at is None)


def counts(user, topic, api, page) -> dict[str, int]:
    """The API's and the list page's counts for the topic, and what joining the documents counts for each."""
    listed = Document.objects.owned_by(user).filter(assignments__topic=topic, assignments__source__in=FILING)
    answer = page.get("/documents/", {"topic": topic.pk})
    assert answer.status_code == 200
    return {
        "api": api.get("/api/documents/", {"topic": topic.pk}).json()["count"],
        "joined": listed.count(),
        "page": answer.context["page"].paginator.count,
        "joined, stored": listed.stored().count(),
        **topic_list_counts(topic, api, page),
    }


def topic_list_counts(topic, api, page) -> dict[str, int]:
    """The topic's count in the topic list, from the API and from the topics page (0 where it is not listed)."""
    listed = {item["id"]: item["document_count"] for item in api.get("/api/topics/").json()["results"]}
    html = page.get("/topics/").content.decode()
    start = html.find(f'data-topic-id="{topic.pk}"')
    row = html[start : html.index("</tr>", start)] if start >= 0 else ""
    shown = re.search(r"<td class=\"num\" data-document-count>(\d+)</td>", row)
    return {"topics api": listed.get(topic.pk, 0), "topics page": int(shown.group(1)) if shown else 0}


def assert_counted(user, topic, api, page, expected: int, stored: int | None = None) -> None:
    assert_copies_exact()
    stored = expected if stored is None else stored
    assert counts(user, topic, api, page) == {
        "api": expected,
        "joined": expected,
        "page": stored,
        "joined, stored": stored,
        "topics api": expected,
        "topics page": stored,
    }


def test_every_write_path_keeps_a_topics_count_exact(alice, bob, alice_api, client):
    """Filing by hand, in bulk, by a classifier; suggestions and their acceptance; trash, restore, purge; an upload
    filed by hand (the API lists it, the page does not); a topic and a document deleted."""
    client.force_login(alice)
    topic, other = TopicFactory(owner=alice, name="Insurance"), TopicFactory(owner=alice, name="Car")
    docs = [DocumentFactory(owner=alice, title=f"Policy {i}") for i in range(5)]
    DocumentTopic.objects.create(document=docs[0], topic=topic, source=DocumentTopic.Source.MANUAL)
    DocumentTopic.objects.bulk_create(
        [
            DocumentTopic(document=docs[1], topic=topic, source=DocumentTopic.Source.BUILTIN, confidence=0.9),
            DocumentTopic(document=docs[1], topic=other, source=DocumentTopic.Source.BUILTIN, confidence=0.9),
            DocumentTopic(document=docs[2], topic=topic, source=DocumentTopic.Source.SUGGESTED, confidence=0.2),
        ]
    )
    assert_counted(alice, topic, alice_api, client, 2)

    services.document_update(user=alice, document=docs[2], topic_ids=[topic.pk])  # the suggestion accepted
    assert_counted(alice, topic, alice_api, client, 3)
    bulk.documents_bulk(user=alice, ids=[docs[3].pk], action=bulk.BulkAction.ADD_TOPICS, topic_ids=[topic.pk])
    assert_counted(alice, topic, alice_api, client, 4)
    bulk.documents_bulk(user=alice, ids=[docs[3].pk], action=bulk.BulkAction.REMOVE_TOPICS, topic_ids=[topic.pk])
    assert_counted(alice, topic, alice_api, client, 3)
    services.document_update(user=alice, document=docs[2], topic_ids=[])
    assert_counted(alice, topic, alice_api, client, 2)

    # A classifier files a document it has just read.
    Document.objects.filter(pk=docs[4].pk).update(state=Document.State.PROCESSING)
    docs[4].refresh_from_db()
    filed = processing._finish(
        docs[4], state=Document.State.CLASSIFIED, assignments=[(topic, 0.95, DocumentTopic.Source.BUILTIN)]
    )
    assert filed
    assert_counted(alice, topic, alice_api, client, 3)

    trash.document_trash(user=alice, document_id=docs[0].pk)
    assert_counted(alice, topic, alice_api, client, 2)
    bulk.documents_bulk(user=alice, ids=[docs[1].pk], action=bulk.BulkAction.TRASH)
    assert_counted(alice, topic, alice_api, client, 1)
    assert DocumentTopic.objects.filter(document=docs[1], topic=other, document_live=False).exists()
    trash.trash_restore(user=alice, ids=[docs[0].pk])
    assert_counted(alice, topic, alice_api, client, 2)
    trash.trash_empty(user=alice)  # purges docs[1] with its assignments
    assert not DocumentTopic.objects.filter(document=docs[1]).exists()
    assert_counted(alice, topic, alice_api, client, 2)

    upload = DocumentFactory(owner=alice, title="Policy uploading", state=Document.State.UPLOADING)
    bulk.documents_bulk(user=alice, ids=[upload.pk], action=bulk.BulkAction.ADD_TOPICS, topic_ids=[topic.pk])
    assert_counted(alice, topic, alice_api, client, 3, stored=2)
    # Another filter beside the topic counts the list's own query, still exactly.
    with_state = alice_api.get("/api/documents/", {"topic": topic.pk, "state": "uploading"}).json()
    assert with_state["count"] == 1 and [r["title"] for r in with_state["results"]] == ["Policy uploading"]

    DocumentTopic.objects.create(document=docs[4], topic=other, source=DocumentTopic.Source.MANUAL)
    topic_services.topic_delete(user=alice, topic=other)
    assert not DocumentTopic.objects.filter(topic_id=other.pk).exists()
    upload.delete()
    assert_counted(alice, topic, alice_api, client, 2)


def test_a_system_topic_counts_only_each_persons_live_documents(alice, bob, alice_api, bob_api, client):
    """A system topic holds everyone's documents: each person's count (API and page) is of their own, live ones."""
    invoices = TopicFactory(owner=None, name="Invoices")
    for owner, number in ((alice, 2), (bob, 3)):
        for i in range(number):
            document = DocumentFactory(owner=owner, title=f"Invoice {owner.username} {i}")
            DocumentTopic.objects.create(document=document, topic=invoices, source=DocumentTopic.Source.LLM)
    trash.document_trash(user=bob, document_id=Document.objects.filter(owner=bob).first().pk)
    client.force_login(alice)
    assert_counted(alice, invoices, alice_api, client, 2)
    client.force_login(bob)
    assert_counted(bob, invoices, bob_api, client, 2)
    titles = {r["title"] for r in alice_api.get("/api/documents/", {"topic": invoices.pk}).json()["results"]}
    assert titles == {"Invoice alice 0", "Invoice alice 1"}


def test_the_copy_is_the_documents_whatever_a_write_says(alice, bob):
    """What a write sends for the copied columns is replaced by the document's, on insert and update, through the
    ORM or plain SQL; a document trashed, restored or given to someone else by a plain UPDATE passes it on."""
    topic = TopicFactory(owner=None, name="Receipts")
    document = DocumentFactory(owner=alice)
    assignment = DocumentTopic.objects.create(
        document=document, topic=topic, source=DocumentTopic.Source.MANUAL, document_owner=bob, document_live=False
    )

    def copy() -> tuple[int, bool]:
        return DocumentTopic.objects.values_list("document_owner_id", "document_live").get(pk=assignment.pk)

    assert copy() == (alice.pk, True)
    DocumentTopic.objects.filter(pk=assignment.pk).update(document_owner=bob, document_live=False)
    assert copy() == (alice.pk, True)
    assignment.confidence = 0.5
    assignment.save()  # every column, the stale copy included
    Document.objects.filter(pk=document.pk).update(deleted_at=timezone.now())
    assert copy() == (alice.pk, False)
    assignment.save()  # sends live=True as this instance last knew it
    assert copy() == (alice.pk, False)
    Document.objects.filter(pk=document.pk).update(deleted_at=None)
    assert copy() == (alice.pk, True)
    Document.objects.filter(pk=document.pk).update(owner=bob)
    assert copy() == (bob.pk, True)
    second = DocumentFactory(owner=alice, deleted_at=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO topics_documenttopic (document_id, topic_id, source, created, document_live)"
            " VALUES (%s, %s, 'manual', now(), true) RETURNING document_owner_id, document_live",
            [second.pk, topic.pk],
        )
        assert cursor.fetchone() == (alice.pk, False)


def in_thread(work) -> tuple[threading.Thread, list]:
    """`work()` in a thread of its own (so on a connection of its own); what it raised ends up in the list."""
    raised: list = []

    def run() -> None:
        try:
            work()
        except Exception as error:  # reported by the test
            raised.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, raised


@pytest.mark.django_db(transaction=True)
def test_an_assignment_written_while_its_document_is_trashed_is_copied_as_it_commits(alice):
    """An assignment written while another transaction trashes its document waits for it, and is copied as the
    document is once that commits: not live, though the trash's own update could not see the new assignment."""
    topic = TopicFactory(owner=alice, name="Insurance")
    document = DocumentFactory(owner=alice)
    updated = threading.Event()

    def trash_slowly() -> None:
        with transaction.atomic():
            Document.objects.filter(pk=document.pk).update(deleted_at=timezone.now())
            updated.set()
            time.sleep(1)

    thread, raised = in_thread(trash_slowly)
    assert updated.wait(10)
    assignment = DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.MANUAL)
    thread.join(10)
    assert not raised
    assert DocumentTopic.objects.values_list("document_live", flat=True).get(pk=assignment.pk) is False
    assert_copies_exact()


@pytest.mark.parametrize("change", ["topics set", "suggestion rejected"])
@pytest.mark.django_db(transaction=True)
def test_a_topic_change_and_a_trash_of_the_same_document_at_once_do_not_deadlock(alice, change):
    """A topic change locks the document before its assignments, as every writer of them does: a trash started
    meanwhile waits for it, instead of locking the document and then waiting on the changed assignments while the
    change's next write waits on the document (a deadlock)."""
    topic, other = TopicFactory(owner=alice, name="Insurance"), TopicFactory(owner=alice, name="Car")
    document = DocumentFactory(owner=alice)
    if change == "topics set":
        DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.BUILTIN)
    else:
        DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.SUGGESTED)
    with transaction.atomic():
        if change == "topics set":
            services.document_update(user=alice, document=document, topic_ids=[topic.pk])  # builtin becomes manual
        else:
            services.suggestion_reject(user=alice, document=document, topic_id=topic.pk)
        thread, raised = in_thread(lambda: trash.document_trash(user=alice, document_id=document.pk))
        time.sleep(1)
        DocumentTopic.objects.create(document=document, topic=other, source=DocumentTopic.Source.MANUAL)
    thread.join(10)
    assert not raised
    left = {(topic.pk, False), (other.pk, False)} if change == "topics set" else {(other.pk, False)}
    assert set(DocumentTopic.objects.values_list("topic_id", "document_live")) == left
    assert_copies_exact()


def _plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from _plan_nodes(child)


def count_plan(client, path: str, params: dict) -> tuple[str, list[dict]]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path, params).status_code == 200
    sql = next(q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    return sql, list(_plan_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))


@pytest.mark.django_db(transaction=True)  # VACUUM, as autovacuum would have done, runs outside a transaction
def test_a_topics_count_reads_its_index_and_no_document(alice, bob, alice_api, client):
    """When one person owns nearly every document: the API's count of a topic reads the index of filed, live
    assignments (document_topic_filed_live) and no document; the page's reads documents only to find
    uploads, through an index of their state. The plan is checked, not its speed (that is `make bench`)."""
    topic, letters = TopicFactory(owner=alice, name="Insurance"), TopicFactory(owner=alice, name="Letters")
    documents = Document.objects.bulk_create(
        DocumentFactory.build(owner=alice, title=f"Letter {i}") for i in range(3000)
    )
    Document.objects.bulk_create(DocumentFactory.build(owner=bob, title=f"Other {i}") for i in range(30))
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=letters, source=DocumentTopic.Source.BUILTIN) for document in documents
    )
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=topic, source=DocumentTopic.Source.BUILTIN)
        for document in documents[::3]
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE documents_document")
        cursor.execute("VACUUM ANALYZE topics_documenttopic")

    sql, nodes = count_plan(alice_api, "/api/documents/", {"topic": topic.pk})
    assert "documents_document" not in sql
    assert {node["Relation Name"] for node in nodes if "Relation Name" in node} == {"topics_documenttopic"}
    assert {node["Index Name"] for node in nodes if "Index Name" in node} == {"document_topic_filed_live"}

    client.force_login(alice)
    sql, nodes = count_plan(client, "/documents/", {"topic": topic.pk})
    assert not any(node["Node Type"] == "Seq Scan" for node in nodes), nodes
    indexes = {node["Index Name"] for node in nodes if "Index Name" in node}
    assert "document_topic_filed_live" in indexes, nodes
    assert indexes - {"document_topic_filed_live"} <= {"document_live_state", "document_state_created"}, nodes
    assert alice_api.get("/api/documents/", {"topic": topic.pk}).json()["count"] == 1000


SQLITE_SCRIPT = textwrap.dedent(
    """
    import json
    import django
    django.setup()
    from django.core.management import call_command
    call_command("migrate", verbosity=0)
    from django.http import QueryDict
    from django.test import RequestFactory
    from django.utils import timezone
    from accounts.tests.factories import UserFactory
    from documents import selectors
    from documents.models import Document
    from documents.tests.factories import DocumentFactory
    from topics.models import DocumentTopic, Topic

    owner, other = UserFactory(username="solo"), UserFactory(username="other")
    topic = Topic.objects.create(owner=None, name="Invoices")
    mine = [DocumentFactory(owner=owner) for _ in range(3)]
    DocumentTopic.objects.create(document=mine[0], topic=topic, source="manual", document_owner=other)
    DocumentTopic.objects.bulk_create(DocumentTopic(document=d, topic=topic, source="builtin") for d in mine[1:])
    DocumentTopic.objects.create(document=DocumentFactory(owner=other), topic=topic, source="manual")
    request = RequestFactory().get("/")
    request.user = owner

    def state():
        listed = selectors.document_filter(
            QueryDict(f"topic={topic.pk}"), Document.objects.owned_by(owner), request, lenient=False
        ).qs
        copies = sorted(DocumentTopic.objects.values_list("document_owner__username", "document_live"))
        return [listed.count(), len(list(listed)), copies]

    out = [state()]
    Document.objects.filter(pk=mine[0].pk).update(deleted_at=timezone.now())
    out.append(state())
    DocumentTopic.objects.filter(document=mine[0]).update(document_live=True, document_owner=other)
    out.append(state())
    Document.objects.filter(pk=mine[0].pk).update(deleted_at=None)
    out.append(state())
    print(json.dumps(out))
    """
)


def test_the_copy_is_kept_on_sqlite(tmp_path):
    """`make run` (SQLite): the triggers exist after migrating and keep the copy, so the count is exact there too."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "kite.settings",
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'kite.sqlite3'}",
        "KITE_VAR_DIR": str(tmp_path),
    }
    run = subprocess.run(
        [sys.executable, "-c", SQLITE_SCRIPT], env=env, cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    live = [["other", True], ["solo", True], ["solo", True], ["solo", True]]
    one_trashed = [["other", True], ["solo", False], ["solo", True], ["solo", True]]
    assert json.loads(run.stdout.strip().splitlines()[-1]) == [
        [3, 3, live],
        [2, 2, one_trashed],
        [2, 2, one_trashed],
        [3, 3, live],
    ]


def topic_list_plan(client, path: str) -> list[dict]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    sql = next(q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "topics_topic"."id"'))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    return list(_plan_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))


@pytest.mark.django_db(transaction=True)  # VACUUM, as autovacuum would have done, runs outside a transaction
def test_the_topic_list_counts_from_the_filing_indexes_alone(alice, bob, alice_api, client):
    """The topic list (API and page) counts each topic's documents from the index of filed, live assignments, and
    what the page says the classifier learns from from the index of those filed by hand: a system topic that
    holds everybody's documents costs what the person's own filings cost. Only the few documents filed by hand
    are read, to see whether they have text. The plan is checked, not its speed (that is `make bench`)."""
    shared, own = TopicFactory(owner=None, name="Letters"), TopicFactory(owner=alice, name="Insurance")
    mine = Document.objects.bulk_create(
        DocumentFactory.build(owner=alice, title=f"Letter {i}", text=f"Dear reader {i}") for i in range(300)
    )
    theirs = Document.objects.bulk_create(DocumentFactory.build(owner=bob, title=f"Other {i}") for i in range(3000))
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=shared, source=DocumentTopic.Source.BUILTIN)
        for document in [*mine[10:], *theirs]
    )
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=shared, source=DocumentTopic.Source.MANUAL) for document in mine[:10]
    )
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=own, source=DocumentTopic.Source.SUGGESTED) for document in mine[::2]
    )
    Document.objects.filter(pk__in=[document.pk for document in mine[:3]]).update(text="")
    Document.objects.filter(pk=mine[-1].pk).update(deleted_at=timezone.now())  # in the trash
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE documents_document")
        cursor.execute("VACUUM ANALYZE topics_documenttopic")

    nodes = topic_list_plan(alice_api, "/api/topics/")
    assert {node["Relation Name"] for node in nodes if "Relation Name" in node} == {
        "topics_topic",
        "topics_documenttopic",
    }, nodes
    scans = [node for node in nodes if node.get("Relation Name") == "topics_documenttopic"]
    assert [(node["Node Type"], node["Index Name"]) for node in scans] == [
        ("Index Only Scan", "document_topic_filed_live")
    ], nodes
    assert {item["name"]: item["document_count"] for item in alice_api.get("/api/topics/").json()["results"]} == {
        "Letters": 299,
        "Insurance": 0,
    }

    client.force_login(alice)
    nodes = topic_list_plan(client, "/topics/")
    scans = {node["Index Name"] for node in nodes if node.get("Relation Name") == "topics_documenttopic"}
    assert scans == {"document_topic_filed_live", "document_topic_taught_live"}, nodes
    assert not any(node["Node Type"] == "Seq Scan" for node in nodes if node.get("Relation Name") != "topics_topic")
    page = client.get("/topics/").content.decode()
    row = page[page.index(f'data-topic-id="{shared.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="num" data-document-count>299</td>' in row
    assert '<td class="num" data-learnt-from>7</td>' in row


@pytest.mark.django_db(transaction=True)  # VACUUM, as autovacuum would have done, runs outside a transaction
def test_several_topics_and_no_topic_are_counted_from_the_persons_filing(alice, bob, alice_api, client):
    """A list filtered by several topics, by `none` or by both counts what it lists, from the assignments alone:
    a document under two of the topics once, a suggestion as no filing, nothing in the trash, an upload filed by
    hand in the API's count and not the page's, nobody else's filing under a system topic. The counts read the
    person's filing through its indexes and never test each document (checked in the plans)."""
    bills, letters = TopicFactory(owner=alice, name="Bills"), TopicFactory(owner=None, name="Letters")
    manual, suggested = DocumentTopic.Source.MANUAL, DocumentTopic.Source.SUGGESTED
    filing = {
        "bill": [(bills, manual)],
        "bill letter": [(bills, manual), (letters, DocumentTopic.Source.LLM)],
        "letter": [(letters, DocumentTopic.Source.BUILTIN)],
        "loose": [],
        "suggested only": [(bills, suggested)],
        "trashed bill": [(bills, manual)],
        "trashed loose": [],
        "uploading bill": [(bills, manual)],
        "uploading loose": [],
    }
    for title, assignments in filing.items():
        state = Document.State.UPLOADING if title.startswith("uploading") else Document.State.CLASSIFIED
        document = DocumentFactory(owner=alice, title=title, state=state)
        for topic, source in assignments:
            DocumentTopic.objects.create(document=document, topic=topic, source=source)
    Document.objects.filter(title__startswith="trashed").update(deleted_at=timezone.now())
    theirs = Document.objects.bulk_create(DocumentFactory.build(owner=bob, title=f"Letter {i}") for i in range(3000))
    DocumentTopic.objects.bulk_create(
        DocumentTopic(document=document, topic=letters, source=DocumentTopic.Source.BUILTIN) for document in theirs[1:]
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE documents_document")
        cursor.execute("VACUUM ANALYZE topics_documenttopic")
    client.force_login(alice)

    def under(wanted) -> set[str]:
        return {
            title
            for title, assignments in filing.items()
            if not title.startswith("trashed")
            and (
                any(topic.pk in wanted and source != suggested for topic, source in assignments)
                or ("none" in wanted and all(source == suggested for _, source in assignments))
            )
        }

    for wanted in ([bills.pk, letters.pk], ["none"], [bills.pk, "none"], [letters.pk, "none", bills.pk]):
        expected = under(wanted)
        with CaptureQueriesContext(connection) as queries:
            answer = alice_api.get("/api/documents/", {"topic": wanted, "page_size": 100}).json()
        assert {row["title"] for row in answer["results"]} == expected, wanted
        assert answer["count"] == len(expected), wanted
        counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        # Counted from the assignments (and the listed documents, for `none`), never by asking each document.
        assert len(counts) == 1 and '"topics_documenttopic"' in counts[0] and "EXISTS" not in counts[0], counts
        page = client.get("/documents/", {"topic": wanted, "page_size": 100})
        stored = {title for title in expected if not title.startswith("uploading")}
        assert {document.title for document, _ in page.context["rows"]} == stored, wanted
        assert page.context["page"].paginator.count == len(stored), wanted

    with CaptureQueriesContext(connection) as queries:
        alice_api.get("/api/documents/", {"topic": ["none"]})
    (sql,) = [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
    nodes = list(_plan_nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
    assert not any(node["Node Type"] == "Seq Scan" for node in nodes), nodes
    filing = {node.get("Index Name") for node in nodes if node.get("Relation Name") == "topics_documenttopic"}
    assert filing == {"document_topic_owner_filed"}, nodes


@pytest.mark.parametrize("topics", [["one"], ["one", "other"], ["none"], ["one", "none"]])
def test_a_topic_lists_count_is_one_statement(alice, alice_api, client, topics):
    """The count's parts (a topic's documents, the listed documents less those filed under any topic) are read in
    one statement, so in one snapshot: a document trashed, restored, filed or confirmed between two statements
    would make them disagree (a negative count for `none`, which the paginator could not slice)."""
    one, other = TopicFactory(owner=alice, name="Bills"), TopicFactory(owner=None, name="Letters")
    for index, topic in enumerate([one, other, None]):
        document = DocumentFactory(owner=alice, title=f"Document {index}")
        if topic:
            DocumentTopic.objects.create(document=document, topic=topic, source=DocumentTopic.Source.MANUAL)
    wanted = [{"one": one.pk, "other": other.pk}.get(item, item) for item in topics]
    client.force_login(alice)
    for get, path in ((alice_api.get, "/api/documents/"), (client.get, "/documents/")):
        with CaptureQueriesContext(connection) as queries:
            assert get(path, {"topic": wanted}).status_code == 200
        counting = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"]]
        assert len(counting) == 1, counting
