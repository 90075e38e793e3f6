"""§18: the group `review_leads`, lead reviewers who assign complaints to reviewers and take
them back. Leads are reviewers too: the group holds the reviewers' permissions (read
everything, work complaints); its members are staff, so that they can log in to the admin."""

from django.db import migrations

LEADS, REVIEWERS = "review_leads", "reviewers"


def create(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    User = apps.get_model("auth", "User")
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    leads, _ = Group.objects.get_or_create(name=LEADS)
    leads.permissions.set(reviewers.permissions.all())
    User.objects.filter(groups=leads).update(is_staff=True)


def remove(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=LEADS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0012_order_no_trigram_index"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create, remove)]
