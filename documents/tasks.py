"""Dramatiq actors: they take ids, reload, and call the services."""

import dramatiq

from documents import services


@dramatiq.actor(max_retries=5, min_backoff=1_000, max_backoff=60_000, time_limit=300_000)
def process_document(document_id: str) -> None:
    services.document_process(document_id=document_id)


@dramatiq.actor(max_retries=3, time_limit=600_000)
def drain_storage_deletions() -> None:
    services.storage_deletions_drain()
