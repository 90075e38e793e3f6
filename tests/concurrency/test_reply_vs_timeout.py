"""A merchant's reply racing the reply-timeout sweep at the deadline instant (docs/quality.md):
exactly one outcome per ticket, never both a reply and a timeout complaint."""

import datetime as dt
import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_fsm_log.models import StateLog

from complaints.models import Complaint
from tests import factories
from tickets import services, sweeps
from tickets.exceptions import Conflict, InvalidTransition
from tickets.models import BuyerMessage, MessageKind, Ticket, TicketState, platform_today

S = TicketState
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
N = 60


def run_threads(*targets):
    errors = []
    barrier = threading.Barrier(len(targets))

    def wrap(target):
        try:
            barrier.wait()
            target()
        except Exception as exc:  # reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrap, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reply_and_timeout_sweep_at_the_deadline_have_exactly_one_outcome(merchant, shop):
    tickets = [factories.urged(shop=shop, at=T0) for _ in range(N)]
    deadline = tickets[0].reply_due_at
    assert all(t.reply_due_at == deadline for t in tickets)
    ids = [t.pk for t in tickets]
    replied, refused = [], []
    just_before = deadline - dt.timedelta(microseconds=1)  # in time, by the merchant's clock
    ship_by = platform_today(deadline) + dt.timedelta(days=3)

    def reply_all(order):
        def run():
            for ticket_id in order:
                try:
                    services.ticket_reply(
                        ticket_id=ticket_id,
                        actor=merchant,
                        plan="ship_later",
                        reason="stock_shortage",
                        ship_by=ship_by,
                        at=just_before,
                    )
                    replied.append(ticket_id)
                except (InvalidTransition, Conflict):
                    refused.append(ticket_id)

        return run

    def sweep():
        while sweeps.sweep_reply_timeouts(at=deadline, batch_size=1):
            pass

    half = N // 2
    errors = run_threads(
        reply_all(ids[:half]),
        reply_all(list(reversed(ids[half:]))),
        sweep,
        sweep,
    )
    assert errors == []
    states = dict(Ticket.objects.filter(pk__in=ids).values_list("pk", "state"))
    timed_out = {pk for pk, state in states.items() if state == S.PLATFORM_REVIEW}
    answered = {pk for pk, state in states.items() if state == S.AWAITING_BUYER}
    assert timed_out | answered == set(ids)
    print(f"replies won {len(answered)}, the sweep {len(timed_out)}, refused {len(refused)}")
    assert answered == set(replied)
    assert set(refused) <= timed_out
    assert len(replied) + len(refused) == N
    # Never both: a complaint only where the reply lost, a reply only where it won.
    complained = set(Complaint.objects.filter(ticket__in=ids).values_list("ticket_id", flat=True))
    assert complained == timed_out
    assert Complaint.objects.filter(ticket__in=ids).count() == len(timed_out)
    assert (
        set(
            Ticket.objects.filter(pk__in=ids, replied_at__isnull=False).values_list("pk", flat=True)
        )
        == answered
    )
    ticket_type = ContentType.objects.get_for_model(Ticket)
    logs = StateLog.objects.filter(content_type=ticket_type, object_id__in=ids)
    assert logs.count() == 2 * N  # the urge and exactly one outcome each
    assert set(logs.filter(transition="reply").values_list("object_id", flat=True)) == answered
    assert (
        set(logs.filter(transition="reply_timeout").values_list("object_id", flat=True))
        == timed_out
    )
    kinds = BuyerMessage.objects.filter(ticket__in=ids).exclude(kind=MessageKind.TICKET_OPENED)
    assert kinds.count() == N
    assert set(kinds.filter(kind=MessageKind.REPLY).values_list("ticket_id", flat=True)) == (
        answered
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_reply_at_the_deadline_instant_is_refused_and_the_sweep_files(merchant, shop):
    ticket = factories.urged(shop=shop, at=T0)
    from tickets.exceptions import DeadlinePassed

    with pytest.raises(DeadlinePassed):
        services.ticket_reply(
            ticket_id=ticket.pk,
            actor=merchant,
            plan="cannot_ship",
            reason="stock_shortage",
            at=ticket.reply_due_at,
        )
    assert sweeps.sweep_reply_timeouts(at=ticket.reply_due_at) == 1
    assert Complaint.objects.get(ticket=ticket).kind == "reply_timeout"
