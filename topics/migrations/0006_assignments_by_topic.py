import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """A topic's documents from one index: (topic, document) replaces the index of the topic alone.

    A topic filter joins the documents by id and counts them; with the document in the index that side of the
    join never reads the table. The new index is built before the old one goes.
    """

    dependencies = [
        ("topics", "0005_suggestions_and_rejections"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="documenttopic",
            index=models.Index(fields=["topic", "document"], name="document_topic_by_topic"),
        ),
        migrations.AlterField(
            model_name="documenttopic",
            name="topic",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="assignments",
                to="topics.topic",
            ),
        ),
    ]
