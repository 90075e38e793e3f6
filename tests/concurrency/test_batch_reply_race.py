"""Two batch replies over the same tickets at once, and a batch racing the reply-timeout sweep
at the deadline instant (§14, docs/quality.md): each ticket has exactly one outcome; the losing
side is refused ticket by ticket, never an error, never blocking the rest of its batch."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django_fsm_log.models import StateLog

from complaints.models import Complaint
from tests import factories
from tests.concurrency.test_reply_vs_timeout import T0, run_threads
from tickets import sweeps
from tickets.batch_reply import ticket_batch_reply
from tickets.models import Ticket, TicketState, platform_today

S = TicketState
N = 40


def batch(merchant, ids, at, results):
    def run():
        results.append(
            ticket_batch_reply(
                ticket_ids=ids,
                actor=merchant,
                plan="ship_later",
                reason="stock_shortage",
                ship_by=platform_today(at) + dt.timedelta(days=3),
                at=at,
            )
        )

    return run


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_batches_over_the_same_tickets_reply_each_once(merchant, shop):
    ids = [factories.urged(shop=shop, at=T0).pk for _ in range(N)]
    at = T0 + dt.timedelta(hours=1)
    results = []
    errors = run_threads(
        batch(merchant, ids, at, results), batch(merchant, list(reversed(ids)), at, results)
    )
    assert errors == []
    first, second = results
    assert first.replied + second.replied == N
    for ticket_id in ids:
        outcomes = [i for r in results for i in r.items if i.ticket == ticket_id]
        assert sorted(i.ok for i in outcomes) == [False, True]
        refusal = next(i for i in outcomes if not i.ok)
        assert refusal.code in ("invalid_transition", "conflict")
    assert set(Ticket.objects.filter(pk__in=ids).values_list("state", flat=True)) == {
        S.AWAITING_BUYER
    }
    ct = ContentType.objects.get_for_model(Ticket)
    replies = StateLog.objects.filter(content_type=ct, object_id__in=ids, transition="reply")
    assert replies.count() == N


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_batch_racing_the_timeout_sweep_has_one_outcome_per_ticket(merchant, shop):
    tickets = [factories.urged(shop=shop, at=T0) for _ in range(N)]
    deadline = tickets[0].reply_due_at
    ids = [t.pk for t in tickets]
    results = []

    def sweep():
        while sweeps.sweep_reply_timeouts(at=deadline, batch_size=1):
            pass

    errors = run_threads(
        batch(merchant, ids, deadline - dt.timedelta(microseconds=1), results), sweep
    )
    assert errors == []
    (result,) = results
    replied = {i.ticket for i in result.items if i.ok}
    timed_out = set(
        Complaint.objects.filter(ticket_id__in=ids, kind="reply_timeout").values_list(
            "ticket_id", flat=True
        )
    )
    assert replied.isdisjoint(timed_out)
    assert replied | timed_out == set(ids)
    for item in result.items:
        if not item.ok:
            assert item.code in ("invalid_transition", "conflict"), item
