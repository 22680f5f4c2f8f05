"""D-10, UP-03: recompute every used_bytes from the stored documents, every reserved_bytes from the uploads in
flight, and report drift."""

from django.core.management.base import BaseCommand, CommandError

from documents.reconcile import quotas_reconcile


class Command(BaseCommand):
    help = (
        "Compare each quota's used_bytes with the sum of its stored documents, and its reserved_bytes with the "
        "sum of its uploads in flight; --fix corrects drift."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fix", action="store_true", help="Set both to the actual totals.")

    def handle(self, *args, fix: bool, **options):
        drifts = quotas_reconcile(fix=fix)
        for drift in drifts:
            self.stdout.write(
                f"{drift.username} (id {drift.user_id}): recorded {drift.recorded_bytes} bytes, "
                f"stored {drift.actual_bytes} bytes, drift {drift.delta:+d}; reserved {drift.recorded_reserved} "
                f"bytes, in flight {drift.actual_reserved} bytes, drift {drift.reserved_delta:+d}"
                + (" — fixed" if fix else "")
            )
        if not drifts:
            self.stdout.write("No drift: every quota matches its stored documents.")
        elif not fix:
            raise CommandError(f"{len(drifts)} quota(s) drifted; run with --fix to correct them.")
