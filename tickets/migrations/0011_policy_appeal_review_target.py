"""§18: appeals have their own review target, 48 hours from the appeal by default (for the
versions already published too)."""

import datetime

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_reason_buyer_texts_for_every_plan"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="appeal_review_target",
            field=models.DurationField(
                default=datetime.timedelta(days=2), verbose_name="appeal review target"
            ),
        ),
        migrations.AddConstraint(
            model_name="policy",
            constraint=models.CheckConstraint(
                condition=models.Q(("appeal_review_target__gt", datetime.timedelta(0))),
                name="policy_appeal_review_target_positive",
                violation_error_message="The appeal review target must be longer than zero.",
            ),
        ),
    ]
