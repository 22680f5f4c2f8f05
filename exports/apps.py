from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import pre_delete


def queue_exports_of_deleted_owner(sender, instance, **kwargs) -> None:
    """ACC-05: a person deleted any way leaves no export behind in storage, finished or half written."""
    from exports.services import owner_exports_queue_deletion

    owner_exports_queue_deletion(owner=instance)


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"
    # Jobs for the scheduler (documents' run_periodic), which lives below this app and so cannot import it.
    periodic_jobs: list = []

    def ready(self) -> None:
        from exports import periodic

        self.periodic_jobs = [
            ("delete expired exports", 300, periodic.exports_expire),
            ("fail exports whose worker died", 600, periodic.exports_fail_stale),
            ("delete export objects no export accounts for", 6 * 3600, periodic.exports_reconcile),
        ]
        pre_delete.connect(
            queue_exports_of_deleted_owner, sender=settings.AUTH_USER_MODEL, dispatch_uid="exports.owner_deleted"
        )
