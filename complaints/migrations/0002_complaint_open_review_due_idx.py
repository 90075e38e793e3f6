"""§16: open complaints past their review target and open complaints by kind, from an index."""

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
                fields=["review_due_at", "kind"],
                name="complaint_open_review_due_idx",
            ),
        ),
    ]
