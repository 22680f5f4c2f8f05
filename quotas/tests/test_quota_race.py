import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from conftest import api_client_for, object_exists, upload_document
from documents.models import Document
from quotas.models import Quota

THREADS = 24
SIZE = 1000


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_never_exceed_the_quota(alice, uploads, unique_bytes):
    """STORE-03, SC2: 24 threads, each with its own database connection, confirm uploads worth
    2.4x the quota at once; exactly the uploads that fit are charged, the rest get 413."""
    assert connection.vendor == "postgresql"
    limit = SIZE * THREADS * 10 // 24  # room for exactly 10 uploads
    Quota.objects.filter(user=alice).update(limit_bytes=limit)
    client = api_client_for(alice)
    pending = [upload_document(client, unique_bytes(SIZE), confirm=False) for _ in range(THREADS)]

    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def confirm(document_id):
        try:
            thread_client = api_client_for(alice)
            barrier.wait()
            status = thread_client.post(f"/api/documents/{document_id}/confirm/").status_code
            with lock:
                statuses.append(status)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=confirm, args=(doc["id"],)) for doc in pending]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    quota = Quota.objects.get(user=alice)
    stored = Document.objects.filter(owner=alice).stored()
    assert sorted(statuses) == [200] * 10 + [413] * (THREADS - 10)
    assert quota.used_bytes <= quota.limit_bytes
    assert quota.used_bytes == stored.aggregate(total=Sum("size_bytes"))["total"] == 10 * SIZE
    assert not Document.objects.filter(owner=alice, state="uploading").exists()
    assert all(object_exists(doc.key) for doc in stored)
    rejected = {doc["id"] for doc in pending} - {str(pk) for pk in stored.values_list("pk", flat=True)}
    assert len(rejected) == THREADS - 10
