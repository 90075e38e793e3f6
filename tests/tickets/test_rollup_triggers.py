"""The rollups' triggers come back after any migrate that applied something: SQLite drops a
table's triggers whenever a migration rebuilds that table (most ALTERs there)."""

import pytest
from django.db import connection

from tickets.rollups import ROLLUP_MIGRATION, reinstall_triggers_after_migrate

pytestmark = pytest.mark.django_db


def triggers() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgname LIKE 'tickets_rollup_%%'"
                " AND NOT tgisinternal"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND name LIKE 'tickets_rollup_%'"
            )
        return {name for (name,) in cursor.fetchall()}


def drop(name: str):
    table = "tickets_ticket" if "_tickets_" in name else "complaints_complaint"
    on = f" ON {table}" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}{on}")


class Migration:
    app_label, name = ROLLUP_MIGRATION


EXPECTED = {
    f"tickets_rollup_{table}_{event}"
    for table in ("tickets", "complaints")
    for event in ("insert", "update", "delete")
}


def test_the_migrated_database_has_every_trigger():
    assert triggers() == EXPECTED


def test_a_forward_migrate_puts_dropped_triggers_back():
    for name in EXPECTED:
        drop(name)
    assert triggers() == set()
    reinstall_triggers_after_migrate(None, using="default", plan=[(Migration(), False)])
    assert triggers() == EXPECTED


def test_nothing_applied_or_a_backward_migrate_leaves_them_alone():
    drop("tickets_rollup_tickets_insert")
    reinstall_triggers_after_migrate(None, using="default", plan=[])
    reinstall_triggers_after_migrate(None, using="default", plan=None)
    reinstall_triggers_after_migrate(None, using="default", plan=[(Migration(), True)])
    assert triggers() == EXPECTED - {"tickets_rollup_tickets_insert"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emptying_every_table_rollups_first_leaves_no_rollup_row():
    """Django's flush (every transactional test's teardown) empties the tables in no fixed
    order; with the rollups emptied first, removing a ticket or complaint afterwards must not
    write a new rollup row pointing at a shop that is gone too (SQLite: FOREIGN KEY failed)."""
    from django.core.management.color import no_style

    from tests import factories
    from tickets.models import ShopDay, ShopDayBucket, ShopHourWaiting, ShopOpenComplaints

    factories.urged()
    factories.replied()
    factories.in_review(reviewer=factories.reviewer_user(), kind="cannot_ship")
    assert ShopDay.objects.exists() and ShopOpenComplaints.objects.exists()
    tables = connection.introspection.django_table_names(only_existing=True, include_views=False)
    rollups = [ShopDay, ShopDayBucket, ShopHourWaiting, ShopOpenComplaints]
    first = [model._meta.db_table for model in rollups]
    order = first + sorted(set(tables) - set(first))
    connection.ops.execute_sql_flush(connection.ops.sql_flush(no_style(), order))
    assert [model.objects.count() for model in rollups] == [0, 0, 0, 0]
