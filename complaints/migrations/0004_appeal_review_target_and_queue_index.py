"""§18: appeals wait for a reviewer on their own target (the policy's `appeal_review_target`
from the appeal), held in `review_due_at` like a complaint's; the flag sweep's partial index
and the queue's (sorted by time left to target) cover appeals too. Appeals waiting now get
their target from their appeal, flagged afresh by the next sweep."""

from django.conf import settings
from django.db import migrations, models
from django.db.models import ExpressionWrapper, F, OuterRef, Subquery

REVIEW_STATES = ("pending", "in_review", "appealed")


def appeals_on_their_own_target(apps, schema_editor):
    Complaint = apps.get_model("complaints", "Complaint")
    Ticket = apps.get_model("tickets", "Ticket")
    target = Subquery(
        Ticket.objects.filter(pk=OuterRef("ticket_id")).values("policy__appeal_review_target")[:1],
        output_field=models.DurationField(),
    )
    Complaint.objects.filter(state="appealed", appealed_at__isnull=False).update(
        review_due_at=ExpressionWrapper(
            F("appealed_at") + target, output_field=models.DateTimeField()
        ),
        review_overdue_flagged_at=None,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0003_english_choice_labels"),
        ("tickets", "0011_policy_appeal_review_target"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="complaint",
            name="complaint_review_due_idx",
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(
                    ("review_overdue_flagged_at__isnull", True), ("state__in", REVIEW_STATES)
                ),
                fields=["review_due_at"],
                name="complaint_review_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(
                condition=models.Q(("state__in", REVIEW_STATES)),
                fields=["review_due_at", "id"],
                name="complaint_review_target_idx",
            ),
        ),
        migrations.RunPython(appeals_on_their_own_target, migrations.RunPython.noop),
    ]
