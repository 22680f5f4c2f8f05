"""Benchmark data through Kite's own model layer and services (run inside the configured Django process).

The bulk of each 10,000-document library is written with `bulk_create` as rows a worker has already processed
(text extracted, topics filed), because pushing 110,000 objects through storage and the classifier would take
hours; the upload, confirm and classification paths themselves are exercised for real by `bench.run`.
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import timedelta

from django.db import connection
from django.utils import timezone

from accounts import services as account_services
from accounts.models import User
from bench.corpus import TOPIC_OF_CATEGORY, TOPICS, Corpus
from documents import reconcile, services
from documents.models import Document
from quotas.models import Quota
from topics.models import DocumentTopic, Topic

PASSWORD = "bench horse battery staple"
BATCH = 1000
BENCH_QUOTA_BYTES = 2**40


def user_with_token(username: str) -> dict:
    """A user (through the sign-up service, so with a quota), a big quota, their topics and an API token."""
    user = account_services.user_create(username=username, password=PASSWORD)
    Quota.objects.filter(user=user).update(limit_bytes=BENCH_QUOTA_BYTES)
    for name, description in TOPICS.items():
        if name not in ("Invoices", "Receipts"):  # those two are system topics
            Topic.objects.create(owner=user, name=name, description=description)
    _, key = account_services.token_create(user=user, name="bench")
    return {"id": user.pk, "username": username, "password": PASSWORD, "token": key}


def system_topics() -> None:
    for name in ("Invoices", "Receipts"):
        Topic.objects.get_or_create(owner=None, name=name, defaults={"description": TOPICS[name]})


def _rows(user_id: int, first: int, count: int, corpus: Corpus):
    """Documents `first`…`first + count - 1` of the corpus as processed rows, created over the last five years,
    each with its topic assignments: (document, [DocumentTopic, …]) one at a time."""
    user = User.objects.get(pk=user_id)
    topics = {topic.name: topic for topic in Topic.objects.visible_to(user)}
    now = timezone.now()
    rng = random.Random(user_id * 1_000_003 + first)
    for index in range(first, first + count):
        sample = corpus.sample(index)
        document_id = uuid.uuid4()
        when = now - timedelta(seconds=rng.randint(0, 5 * 365 * 86400))
        document = Document(
            id=document_id,
            owner_id=user_id,
            title=sample.title,
            filename=sample.filename,
            content_type="application/pdf",
            size_bytes=rng.randint(20_000, 400_000),
            sha256=f"{rng.getrandbits(256):064x}",
            key=services.document_key(user, document_id),
            etag=f'"{rng.getrandbits(128):032x}"',
            state=Document.State.CLASSIFIED,
            classify=True,
            text=sample.text,
            created=when,
            updated=when,
        )
        chosen = {TOPIC_OF_CATEGORY[sample.category]}
        if rng.random() < 0.5:
            chosen.add(rng.choice(list(topics)))
        assignments = [
            DocumentTopic(
                document=document,
                topic=topics[name],
                source=DocumentTopic.Source.BUILTIN,
                confidence=round(rng.uniform(0.3, 0.9), 4),
                created=when,
            )
            for name in chosen
        ]
        yield document, assignments


def bulk_documents(user_id: int, first: int, count: int, corpus: Corpus) -> None:
    """Documents `first`…`first + count - 1` of the corpus, written with the model layer's `bulk_create`."""
    created_field = Document._meta.get_field("created")
    created_field.auto_now_add = False  # spread creation dates, as a real library has them
    try:
        rows = _rows(user_id, first, count, corpus)
        while batch := list(itertools.islice(rows, BATCH)):
            Document.objects.bulk_create([document for document, _ in batch])
            DocumentTopic.objects.bulk_create([a for _, assignments in batch for a in assignments])
    finally:
        created_field.auto_now_add = True


def copy_documents(user_id: int, first: int, count: int, corpus: Corpus) -> None:
    """As `bulk_documents`, through PostgreSQL's COPY: 100,000 documents in a few minutes.

    Only the model's concrete, non-generated columns are written: PostgreSQL computes `search_vector` and
    `rank_vector` from them, and each assignment's copy of its document's owner and trash state, exactly as it
    does for every row the application writes.
    """
    document_fields = _copied_fields(Document)
    assignment_fields = [f for f in _copied_fields(DocumentTopic) if f.name != "id"]
    with connection.cursor() as cursor:
        raw = cursor.cursor
        documents = _copy_statement(Document, document_fields)
        assignments = _copy_statement(DocumentTopic, assignment_fields)
        rows = _rows(user_id, first, count, corpus)
        while batch := list(itertools.islice(rows, BATCH * 5)):
            with raw.copy(documents) as copy:
                for document, _ in batch:
                    copy.write_row(
                        [f.get_db_prep_save(getattr(document, f.attname), connection) for f in document_fields]
                    )
            with raw.copy(assignments) as copy:
                for _, chosen in batch:
                    for a in chosen:
                        copy.write_row(
                            [f.get_db_prep_save(getattr(a, f.attname), connection) for f in assignment_fields]
                        )


def _copied_fields(model) -> list:
    return [f for f in model._meta.concrete_fields if not getattr(f, "generated", False)]


def _copy_statement(model, fields) -> str:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"


def manual_examples(user_id: int, corpus: Corpus, count: int, first: int = 900_000) -> None:
    """Documents the user filed by hand, then their built-in classifier trained on them (as the app does)."""
    from topics.classification.services import model_train

    bulk_documents(user_id, first, count, corpus)
    DocumentTopic.objects.filter(document__owner_id=user_id).update(source=DocumentTopic.Source.MANUAL, confidence=None)
    model_train(user_id=user_id)


def reconcile_quotas() -> int:
    """D-10 with --fix: every quota equals the sizes of its stored documents, bulk rows included."""
    return len(reconcile.quotas_reconcile(fix=True))


def quota_drift(user_id: int) -> int:
    """D-10 without --fix: how far the user's recorded usage is from their stored documents (0 when exact)."""
    return sum(drift.delta for drift in reconcile.quotas_reconcile() if drift.user_id == user_id)


def vacuum_analyze() -> None:
    """What autovacuum would do after a bulk load: fresh statistics and an all-visible map for index-only scans."""
    with connection.cursor() as cursor:
        for table in ("documents_document", "topics_documenttopic", "topics_topic"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def quota_of(user_id: int) -> dict:
    quota = Quota.objects.get(user_id=user_id)
    stored = Document.objects.stored().filter(owner_id=user_id)
    return {
        "used_bytes": quota.used_bytes,
        "stored_bytes": sum(stored.values_list("size_bytes", flat=True)),
        "stored_documents": stored.count(),
    }
