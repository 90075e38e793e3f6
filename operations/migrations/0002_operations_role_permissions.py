"""The operations group (tickets 0004) sees and acts on the console (§16) and on the periodic
tasks of django-celery-beat: it may see them and pause or resume them (change), never add or
delete one (the schedule is declared in code). Reviewers get none of it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = [
    ("operations", "view_console"),
    ("operations", "run_sweep"),
    ("operations", "redeliver"),
    ("operations", "view_sweeprun"),
    ("operations", "view_heartbeat"),
    ("django_celery_beat", "view_periodictask"),
    ("django_celery_beat", "change_periodictask"),
    ("django_celery_beat", "view_intervalschedule"),
    ("django_celery_beat", "view_crontabschedule"),
    ("django_celery_beat", "view_solarschedule"),
    ("django_celery_beat", "view_clockedschedule"),
]


def _permissions(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to grant them.
    for label in ("operations", "django_celery_beat"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Permission = apps.get_model("auth", "Permission")
    return [
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in GRANTS
    ]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name="operations")
    group.permissions.add(*_permissions(apps, schema_editor))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="operations"):
        for app, codename in GRANTS:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("operations", "0001_sweep_runs_and_heartbeat"),
        ("tickets", "0004_admin_role_permissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
