"""Import a Kite export's zip into one person's account (LIFE-05)."""

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from exports.importing import ImportRefused, import_export
from kite.errors import StorageUnavailable


class Command(BaseCommand):
    help = (
        "Import the documents, topics, notes and text of a Kite export (its zip) into a person's account, charged "
        "to their quota. All or nothing: a zip that is not a Kite export, too large for the quota, or damaged "
        "changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The export's zip file.")
        parser.add_argument("--user", required=True, help="Username of the person who receives the documents.")

    def handle(self, *args, file: str, user: str, **options):
        person = User.objects.filter(username=user).first()
        if person is None:
            raise CommandError(f"No person is called {user!r}.")
        try:
            imported = import_export(user=person, path=file)
        except ImportRefused as exc:
            raise CommandError(str(exc)) from None
        except StorageUnavailable:
            raise CommandError("Storage is unavailable; nothing was imported. Try again later.") from None
        for reason in imported.skipped:
            self.stdout.write(f"left out: {reason}")
        self.stdout.write(
            f"Imported {imported.documents} documents ({imported.bytes} bytes) into {person.username}'s account"
            + (f"; {imported.to_read} queued to be read." if imported.to_read else ".")
        )
