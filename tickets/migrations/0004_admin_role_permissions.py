"""The admin permissions of the platform roles (§3): reviewers read everything and work
complaints; operations read everything and edit reasons, publish policy versions and roll
second handling out. Members of either group are staff, so that they can log in to the admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = [
    ("tickets", "shop"),
    ("tickets", "shopmembership"),
    ("tickets", "order"),
    ("tickets", "policy"),
    ("tickets", "replyreason"),
    ("tickets", "ticket"),
    ("tickets", "buyermessage"),
    ("tickets", "rolloutschedule"),
    ("complaints", "complaint"),
    ("complaints", "evidence"),
    ("complaints", "compensation"),
    ("complaints", "liability"),
    ("django_fsm_log", "statelog"),
]

GRANTS = {
    "reviewers": [("view", app, model) for app, model in READ]
    # claiming and deciding change the complaint (through the services, never a form save)
    + [("change", "complaints", "complaint")],
    "operations": [("view", app, model) for app, model in READ]
    + [
        ("add", "tickets", "policy"),
        ("change", "tickets", "policy"),
        ("add", "tickets", "replyreason"),
        ("change", "tickets", "replyreason"),
        ("change", "tickets", "shop"),
        ("add", "tickets", "rolloutschedule"),
        ("change", "tickets", "rolloutschedule"),
        ("delete", "tickets", "rolloutschedule"),
    ],
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; create them now to grant them.
    for label in ("tickets", "complaints", "django_fsm_log"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    User = apps.get_model("auth", "User")
    for name, grants in GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = [
            Permission.objects.get(content_type__app_label=app, codename=f"{action}_{model}")
            for action, app, model in grants
        ]
        group.permissions.set(perms)
    User.objects.filter(groups__name__in=list(GRANTS)).update(is_staff=True)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=list(GRANTS)):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_rollout_schedule"),
        ("complaints", "0001_initial"),
        ("django_fsm_log", "0005_description_null"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
