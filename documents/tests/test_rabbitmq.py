"""BROKER_URL may name RabbitMQ (docs/requirements.md): the same upload-to-classification path runs through it."""

import os
import socket
from urllib.parse import urlsplit

import dramatiq
import pytest
from dramatiq.brokers.rabbitmq import RabbitmqBroker

from conftest import api_client_for, upload_document, wait_for, with_kite_middleware
from documents.models import Document
from documents.tasks import process_document

RABBITMQ_URL = os.environ.get("KITE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


def rabbitmq_answers() -> str | None:
    """None when something listens at RABBITMQ_URL's address, else why not."""
    address = urlsplit(RABBITMQ_URL)
    host, port = address.hostname or "127.0.0.1", address.port or 5672
    try:
        with socket.create_connection((host, port), timeout=3):
            return None
    except OSError as error:
        return f"no RabbitMQ answers at {host}:{port} ({error}); set KITE_TEST_RABBITMQ_URL to name one"


@pytest.fixture
def rabbitmq_broker():
    """Kite's processing actor on a RabbitMQ broker; where none answers the test fails, saying where it looked."""
    unreachable = rabbitmq_answers()
    if unreachable:
        pytest.fail(unreachable)
    broker = with_kite_middleware(RabbitmqBroker(url=RABBITMQ_URL))
    original = process_document.broker
    broker.declare_actor(process_document)
    broker.flush_all()
    process_document.broker = broker
    yield broker
    process_document.broker = original
    broker.flush_all()
    broker.close()


@pytest.mark.rabbitmq
@pytest.mark.django_db(transaction=True)
def test_documents_are_processed_through_rabbitmq(alice, bucket, rabbitmq_broker):
    """DOC-01: confirm enqueues on RabbitMQ and a worker consuming RabbitMQ classifies the document."""
    worker = dramatiq.Worker(rabbitmq_broker, worker_threads=1)
    worker.start()
    try:
        document = upload_document(api_client_for(alice), b"a note sent through rabbitmq", filename="r.txt")
        final = wait_for(lambda: Document.objects.filter(pk=document["id"], state="classified").first(), timeout=30)
    finally:
        worker.stop()
    assert final.state == "classified"
