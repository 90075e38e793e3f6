"""§16: open complaints of each kind and those past their review target, from an index."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("state__in", ("pending", "in_review"))),
                fields=["kind", "review_due_at"],
                name="complaint_open_kind_due_idx",
            ),
        ),
    ]
