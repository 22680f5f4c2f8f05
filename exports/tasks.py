"""Dramatiq actors of exports: they take ids, and call the services, imported in their bodies."""

import dramatiq
from dramatiq.middleware import TimeLimitExceeded

# An export copies every file a person keeps; a few GiB take minutes, so the bound is generous. Past it the
# export fails (and exports.periodic fails one whose worker died without a word, after the same time).
EXPORT_TIME_LIMIT_SECONDS = 6 * 3600


@dramatiq.actor(queue_name="exports", max_retries=0, time_limit=EXPORT_TIME_LIMIT_SECONDS * 1000)
def build_export(export_id: str) -> None:
    """LIFE-05: not retried; a failed export says why, and its person asks again."""
    from exports import services

    try:
        services.export_build(export_id=export_id)
    except TimeLimitExceeded:
        services.export_fail(export_id=export_id, error=services.TOOK_TOO_LONG)
    except Exception:
        services.export_fail(export_id=export_id, error=services.WORKER_FAILED)
        raise
