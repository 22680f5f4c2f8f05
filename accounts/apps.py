from django.apps import AppConfig
from django.contrib.auth.signals import user_login_failed
from django.db.models.signals import post_save


def quota_for_loaded_user(sender, instance, raw: bool, **kwargs) -> None:
    """ACC-02 for users loaded from a fixture (`loaddata` bypasses User.save())."""
    if raw:
        from quotas.models import Quota

        Quota.objects.ensure_for(instance)


def count_failed_login(sender, credentials, request=None, **kwargs) -> None:
    """ACC-04: every failed log-in also counts against its address, across usernames."""
    from accounts.throttle import login_failed

    login_failed(request)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI extension)
        from accounts.models import User

        post_save.connect(quota_for_loaded_user, sender=User, dispatch_uid="accounts.quota_for_loaded_user")
        user_login_failed.connect(count_failed_login, dispatch_uid="accounts.count_failed_login")
