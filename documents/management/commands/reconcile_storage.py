"""List the bucket against the database: every stored object must belong to a document (or be queued for
deletion); report the others, and delete them with --fix."""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from documents.reconcile import storage_reconcile


class Command(BaseCommand):
    help = "Find objects in storage that no document accounts for; --fix deletes them."

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Delete the objects no document accounts for.")
        parser.add_argument("--min-age-minutes", type=int, default=60, help="Leave younger objects alone (default 60).")

    def handle(self, *args, fix: bool, min_age_minutes: int, **options):
        orphans = storage_reconcile(fix=fix, min_age=timedelta(minutes=min_age_minutes))
        for orphan in orphans:
            self.stdout.write(
                f"{orphan.key}: {orphan.size} bytes, stored {orphan.last_modified:%Y-%m-%d %H:%M} UTC, no document"
                + (" — deleted" if fix else "")
            )
        if not orphans:
            self.stdout.write("No orphans: every object in storage belongs to a document.")
        elif not fix:
            raise CommandError(f"{len(orphans)} object(s) belong to no document; run with --fix to delete them.")
