"""Fixtures shared by every app's tests: personas, API clients, storage and a real worker.

Tests that need them run against real PostgreSQL, S3 and a broker; the
`storage_service` and `broker_service` fixtures of devtools/pytest_plugin.py
start embedded ones unless the environment names external ones.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid

import dramatiq
import pytest
import requests
from django.conf import settings
from rest_framework.test import APIClient

from accounts import services as account_services
from accounts.tests.factories import PASSWORD, UserFactory
from documents import storage

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop


@pytest.fixture(scope="session")
def bucket(storage_service):
    """The documents bucket, made once per run, open to the default upload origins."""
    storage.ensure_bucket(settings.KITE_UPLOAD_ORIGINS)


@pytest.fixture
def uploads(bucket, broker_service):
    """What an upload goes through: the bucket it is posted to and the broker its confirm queues it on."""


@pytest.fixture
def alice(db):
    """The owner in most tests."""
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def bob(db):
    """Another user, who should have no access to alice's things."""
    return UserFactory(username="bob", email="bob@example.com")


@pytest.fixture
def staff(db):
    """A superuser, who still must not read anybody's documents."""
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def change_password_on_page(client, new_password: str):
    """What a signed-in persona does on the password page, from the password every persona has."""
    return client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )


def api_client_for(user) -> APIClient:
    _, key = account_services.token_create(user=user, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def alice_api(alice, uploads) -> APIClient:
    """alice's token client; uploads through it reach storage and the broker."""
    return api_client_for(alice)


@pytest.fixture
def bob_api(bob, uploads) -> APIClient:
    """bob's token client; uploads through it reach storage and the broker."""
    return api_client_for(bob)


def request_upload(
    client: APIClient,
    data: bytes,
    filename: str = "notes.txt",
    content_type: str = "text/plain",
    sha256: bool = True,
    **extra,
):
    body = {"filename": filename, "size_bytes": len(data), "content_type": content_type, **extra}
    if sha256:
        body["sha256"] = hashlib.sha256(data).hexdigest()
    return client.post("/api/documents/upload-url/", body, format="json")


def post_to_storage(upload: dict, data: bytes, filename: str = "file") -> requests.Response:
    """What the browser does: a multipart POST of the presigned fields and the file."""
    return requests.post(upload["url"], data=upload["fields"], files={"file": (filename, data)}, timeout=30)


def upload_document(
    client: APIClient,
    data: bytes,
    filename: str = "notes.txt",
    content_type: str = "text/plain",
    confirm: bool = True,
    **extra,
) -> dict:
    """Run the three steps of D-05 and return the document as the API last showed it; `confirm=False` stops once
    the bytes are in storage. The one way tests upload, unless a test is about one of the steps itself."""
    answer = request_upload(client, data, filename, content_type, **extra)
    assert answer.status_code == 201, answer.content
    stored = post_to_storage(answer.json()["upload"], data, filename)
    assert stored.status_code in (200, 201, 204), stored.text
    document = answer.json()["document"]
    if not confirm:
        return document
    confirmed = client.post(f"/api/documents/{document['id']}/confirm/")
    assert confirmed.status_code == 200, confirmed.content
    return confirmed.json()


def object_exists(key: str) -> bool:
    return storage.head(key) is not None


@pytest.fixture
def unique_bytes():
    """Distinct file contents per call, so no upload is a duplicate of another."""

    def make(size: int = 1000, prefix: bytes = b"") -> bytes:
        seed = prefix + uuid.uuid4().bytes
        return (seed * (size // len(seed) + 1))[:size]

    return make


@pytest.fixture
def worker(transactional_db, uploads):
    """A real Dramatiq worker consuming from the real broker for the length of a test."""
    broker = dramatiq.get_broker()
    broker.flush_all()
    worker = dramatiq.Worker(broker, worker_threads=2, worker_timeout=100)
    worker.start()
    yield worker
    worker.stop()
    broker.flush_all()


def with_kite_middleware(broker):
    """Give a broker made in a test the middleware Kite's own broker has (connection cleanup, current message)."""
    from django_dramatiq.middleware import DbConnectionsMiddleware
    from dramatiq.middleware import CurrentMessage

    broker.add_middleware(CurrentMessage())
    broker.add_middleware(DbConnectionsMiddleware())
    return broker


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    event = threading.Event()
    deadline = timeout / interval
    for _ in range(int(deadline)):
        result = predicate()
        if result:
            return result
        event.wait(interval)
    raise AssertionError(f"condition not met within {timeout}s")


CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (`playwright install` is never needed)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, uploads):
    """A fresh browser page whose console errors fail the test; the bucket accepts its origin."""
    storage.ensure_bucket([*settings.KITE_UPLOAD_ORIGINS, live_server.url])
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(20_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.base_url = live_server.url
    yield page
    context.close()
    assert errors == [], f"console errors: {errors}"


class StorageUnderTest:
    """A SeaweedFS of the test's own, which the test may kill and bring back (fault tests)."""

    def __init__(self, data_dir, settings):
        from devtools.embedded import SeaweedFS, free_port_block

        self.seaweed = SeaweedFS(data_dir, free_port_block(SeaweedFS.PORTS), "fault-access", "fault-secret-key")
        self.settings = settings

    def start(self) -> None:
        from devtools.devstack import storage_ready_check

        self.seaweed.start()
        self.seaweed.wait_until_ready(
            storage_ready_check(self.seaweed.endpoint_url, self.seaweed.access_key, self.seaweed.secret_key)
        )

    def use(self) -> None:
        storages_setting = dict(self.settings.STORAGES)
        for alias in ("documents", "documents_public"):
            options = dict(
                storages_setting[alias]["OPTIONS"],
                endpoint_url=self.seaweed.endpoint_url,
                access_key=self.seaweed.access_key,
                secret_key=self.seaweed.secret_key,
            )
            storages_setting[alias] = {**storages_setting[alias], "OPTIONS": options}
        self.settings.STORAGES = storages_setting
        storage.ensure_bucket(settings.KITE_UPLOAD_ORIGINS)

    def kill(self) -> None:
        self.seaweed.kill()

    def restart(self) -> None:
        self.seaweed.stop()
        self.start()


@pytest.fixture
def fault_storage(tmp_path, settings, broker_service):
    """Point Kite at a SeaweedFS this test owns, so it can be stopped mid-test."""
    under_test = StorageUnderTest(tmp_path / "seaweedfs", settings)
    under_test.start()
    under_test.use()
    yield under_test
    under_test.seaweed.stop()


@pytest.fixture
def own_broker(tmp_path, bucket):
    """A Valkey broker this test owns, wired to the processing actor and health check, so it can be stopped."""
    from dramatiq.brokers.redis import RedisBroker

    from devtools.embedded import Valkey, free_port_block
    from documents.tasks import process_document

    valkey = Valkey(tmp_path / "valkey", free_port_block(1), persist=False)
    valkey.start()
    broker = with_kite_middleware(RedisBroker(url=valkey.url, socket_connect_timeout=1, socket_timeout=2))
    original = process_document.broker
    broker.declare_actor(process_document)
    process_document.broker = broker
    global_broker = dramatiq.get_broker()
    dramatiq.set_broker(broker)
    yield valkey, broker
    dramatiq.set_broker(global_broker)
    process_document.broker = original
    valkey.stop()
