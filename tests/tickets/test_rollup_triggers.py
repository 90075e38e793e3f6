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
