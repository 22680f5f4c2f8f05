"""The moved classification tables take the topics app's names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("topics", "0003_classification_models_move_here"),
        ("accounts", "0003_provider_settings_moved_to_topics"),
        ("documents", "0007_classifier_model_moved_to_topics"),
    ]

    operations = [
        migrations.AlterModelTable(name="providersettings", table=None),
        migrations.AlterModelTable(name="classifiermodel", table=None),
    ]
