"""§18 at scale: a part of 5 characters or more of an order number found through a GIN index of
the number's 5-character pieces (tickets/search.py says why trigrams are not enough for
digits). PostgreSQL only: the function `order_no_grams` and the index `order_no_grams_idx`
on it, built concurrently so that a large orders table keeps taking writes meanwhile. SQLite
searches by scanning."""

from django.db import migrations

GRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION order_no_grams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT substr(upper($1), i, 5)), '{}')
    FROM generate_series(1, length($1) - 4) AS i
$$"""
GRAMS_INDEX = (
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS order_no_grams_idx "
    "ON tickets_order USING gin (order_no_grams(order_no))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(GRAMS_FUNCTION)
        schema_editor.execute(GRAMS_INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX CONCURRENTLY IF EXISTS order_no_grams_idx")
        schema_editor.execute("DROP FUNCTION IF EXISTS order_no_grams(text)")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("tickets", "0019_shop_waiting_rollups"),
    ]

    operations = [migrations.RunPython(create, drop)]
