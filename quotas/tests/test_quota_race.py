import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from conftest import api_client_for, object_exists, request_upload, upload_document
from documents.models import Document
from quotas.models import Quota

THREADS = 24
SIZE = 1000


def run_at_once(count: int, work) -> list:
    """Run `work(i)` in `count` threads, each with its own database connection, released together."""
    barrier = threading.Barrier(count)
    results: list = []
    lock = threading.Lock()

    def run(i):
        try:
            barrier.wait()
            result = work(i)
            with lock:
                results.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_upload_urls_never_exceed_the_quota(alice, uploads, unique_bytes):
    """UP-03, STORE-03, SC2: 20 threads ask for upload URLs worth twice the quota at once; exactly those that fit
    get one (and a reservation), the rest get 413 and leave nothing; used + reserved never passes the limit."""
    assert connection.vendor == "postgresql"
    threads = 20
    limit = SIZE * 10  # room for exactly 10 uploads
    Quota.objects.filter(user=alice).update(limit_bytes=limit)
    contents = [unique_bytes(SIZE) for _ in range(threads)]
    samples: list[int] = []
    done = threading.Event()

    def watch():
        while not done.is_set():
            quota = Quota.objects.get(user=alice)
            samples.append(quota.used_bytes + quota.reserved_bytes)
        connections.close_all()

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        statuses = run_at_once(threads, lambda i: request_upload(api_client_for(alice), contents[i]).status_code)
    finally:
        done.set()
        watcher.join()

    quota = Quota.objects.get(user=alice)
    in_flight = Document.objects.filter(owner=alice, state="uploading")
    assert sorted(statuses) == [201] * 10 + [413] * 10
    assert quota.reserved_bytes == in_flight.aggregate(total=Sum("size_bytes"))["total"] == 10 * SIZE
    assert quota.used_bytes == 0 and in_flight.count() == 10
    assert samples and max(samples) <= limit


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_concurrent_confirms_charge_each_upload_once(alice, uploads, unique_bytes):
    """STORE-03, UP-03, D-06: 24 threads confirm 12 reserved uploads, each twice at once; every upload is charged
    exactly once, its reservation turned into use, and the quota ends exactly full."""
    assert connection.vendor == "postgresql"
    Quota.objects.filter(user=alice).update(limit_bytes=SIZE * THREADS // 2)
    client = api_client_for(alice)
    pending = [upload_document(client, unique_bytes(SIZE), confirm=False) for _ in range(THREADS // 2)]
    assert Quota.objects.get(user=alice).reserved_bytes == SIZE * THREADS // 2

    statuses = run_at_once(
        THREADS,
        lambda i: api_client_for(alice).post(f"/api/documents/{pending[i // 2]['id']}/confirm/").status_code,
    )

    quota = Quota.objects.get(user=alice)
    stored = Document.objects.filter(owner=alice).stored()
    assert statuses == [200] * THREADS
    assert (quota.used_bytes, quota.reserved_bytes) == (SIZE * THREADS // 2, 0) == (quota.limit_bytes, 0)
    assert stored.aggregate(total=Sum("size_bytes"))["total"] == quota.used_bytes
    assert all(object_exists(doc.key) for doc in stored)
