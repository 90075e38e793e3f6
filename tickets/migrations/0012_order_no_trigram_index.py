"""§18: a part of an order number found by index on PostgreSQL: pg_trgm and a GIN trigram
index on UPPER(order_no), the expression `order_no__icontains` compares. PostgreSQL only (the
extension operation does nothing elsewhere; SQLite searches by scanning); built concurrently,
so that a large orders table keeps taking writes meanwhile."""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper

ORDER_NO_TRGM = GinIndex(OpClass(Upper("order_no"), name="gin_trgm_ops"), name="order_no_trgm_idx")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(
            apps.get_model("tickets", "Order"), ORDER_NO_TRGM, concurrently=True
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(
            apps.get_model("tickets", "Order"), ORDER_NO_TRGM, concurrently=True
        )


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tickets", "0011_policy_appeal_review_target"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
