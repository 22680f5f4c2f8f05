"""Each API token remembers the password it was made under; existing tokens take their person's present one."""

import hashlib

from django.db import migrations, models


def stamp_existing_tokens(apps, schema_editor):
    ApiToken = apps.get_model("accounts", "ApiToken")
    for token in ApiToken.objects.select_related("user").iterator():
        # The same computation as accounts.models.password_stamp, frozen here as migrations must be.
        token.password_stamp = hashlib.sha256(f"kite-token:{token.user.password}".encode()).hexdigest()
        token.save(update_fields=["password_stamp"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_api_token_expires")]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="password_stamp",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(stamp_existing_tokens, migrations.RunPython.noop),
    ]
