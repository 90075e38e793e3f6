"""Every figure of §16 is index-shaped (PostgreSQL): with sequential scans priced out, the plan
of each query behind /metrics reads an index, never a table from end to end, so its cost follows
what it counts, not the open tickets (measured at 1,000,000 tickets: docs/operations.md)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from operations import selectors

from .test_metrics import NOW, due_items

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


def test_no_query_behind_the_metrics_scans_a_table():
    due_items()
    with CaptureQueriesContext(connection) as captured:
        selectors.overview(at=NOW)
    statements = [q["sql"] for q in captured.captured_queries]
    assert len(statements) == 5 * 2 + 1 + 2 * 2 + 5 + 1  # as test_metrics counts them
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in statements:
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # The policy versions (a few dozen rows: the reply reminders' longest lead) are
            # the one table read whole.
            plan = plan.replace("Seq Scan on tickets_policy", "")
            assert "Seq Scan" not in plan, f"{sql}\n{plan}"


def test_no_query_behind_the_metrics_joins_the_orders():
    """What is due is read from each deadline's partial index: no join to the orders, a table
    as big as the platform (the missed ship dates' condition on the order holds for every
    agreed ticket: tests/operations/test_due_figures.py). The reply reminders read each due
    ticket's policy (a few rows)."""
    due_items()
    with CaptureQueriesContext(connection) as captured:
        selectors.overview(at=NOW)
    for query in captured.captured_queries:
        assert '"tickets_order"' not in query["sql"], query["sql"]
