import os
import signal
import subprocess
import sys
import uuid

import dramatiq
import pytest
from django.db import connection
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker

from conftest import api_client_for, upload_document, wait_for, with_kite_middleware
from devtools.testing.fake_llm import FakeOpenAI
from documents.models import Document
from documents.tasks import process_document
from topics.classification import services as classification_services
from topics.tests.factories import TopicFactory


@pytest.mark.django_db(transaction=True)
def test_confirm_enqueues_processing_through_the_broker(alice, worker):
    """DOC-01: confirm enqueues the actor after commit; a real worker on the real broker picks it up."""
    client = api_client_for(alice)
    document = upload_document(client, f"plain words {uuid.uuid4().hex}".encode(), filename="n.txt")
    assert document["state"] == "queued"
    final = wait_for(
        lambda: Document.objects.filter(pk=document["id"]).exclude(state__in=["queued", "processing"]).first()
    )
    assert final.state == "classified"


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_message_is_redelivered_and_finishes_exactly_once(alice, uploads, settings):
    """DOC-06: SIGKILL a worker process while it classifies; the broker delivers the message again
    and the document ends classified exactly once, with one set of topics."""
    settings.KITE_PROVIDER_ALLOW_PRIVATE_URLS = True
    TopicFactory(owner=alice, name="Garden")
    with FakeOpenAI() as server:
        classification_services.provider_settings_save(
            user=alice, kind="openai", base_url=server.base_url, model="m", api_key="k"
        )
        server.script_delay(60)  # the first worker hangs in the provider call until it is killed
        database = connection.settings_dict
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "kite.settings_test",
            "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
            "KITE_PROVIDER_ALLOW_PRIVATE_URLS": "true",
        }
        first_worker = subprocess.Popen(
            [sys.executable, "manage.py", "rundramatiq", "--processes", "1", "--threads", "1"],
            cwd=settings.BASE_DIR,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            document = upload_document(api_client_for(alice), b"notes about the garden", filename="g.txt")
            wait_for(lambda: server.requests, timeout=60)
            assert Document.objects.get(pk=document["id"]).state == "processing"
        finally:
            os.killpg(first_worker.pid, signal.SIGKILL)
            first_worker.wait()

        # A second worker on the same queues; its broker reclaims a dead worker's messages after 2 s.
        options = settings.DRAMATIQ_BROKER["OPTIONS"]
        broker = with_kite_middleware(
            RedisBroker(
                url=options["url"],
                namespace=options["namespace"],
                heartbeat_timeout=2000,
                maintenance_chance=MAINTENANCE_SCALE,
            )
        )
        broker.declare_actor(process_document)
        second_worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
        second_worker.start()
        try:
            final = wait_for(lambda: Document.objects.filter(pk=document["id"], state="classified").first(), timeout=60)
        finally:
            second_worker.stop()
            broker.close()
    assert [a.topic.name for a in final.assignments.all()] == ["Garden"]
    assert len(server.requests) == 2
