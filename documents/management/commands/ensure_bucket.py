"""Create the documents bucket with the CORS rule browser uploads need."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from documents import storage


class Command(BaseCommand):
    help = "Create the S3 bucket if missing and set its CORS rule to KITE_UPLOAD_ORIGINS."

    def add_arguments(self, parser):
        parser.add_argument("--wait", type=float, default=60.0, help="Seconds to keep retrying while storage starts.")

    def handle(self, *args, wait: float, **options):
        deadline = time.monotonic() + wait
        while True:
            try:
                storage.ensure_bucket(settings.KITE_UPLOAD_ORIGINS)
                break
            except Exception as exc:
                # A freshly started SeaweedFS answers InternalError for a few seconds.
                if time.monotonic() > deadline:
                    raise CommandError(f"could not prepare bucket {settings.S3_BUCKET!r}: {exc}") from exc
                time.sleep(0.5)
        origins = ", ".join(settings.KITE_UPLOAD_ORIGINS)
        self.stdout.write(f"Bucket {settings.S3_BUCKET!r} ready; uploads allowed from {origins}.")
