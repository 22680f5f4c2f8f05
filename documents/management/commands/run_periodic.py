"""The scheduler: runs Kite's periodic jobs in this process, so they work even while the broker is down."""

import logging
import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from accounts import throttle
from documents import periodic, reconcile, trash

logger = logging.getLogger(__name__)

JOBS = [
    # (name, seconds between runs, job)
    ("drain storage deletions", 30, periodic.storage_deletions_drain),
    ("sweep the processing queue", 60, periodic.documents_sweep_queue),
    ("purge stale uploads", 300, periodic.uploads_purge_stale),
    ("purge documents long in the trash", 3600, trash.trash_purge_expired),
    ("abort multipart uploads nobody finishes", 3600, reconcile.multipart_abort_orphans),
    ("forget old per-address counts", 3600, throttle.attempts_forget_old),
    ("delete objects no document accounts for", 6 * 3600, reconcile.storage_reconcile_quietly),
]


class Command(BaseCommand):
    help = (
        "Run the periodic jobs (deletion retries, queue sweeper, stale-upload purge, trash purge, abandoned multipart "
        "uploads) until stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every job once and exit.")

    def handle(self, *args, once: bool, **options):
        stop = threading.Event()
        if not once:
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
        next_run = {name: 0.0 for name, _, _ in JOBS}
        while not stop.is_set():
            for name, interval, job in JOBS:
                if time.monotonic() < next_run[name] and not once:
                    continue
                next_run[name] = time.monotonic() + interval
                close_old_connections()
                try:
                    count = job()
                    if count:
                        logger.info("%s: %d", name, count)
                except Exception:
                    # A database or storage outage must not end the scheduler; the next round retries.
                    logger.exception("%s failed", name)
            if once:
                return
            stop.wait(1.0)
