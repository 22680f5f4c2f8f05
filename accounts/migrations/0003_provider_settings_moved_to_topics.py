"""ProviderSettings now belongs to topics (topics 0003); its table is kept and renamed there."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_provider_settings"),
        ("topics", "0003_classification_models_move_here"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="ProviderSettings")], database_operations=[]
        ),
    ]
