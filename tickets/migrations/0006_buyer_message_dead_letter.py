"""The delivery outbox's dead state (§15, §16): a row past its retry horizon is `dead` until
operations redeliver it. Pending rows are now claimed through an index on `next_attempt_at`,
so every pending row gets one (rows written before always had one; this makes sure)."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def every_pending_row_has_a_next_attempt(apps, schema_editor):
    BuyerMessage = apps.get_model("tickets", "BuyerMessage")
    BuyerMessage.objects.filter(delivered_at__isnull=True, next_attempt_at__isnull=True).update(
        next_attempt_at=F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_policy_windows_positive"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="buyermessage",
            name="message_undelivered_idx",
        ),
        migrations.AddField(
            model_name="buyermessage",
            name="dead_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="dead since"),
        ),
        migrations.AddField(
            model_name="buyermessage",
            name="last_status_code",
            field=models.PositiveSmallIntegerField(
                blank=True, null=True, verbose_name="last status code"
            ),
        ),
        migrations.AddField(
            model_name="buyermessage",
            name="retry_until",
            field=models.DateTimeField(
                blank=True,
                help_text="set at the first attempt (and at a redelivery): the retry horizon",
                null=True,
                verbose_name="retried until",
            ),
        ),
        migrations.AddIndex(
            model_name="buyermessage",
            index=models.Index(
                condition=models.Q(("dead_at__isnull", True), ("delivered_at__isnull", True)),
                fields=["next_attempt_at"],
                name="message_pending_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="buyermessage",
            index=models.Index(
                condition=models.Q(("dead_at__isnull", True), ("delivered_at__isnull", True)),
                fields=["created_at"],
                name="message_pending_age_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="buyermessage",
            index=models.Index(
                condition=models.Q(("dead_at__isnull", False)),
                fields=["dead_at"],
                name="message_dead_idx",
            ),
        ),
        migrations.RunPython(every_pending_row_has_a_next_attempt, migrations.RunPython.noop),
    ]
