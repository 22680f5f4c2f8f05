"""Dramatiq actors: they take ids, reload, and call the services."""

import dramatiq
from dramatiq.middleware import CurrentMessage

from documents import classification, services

PROCESS_MAX_RETRIES = 5


@dramatiq.actor(max_retries=PROCESS_MAX_RETRIES, min_backoff=2_000, max_backoff=120_000, time_limit=300_000)
def process_document(document_id: str) -> None:
    """DOC-01, DOC-06: transient provider or storage errors are retried with backoff, then reported."""
    message = CurrentMessage.get_current_message()
    retries = message.options.get("retries", 0) if message is not None else PROCESS_MAX_RETRIES
    classification.document_process(document_id=document_id, final_attempt=retries >= PROCESS_MAX_RETRIES)


@dramatiq.actor(max_retries=3, time_limit=600_000)
def drain_storage_deletions() -> None:
    services.storage_deletions_drain()


@dramatiq.actor(max_retries=3, time_limit=600_000)
def train_builtin_model(user_id: int) -> None:
    """Retrain a person's offline classifier in the background after they change topics by hand."""
    classification.builtin_model_train(user_id=user_id)
