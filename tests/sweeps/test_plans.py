"""The sweeps claim through the partial indexes shaped for them (§12: the cost follows what is
due, not what is open): PostgreSQL's own plan for each claim, on a table shaped like
production (many open tickets in the three waiting states, a few due) with fresh statistics."""

import datetime as dt

import pytest
from django.db import connection

from complaints.sweeps import past_review_target
from tests.concurrency.bulk import due_tickets
from tickets import sweeps

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def open_tickets():
    """3,000 open tickets, a third in each waiting state, deadlines spread over the next 16
    hours with 3 of each state already due."""
    ids = due_tickets(3000, due_at=AT)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE tickets_ticket SET
              state = CASE mod(id, 3) WHEN 0 THEN 'awaiting_reply' WHEN 1 THEN 'awaiting_buyer'
                      ELSE 'agreed' END,
              reply_due_at = %(at)s + (mod(id, 1000) - 3) * interval '1 minute',
              reply_plan = CASE mod(id, 3) WHEN 0 THEN '' WHEN 1 THEN 'ship_later'
                           ELSE 'exchange_agreed' END,
              ship_by = CASE WHEN mod(id, 3) = 0 THEN NULL ELSE date '2026-03-20' END,
              ship_deadline = CASE WHEN mod(id, 3) = 0 THEN NULL
                              ELSE %(at)s + (mod(id, 1000) - 3) * interval '1 minute' END,
              buyer_due_at = CASE WHEN mod(id, 3) = 1
                             THEN %(at)s + (mod(id, 1000) - 3) * interval '1 minute' END
            WHERE id = ANY(%(ids)s)
            """,
            {"at": AT, "ids": ids},
        )
        cursor.execute("ANALYZE tickets_ticket")
        cursor.execute("ANALYZE tickets_order")
    return ids


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("sweep", "index"),
    [
        ("reply_timeouts", "ticket_reply_due_idx"),
        ("buyer_silence", "ticket_buyer_due_idx"),
        ("missed_ship_dates", "ticket_ship_due_idx"),
    ],
)
def test_each_sweep_claims_through_its_partial_index(open_tickets, sweep, index):
    spec = sweeps.SWEEPS[sweep]
    claim = spec.due(AT).order_by(spec.deadline).values_list("pk", flat=True)[:1000]
    assert index in plan(claim.select_for_update(skip_locked=True, of=("self",)))
    assert spec.due(AT).count() in (3, 4)  # what the plan is for: a few due among thousands


def test_the_review_target_flag_uses_its_partial_index(open_tickets):
    filed_at = AT + dt.timedelta(days=1)
    assert sweeps.sweep_reply_timeouts(at=filed_at) == 1000
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE complaints_complaint")
    due = past_review_target(filed_at).order_by("review_due_at").values_list("pk")[:1000]
    assert "complaint_review_due_idx" in plan(due)
