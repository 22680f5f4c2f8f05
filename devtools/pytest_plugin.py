"""Kite's pytest plugin: plain `pytest` brings up the services the selected tests need, and no others.

Django reads its settings once, before any test is collected, so every part the environment does not name gets
its address first: PostgreSQL at DATABASE_URL's default, an embedded SeaweedFS and Valkey on free ports. The
embedded ones start only when a selected test uses the `storage_service` or `broker_service` fixture, and stop
when the run ends. Tests that need PostgreSQL, storage or the broker are marked `services` as they are
collected, so `pytest -m "not browser and not services"` runs the rest with nothing started at all.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from pathlib import Path

import pytest

from devtools.devstack import storage_ready_check
from devtools.embedded import SeaweedFS, Valkey, free_port_block, port_is_free

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kite"
STORAGE_FIXTURE = "storage_service"
BROKER_FIXTURE = "broker_service"
# pytest-django's fixtures that open the test database; the django_db marker requests them too.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "live_server",
}


class EmbeddedServices:
    """The SeaweedFS and Valkey this run starts if a test needs them, at addresses fixed before Django loads."""

    def __init__(self) -> None:
        self.seaweed: SeaweedFS | None = None
        self.valkey: Valkey | None = None
        self.write = print
        self.failures: dict[str, Exception] = {}
        self._tmp = Path(tempfile.gettempdir()) / f"kite-test-{secrets.token_hex(6)}"

    def plan(self, environ) -> None:
        """Point `environ` at PostgreSQL's default and at embedded services wherever it names none."""
        if not environ.get("DATABASE_URL"):
            environ["DATABASE_URL"] = DEFAULT_DATABASE_URL
        need_storage, need_broker = not environ.get("S3_ENDPOINT_URL"), not environ.get("BROKER_URL")
        if not (need_storage or need_broker):
            return
        base = free_port_block(SeaweedFS.PORTS + 1)
        if need_storage:
            access = environ.setdefault("S3_ACCESS_KEY_ID", "kite-" + secrets.token_hex(6))
            secret = environ.setdefault("S3_SECRET_ACCESS_KEY", secrets.token_urlsafe(24))
            self.seaweed = SeaweedFS(self._tmp / "seaweedfs", base, access, secret)
            environ["S3_ENDPOINT_URL"] = self.seaweed.endpoint_url
        if need_broker:
            self.valkey = Valkey(self._tmp / "valkey", base + SeaweedFS.PORTS, persist=False)
            environ["BROKER_URL"] = self.valkey.url

    def start_storage(self) -> None:
        seaweed = self.seaweed
        if seaweed is not None:
            self._start(
                seaweed,
                range(seaweed.s3_port, seaweed.s3_port + SeaweedFS.PORTS),
                f"SeaweedFS (S3 on 127.0.0.1:{seaweed.s3_port}, data in {seaweed.data_dir})",
                storage_ready_check(seaweed.endpoint_url, seaweed.access_key, seaweed.secret_key),
            )

    def start_broker(self) -> None:
        if self.valkey is not None:
            self._start(self.valkey, [self.valkey.port], f"Valkey on 127.0.0.1:{self.valkey.port}")

    def _start(self, service, ports, description: str, ready_check=None) -> None:
        if service.running:
            return
        if service.name in self.failures:
            raise self.failures[service.name]
        try:
            busy = [port for port in ports if not port_is_free(port)]
            if busy:
                raise RuntimeError(f"ports {busy}, free when this run began, are taken now; run the tests again")
            self.write(f"kite: starting {description}")
            service.start()
            if ready_check is not None:
                service.wait_until_ready(ready_check)
        except Exception as exc:
            service.stop()
            self.failures[service.name] = exc
            raise

    def stop(self) -> None:
        for service in (self.valkey, self.seaweed):
            if service is not None:
                service.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)


SERVICES = pytest.StashKey[EmbeddedServices]()


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # First of all implementations: pytest-django's loads kite.settings, which reads the environment once.
    services = EmbeddedServices()
    services.plan(os.environ)
    early_config.stash[SERVICES] = services


def needs_services(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(
        item.get_closest_marker("django_db") or fixtures & (DATABASE_FIXTURES | {STORAGE_FIXTURE, BROKER_FIXTURE})
    )


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Before `-m` deselects anything, so `-m "not services"` sees the marker.
    for item in items:
        if needs_services(item):
            item.add_marker(pytest.mark.services)


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    """Start the embedded services the selected tests use before the first test, and stop them after the last.

    Starting now rather than at the first test that asks keeps short the time in which another program could
    take the ports chosen at the start; the fixtures below start them too, for tests that ask at run time.
    """
    services = session.config.stash[SERVICES]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        services.write = reporter.write_line
    try:
        if not session.config.option.collectonly:
            used = set().union(*(getattr(item, "fixturenames", ()) for item in session.items))
            for fixture, start in ((STORAGE_FIXTURE, services.start_storage), (BROKER_FIXTURE, services.start_broker)):
                if fixture in used:
                    with contextlib.suppress(Exception):  # it fails again, with its error, in each test that uses it
                        start()
        return (yield)
    finally:
        services.stop()


def pytest_unconfigure(config: pytest.Config) -> None:
    # The services run in sessions of their own, so an interrupted run must still stop them.
    services = config.stash.get(SERVICES, None)
    if services is not None:
        services.stop()


@pytest.fixture(scope="session")
def storage_service(pytestconfig: pytest.Config) -> None:
    """S3 at the address in the settings: the embedded SeaweedFS, unless S3_ENDPOINT_URL names a store."""
    pytestconfig.stash[SERVICES].start_storage()


@pytest.fixture(scope="session")
def broker_service(pytestconfig: pytest.Config) -> None:
    """The broker at BROKER_URL: the embedded Valkey, unless BROKER_URL names a broker."""
    pytestconfig.stash[SERVICES].start_broker()
