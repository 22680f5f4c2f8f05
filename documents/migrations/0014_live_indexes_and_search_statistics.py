from django.db import migrations, models


def stop_sampling_search_words(apps, schema_editor):
    """The planner reads every search as matching a few documents, however common its words are.

    With the word statistics of `search_vector`, a word in a quarter of the rows of a person who owns nearly all
    of them looked cheaper to find by reading the whole table, which unpacks every row's out-of-line vector (2 s
    at 100,000 documents instead of 0.1 s through the index). Without them PostgreSQL assumes its default
    selectivity for `@@`, so every search goes through the owner-keyed index. ANALYZE also stops sampling the
    largest column of the table. The column was dropped and added again by 0012, so it has no statistics yet.
    """
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "documents_document" ALTER COLUMN "search_vector" SET STATISTICS 0')


def sample_search_words(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE "documents_document" ALTER COLUMN "search_vector" SET STATISTICS -1')


class Migration(migrations.Migration):
    """Lists and searches that stay flat from 100 to 100,000 documents.

    The lists' indexes hold only the documents outside the trash (every list and search asks for those alone).
    The orderings' end on the primary key as the orderings do, so a page is read from the index with no sort;
    a list's count (the page leaves uploads out by their state) is an index-only scan of (owner, state), which
    deduplication keeps to a few pages per 100,000 documents. The new indexes are built before the old ones go.
    """

    dependencies = [
        ("documents", "0013_document_date"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "-created", "-id"],
                name="document_live_created",
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "title", "id"],
                name="document_live_title",
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "size_bytes", "id"],
                name="document_live_size",
            ),
        ),
        migrations.AddIndex(
            model_name="document",
            index=models.Index(
                condition=models.Q(("deleted_at__isnull", True)),
                fields=["owner", "state"],
                name="document_live_state",
            ),
        ),
        migrations.RemoveIndex(model_name="document", name="document_owner_created"),
        migrations.RemoveIndex(model_name="document", name="document_owner_title"),
        migrations.RemoveIndex(model_name="document", name="document_owner_size"),
        migrations.RemoveIndex(model_name="document", name="document_owner_state"),
        migrations.RunPython(stop_sampling_search_words, sample_search_words, elidable=False),
    ]
