"""Dramatiq actors: they take ids, and call the services, imported in their bodies (services import this module)."""

import dramatiq
from django.conf import settings
from dramatiq.middleware import CurrentMessage, TimeLimitExceeded

from documents.limits import wall_seconds

# documents.processing.MAX_ATTEMPTS counts these retries and the first run.
PROCESS_MAX_RETRIES = 5
TOOK_TOO_LONG = "Processing this document took too long, so Kite stopped. It may be damaged."
# Reading may take as long as its child process is allowed (a long scan), then the provider call (DOC-06).
PROCESS_TIME_LIMIT_MS = (
    wall_seconds(settings.KITE_EXTRACT_SECONDS, settings.KITE_OCR_SECONDS) + 2 * settings.KITE_PROVIDER_TIMEOUT + 60
) * 1000


@dramatiq.actor(
    max_retries=PROCESS_MAX_RETRIES, min_backoff=2_000, max_backoff=120_000, time_limit=PROCESS_TIME_LIMIT_MS
)
def process_document(document_id: str) -> None:
    """DOC-01, DOC-06: transient provider or storage errors are retried with backoff, then reported."""
    from documents import processing

    message = CurrentMessage.get_current_message()
    retries = message.options.get("retries", 0) if message is not None else PROCESS_MAX_RETRIES
    try:
        processing.document_process(document_id=document_id, final_attempt=retries >= PROCESS_MAX_RETRIES)
    except TimeLimitExceeded:
        # Not an Exception: no handler below sees it. The run is over; say so rather than leave it processing.
        processing.document_give_up(document_id=document_id, error=TOOK_TOO_LONG)


@dramatiq.actor(max_retries=3, time_limit=600_000)
def drain_storage_deletions() -> None:
    from documents import periodic

    periodic.storage_deletions_drain()
