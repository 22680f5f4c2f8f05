from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, pre_delete


def queue_objects_of_deleted_owner(sender, instance, **kwargs) -> None:
    """ACC-05: a person deleted any way (page, admin, shell) leaves no object behind in storage."""
    from documents.services import owner_objects_queue_deletion

    owner_objects_queue_deletion(owner=instance)


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = "Documents"

    def ready(self) -> None:
        from documents.search import fallback_functions_install
        from documents.search.language import apply_after_migrate

        pre_delete.connect(
            queue_objects_of_deleted_owner, sender=settings.AUTH_USER_MODEL, dispatch_uid="documents.owner_deleted"
        )
        connection_created.connect(fallback_functions_install, dispatch_uid="documents.search.fallback_functions")
        post_migrate.connect(apply_after_migrate, sender=self, dispatch_uid="documents.search.language")
        checks.register(search_language_check)


def search_language_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    from documents.search.language import LANGUAGES

    if settings.KITE_SEARCH_LANGUAGE in LANGUAGES:
        return []
    return [
        checks.Error(
            f"KITE_SEARCH_LANGUAGE is {settings.KITE_SEARCH_LANGUAGE!r}",
            hint=f"One of: {', '.join(LANGUAGES)}.",
            id="documents.E001",
        )
    ]
