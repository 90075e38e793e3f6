"""Labels that read right in both languages (issue 14): the membership inline's headers
(user, created at) are translatable, and a reason's sort field is its "sort position", not an
"order" (which Chinese reads as 订单). Names only: nothing changes in the tables."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0013_review_leads_group"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="replyreason",
            name="sort_order",
            field=models.PositiveSmallIntegerField(default=0, verbose_name="sort position"),
        ),
        migrations.AlterField(
            model_name="shopmembership",
            name="created_at",
            field=models.DateTimeField(
                default=django.utils.timezone.now, verbose_name="created at"
            ),
        ),
        migrations.AlterField(
            model_name="shopmembership",
            name="shop",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to="tickets.shop",
                verbose_name="shop",
            ),
        ),
        migrations.AlterField(
            model_name="shopmembership",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="memberships",
                to=settings.AUTH_USER_MODEL,
                verbose_name="user",
            ),
        ),
    ]
