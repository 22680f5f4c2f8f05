"""Give every existing person without a quota the default one (users made outside sign-up had none)."""

from django.conf import settings
from django.db import migrations


def add_missing_quotas(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    Quota = apps.get_model("quotas", "Quota")
    missing = User.objects.filter(quota__isnull=True).values_list("pk", flat=True)
    Quota.objects.bulk_create(
        [Quota(user_id=pk, limit_bytes=settings.KITE_DEFAULT_QUOTA_BYTES) for pk in missing.iterator()],
        batch_size=1000,
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("quotas", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(add_missing_quotas, migrations.RunPython.noop)]
