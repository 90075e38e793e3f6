"""A sweep writes exactly the rows the single-ticket service writes for the same ticket:
ticket fields, complaint, audit rows and buyer messages (§4, §10)."""

import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.forms.models import model_to_dict
from django_fsm_log.models import StateLog

from complaints.models import Complaint
from tests import factories
from tickets import services, sweeps
from tickets.audit import load_payload
from tickets.models import BuyerMessage, Ticket

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def snapshot(ticket_id):
    """Everything the ticket's transitions wrote, with the ticket's own ids taken out."""
    ticket = Ticket.objects.get(pk=ticket_id)
    complaints = list(Complaint.objects.filter(ticket=ticket))
    ids = {
        "ticket": {ticket.pk: "<ticket>"},
        "order_no": {ticket.order.order_no: "<order>"},
        "complaint": {c.pk: f"<complaint {c.kind}>" for c in complaints},
    }

    def anon(payload):
        return {k: ids.get(k, {}).get(v, v) for k, v in payload.items()}

    def audit(model, pk):
        rows = StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(model), object_id=pk
        ).order_by("timestamp", "pk")
        return [
            (
                r.timestamp,
                r.by_id,
                r.source_state,
                r.state,
                r.transition,
                anon(load_payload(r.description)),
            )
            for r in rows
        ]

    return {
        "ticket": model_to_dict(ticket, exclude=["id", "order"])
        | {"updated_at": ticket.updated_at},
        "ticket_audit": audit(Ticket, ticket.pk),
        "complaints": [
            (
                model_to_dict(c, exclude=["id", "ticket"]) | {"filed_at": c.filed_at},
                audit(Complaint, c.pk),
            )
            for c in complaints
        ],
        "messages": [
            (
                m.kind,
                m.text,
                anon(m.payload),
                m.created_at,
                m.next_attempt_at,
                m.delivered_at,
                m.attempts,
                m.last_error,
                m.buyer_id,
            )
            for m in BuyerMessage.objects.filter(ticket=ticket).order_by("created_at", "pk")
        ],
    }


def twins(make):
    """Two tickets made alike (same shop, same buyer, same instants)."""
    first = make()
    second = make(shop=first.shop, buyer=first.buyer)
    return first, second


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("make", "deadline", "service", "sweep"),
    [
        (
            lambda **kw: factories.urged(at=T0, **kw),
            "reply_due_at",
            services.ticket_reply_timeout,
            sweeps.sweep_reply_timeouts,
        ),
        (
            lambda **kw: factories.replied(plan="ship_later", at=T0, **kw),
            "buyer_due_at",
            services.ticket_buyer_silence,
            sweeps.sweep_buyer_silence,
        ),
        (
            lambda **kw: factories.agreed(at=T0, days=3, **kw),
            "ship_deadline",
            services.ticket_missed_ship_date,
            sweeps.sweep_missed_ship_dates,
        ),
    ],
    ids=["reply_timeout", "buyer_silence", "missed_ship_date"],
)
def test_sweep_writes_what_the_service_writes(make, deadline, service, sweep):
    with time_machine.travel(T0, tick=False):
        by_service, by_sweep = twins(make)
    due = getattr(by_service, deadline) + dt.timedelta(seconds=1)
    with time_machine.travel(due, tick=False):
        service(ticket_id=by_service.pk, at=due)
        assert sweep(at=due) == 1  # the other one; the first has left the source state
    expected, got = snapshot(by_service.pk), snapshot(by_sweep.pk)
    assert got == expected
    assert got["ticket"]["state"] != by_sweep.state  # it did move
    assert len(got["ticket_audit"]) == len(snapshot(by_sweep.pk)["ticket_audit"]) >= 2
