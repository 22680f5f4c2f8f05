"""UP-03: reserve the bytes of uploads in flight; `used + reserved <= limit` replaces `used <= limit`.

The uploads already in flight get their reservation here. Where they do not fit beside what is stored, the limit
is raised to hold them, as reconcile_quotas --fix does for stored bytes: no upload under way is lost.
"""

from django.db import migrations, models
from django.db.models import F, Q, Sum


def reserve_uploads_in_flight(apps, schema_editor):
    Quota = apps.get_model("quotas", "Quota")
    Document = apps.get_model("documents", "Document")
    in_flight = (
        Document.objects.filter(state="uploading").values("owner_id").annotate(total=Sum("size_bytes")).order_by()
    )
    for row in in_flight.iterator():
        quota = Quota.objects.filter(user_id=row["owner_id"]).first()
        if quota is None:
            continue
        quota.reserved_bytes = row["total"]
        quota.limit_bytes = max(quota.limit_bytes, quota.used_bytes + quota.reserved_bytes)
        quota.save(update_fields=["reserved_bytes", "limit_bytes"])


class Migration(migrations.Migration):
    dependencies = [
        ("quotas", "0002_quota_for_every_user"),
        ("documents", "0008_document_attempts"),
    ]

    operations = [
        migrations.AddField(
            model_name="quota",
            name="reserved_bytes",
            field=models.BigIntegerField(default=0),
        ),
        migrations.RunPython(reserve_uploads_in_flight, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="quota", name="quota_used_within_limit"),
        migrations.AddConstraint(
            model_name="quota",
            constraint=models.CheckConstraint(condition=Q(reserved_bytes__gte=0), name="quota_reserved_not_negative"),
        ),
        migrations.AddConstraint(
            model_name="quota",
            constraint=models.CheckConstraint(
                condition=Q(used_bytes__lte=F("limit_bytes") - F("reserved_bytes")),
                name="quota_used_and_reserved_within_limit",
            ),
        ),
    ]
