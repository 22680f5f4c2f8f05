"""Provider settings (from accounts) and the learned classifier (from documents) now belong to topics.

Only Django's record of the models moves here; the tables stay as they are and are renamed in 0004.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("topics", "0002_system_topic_proxy"),
        ("accounts", "0002_provider_settings"),
        ("documents", "0006_search_per_owner"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ProviderSettings",
                    fields=[
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="provider_settings",
                                serialize=False,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("openai", "OpenAI-compatible API"),
                                    ("anthropic", "Anthropic"),
                                    ("builtin", "Built-in classifier (offline)"),
                                ],
                                max_length=10,
                            ),
                        ),
                        ("base_url", models.URLField(blank=True, max_length=500)),
                        ("model", models.CharField(blank=True, max_length=200)),
                        ("api_key_encrypted", models.TextField(blank=True, editable=False)),
                        ("updated", models.DateTimeField(auto_now=True)),
                    ],
                    options={"verbose_name_plural": "provider settings", "db_table": "accounts_providersettings"},
                ),
                migrations.CreateModel(
                    name="ClassifierModel",
                    fields=[
                        (
                            "user",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="classifier_model",
                                serialize=False,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        ("data", models.BinaryField()),
                        ("examples", models.PositiveIntegerField()),
                        ("trained", models.DateTimeField(auto_now=True)),
                    ],
                    options={"db_table": "documents_classifiermodel"},
                ),
            ],
            database_operations=[],
        ),
    ]
