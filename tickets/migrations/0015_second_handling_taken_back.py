"""§6: second handling taken back from a shop, recorded (who, when, why); replied tickets
keep their entry (`Ticket.second_handling_kept`). Platform staff read the records."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

READERS = ("operations", "reviewers", "review_leads")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to grant them.
    app_config = apps.get_app_config("tickets")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.get(
        content_type__app_label="tickets", codename="view_secondhandlingrevocation"
    )
    for group in apps.get_model("auth", "Group").objects.filter(name__in=READERS):
        group.permissions.add(view)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_admin_labels_in_both_languages"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="second_handling_kept",
            field=models.BooleanField(
                default=False, verbose_name="keeps second handling (taken back from the shop later)"
            ),
        ),
        migrations.CreateModel(
            name="SecondHandlingRevocation",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("had_since", models.DateTimeField(verbose_name="had second handling since")),
                (
                    "revoked_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="taken back at"
                    ),
                ),
                ("reason", models.TextField(verbose_name="why")),
                (
                    "tickets_kept",
                    models.PositiveIntegerField(
                        verbose_name="replied tickets that keep their entry"
                    ),
                ),
                (
                    "revoked_by",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="taken back by",
                    ),
                ),
                (
                    "shop",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="revocations",
                        to="tickets.shop",
                        verbose_name="shop",
                    ),
                ),
            ],
            options={
                "verbose_name": "second handling taken back",
                "verbose_name_plural": "second handling taken back",
                "ordering": ["-revoked_at", "-id"],
            },
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
