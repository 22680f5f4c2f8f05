from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_login_failed
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


def record_sign_in(sender, request=None, user=None, **kwargs) -> None:
    from accounts.services import sign_in_record

    if user is not None:
        sign_in_record(user=user, request=request)


def record_failed_sign_in(sender, credentials, request=None, **kwargs) -> None:
    from accounts.services import sign_in_failed_record

    sign_in_failed_record(username=credentials.get("username"), request=request)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from accounts import schema  # noqa: F401  (registers the OpenAPI extension)
        from accounts.models import User

        post_save.connect(quota_for_loaded_user, sender=User, dispatch_uid="accounts.quota_for_loaded_user")
        user_login_failed.connect(count_failed_login, dispatch_uid="accounts.count_failed_login")
        # LIFE-06: sign-ins and failed ones go into the person's activity log.
        user_logged_in.connect(record_sign_in, dispatch_uid="accounts.record_sign_in")
        user_login_failed.connect(record_failed_sign_in, dispatch_uid="accounts.record_failed_sign_in")
