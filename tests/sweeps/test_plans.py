"""The sweeps' claims can use the partial indexes shaped for them (§12: cost follows what is
due, not what is open). With sequential scans disabled, PostgreSQL falls back to a full scan
only when no index matches the query's predicate; so a plan without the index means the
query and the index have drifted apart."""

import datetime as dt

import pytest
from django.db import connection, transaction

from complaints.sweeps import past_review_target
from tickets import sweeps

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sweep", "index"),
    [
        ("reply_timeouts", "ticket_reply_due_idx"),
        ("buyer_silence", "ticket_buyer_due_idx"),
        ("missed_ship_dates", "ticket_ship_due_idx"),
    ],
)
def test_each_sweep_claims_through_its_partial_index(sweep, index):
    spec = sweeps.SWEEPS[sweep]
    claim = spec.due(AT).order_by(spec.deadline).values_list("pk", flat=True)[:1000]
    assert index in plan(claim.select_for_update(skip_locked=True, of=("self",)))


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_review_target_flag_uses_its_partial_index():
    due = past_review_target(AT).order_by("review_due_at")
    assert "complaint_review_due_idx" in plan(due.values_list("pk")[:1000])
