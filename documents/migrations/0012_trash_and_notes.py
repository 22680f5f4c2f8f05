import uuid

import django.contrib.postgres.search
import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.db import migrations, models

import documents.search

SEPARATORS = "._-+~,;:()[]{}#@&=!'"


def split(field):
    return models.Func(
        models.F(field),
        models.Value(SEPARATORS),
        models.Value(" " * len(SEPARATORS)),
        function="translate",
        output_field=models.TextField(),
    )


def words():
    return django.contrib.postgres.search.SearchVector(
        "title",
        split("title"),
        "filename",
        split("filename"),
        django.db.models.functions.text.Left("text", 200000),
        django.db.models.functions.text.Left("notes_text", 100000),
        config="simple",
    )


class Migration(migrations.Migration):
    """The trash (LIFE-01) and notes (LIFE-02).

    A document in the trash has `deleted_at`; two partial indexes hold only those, for the trash's lists and
    the purge. Notes are searchable: their text is copied into `notes_text`, which the matching vector now
    reads, so the vector is computed again for every document (the table is rewritten once) and its index
    rebuilt.
    """

    dependencies = [
        ("documents", "0011_storage_deletion_repeat"),
    ]

    operations = [
        migrations.CreateModel(
            name="Note",
            fields=[
                ("id", models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ("text", models.TextField()),
                ("created", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "document",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="notes", to="documents.document"
                    ),
                ),
            ],
            options={"ordering": ["created"]},
        ),
        migrations.AddField(
            model_name="document",
            name="deleted_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="document",
            name="notes_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", False)),
                fields=["owner", "-deleted_at"],
                name="document_owner_trash",
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", False)), fields=["deleted_at"], name="document_trash_since"
            ),
        ),
        # A generated column's expression cannot change in place: drop it (and its index), add it anew.
        migrations.RemoveIndex(model_name="document", name="document_search"),
        migrations.RemoveField(model_name="document", name="search_vector"),
        migrations.AddField(
            model_name="document",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=documents.search.OnPostgreSQL(
                    models.Func(
                        models.F("owner_id"),
                        words(),
                        function="kite_owner_tsvector",
                        output_field=django.contrib.postgres.search.SearchVectorField(),
                    )
                ),
                output_field=django.contrib.postgres.search.SearchVectorField(null=True),
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=documents.search.SearchVectorIndex(fastupdate=False, fields=["search_vector"], name="document_search"),
        ),
    ]
