"""Scenario 7: one household owning everything, at 10,000 and at 100,000 documents.

Scenario 1 spreads 110,100 documents over twelve people, so the person it measures owns 9 % of the rows and
PostgreSQL's estimates for their queries look like a small part of the table. A household install is the
other shape: one person owns nearly every row. Here Holly's library grows from 10,000 to 100,000 documents in
a database that holds only hers and Hana's 100, and each size is measured against Hana's, interleaved as in
scenario 1.

Every row is written with PostgreSQL's COPY (`bench.seed.copy_documents`); the database computes the search
columns from it exactly as it does for rows the application writes. The search index is built once after each
load, and the tables are vacuumed and analysed, as autovacuum would.
"""

from __future__ import annotations

import time

from devtools.devstack import log

# (label, path, goal): the API requests a household makes most, each with the same meaning as in ENDPOINTS.
REQUESTS = [
    ("API list", "/api/documents/", "list"),
    ("API list, by title", "/api/documents/?ordering=title", "list"),
    ("API list, one topic", "/api/documents/?topic={topic}", "list"),
    ("API search, rare word (`zeppelin`, 1 %)", "/api/documents/?q=zeppelin", "search"),
    ('API search, phrase (`"annual report"`, 2 %)', "/api/documents/?q=%22annual+report%22", "search"),
    ("API search, prefix and year (`insur 2023`)", "/api/documents/?q=insur+2023", "search"),
    ("API search, common word (`invoice`, ~30 %)", "/api/documents/?q=invoice", "search"),
    # Not goals: the other topic filters, and the topics with each one's count.
    ("API list, two topics (own and system)", "/api/documents/?topic={topic}&topic={system}", None),
    ("API list, no topic", "/api/documents/?topic=none", None),
    ("API topic list, with counts", "/api/topics/", None),
]
SMALL, SIZES = 100, (10_000, 100_000)
QUICK_SMALL, QUICK_SIZES = 20, (1_000, 5_000)


def run(web_factory, scale) -> dict:
    """Seed Hana and Holly, then measure Holly at each size against Hana; `web_factory()` starts gunicorn."""
    from django.db import connection

    from bench import seed
    from bench.corpus import Corpus
    from documents.models import Document

    corpus = Corpus()
    small, sizes = (QUICK_SMALL, QUICK_SIZES) if scale.quick else (SMALL, SIZES)
    seed.system_topics()
    hana, holly = seed.user_with_token("hana"), seed.user_with_token("holly")
    seed.copy_documents(hana["id"], 0, small, corpus)
    web = web_factory()
    results: dict = {"small": small, "requests": scale.household_requests, "sizes": {}}
    loaded = 0
    for size in sizes:
        log(f"scenario 7: Holly grows to {size:,} documents (COPY)")
        started = time.monotonic()
        index = next(index for index in Document._meta.indexes if index.name == "document_search")
        with connection.schema_editor() as editor:
            editor.remove_index(Document, index)  # built once afterwards: much faster than row by row
        seed.copy_documents(holly["id"], loaded, size - loaded, corpus)
        with connection.schema_editor() as editor:
            editor.add_index(Document, index)
        seed.vacuum_analyze()
        seed.reconcile_quotas()  # the rows were copied in, not uploaded: charge them, as the bulk action expects
        loaded = size
        seconds = time.monotonic() - started
        log(f"  loaded in {seconds:.0f} s")
        measured = measure(web, hana, holly, scale)
        measured["seed_seconds"] = seconds
        measured["documents"] = Document.objects.filter(owner_id=holly["id"]).count()
        measured["all_documents"] = Document.objects.count()
        results["sizes"][str(size)] = measured
    results["bulk"] = bulk_trash_and_restore(holly, sizes[-1] // 10)
    return results


def bulk_trash_and_restore(user: dict, count: int) -> dict:
    """The page's bulk action over "all matching" (at its largest in a full run): `count` of the newest documents
    moved to the trash in one transaction, then restored in another, through the services the views call
    (in-process, so the time is the database's and Kite's own, without the web server's timeout)."""
    from accounts.models import User
    from documents.bulk import MAX_MATCHING, documents_bulk
    from documents.models import Document
    from documents.trash import trash_restore

    person = User.objects.get(pk=user["id"])
    ids = list(Document.objects.owned_by(person).order_by("-created").values_list("pk", flat=True)[:count])
    started = time.monotonic()
    documents_bulk(user=person, ids=ids, action="trash")
    trashed = time.monotonic() - started
    started = time.monotonic()
    trash_restore(user=person, ids=ids)
    restored = time.monotonic() - started
    log(f"  bulk: {len(ids):,} documents to the trash in {trashed:.1f} s, back in {restored:.1f} s")
    return {"documents": len(ids), "limit": MAX_MATCHING, "trash_seconds": trashed, "restore_seconds": restored}


def measure(web, small: dict, large: dict, scale) -> dict:
    from bench.load import Client, measure_pair
    from topics.models import Topic

    clients = (
        [Client(web.base_url, small["token"]) for _ in range(scale.latency_clients)],
        [Client(web.base_url, large["token"]) for _ in range(scale.latency_clients)],
    )
    topic = {user["id"]: Topic.objects.get(owner_id=user["id"], name="Insurance").pk for user in (small, large)}
    system = Topic.objects.get(owner=None, name="Invoices").pk
    requests = {}
    for label, path, _ in REQUESTS:
        paths = tuple(path.format(topic=topic[user["id"]], system=system) for user in (small, large))
        pair = measure_pair(*clients, paths, scale.household_requests)
        for name, client, user_path in (("small", clients[0][0], paths[0]), ("large", clients[1][0], paths[1])):
            answer = client.get(user_path)
            pair[name]["bytes"] = len(answer.content)
            pair[name]["count"] = answer.json()["count"]
        requests[label] = pair
        log(
            f"  {label}: median {pair['small']['median_ms']:.1f} / {pair['large']['median_ms']:.1f} ms, "
            f"p95 {pair['small']['p95_ms']:.1f} / {pair['large']['p95_ms']:.1f} ms"
        )
    return {"requests": requests}
