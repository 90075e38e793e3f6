"""§4 automatic transitions, one ticket at a time: `reply_timeout`, `buyer_silence`,
`missed_ship_date`. Each refuses before its deadline and acts at it; the system is the actor."""

import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints.models import ComplaintKind
from tests import factories as f
from tickets import services
from tickets.exceptions import InvalidTransition
from tickets.models import MessageKind, Order, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
US = dt.timedelta(microseconds=1)


def last_audit(ticket):
    return (
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Ticket), object_id=ticket.pk
        )
        .order_by("-id")
        .first()
    )


# -- reply_timeout ---------------------------------------------------------------------------


def test_reply_timeout_before_the_deadline_is_refused():
    ticket = f.urged()
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition):
        services.ticket_reply_timeout(ticket_id=ticket.pk, at=ticket.reply_due_at - US)
    assert f.footprint(ticket) == before


def test_reply_timeout_at_the_deadline_files_a_reply_timeout_complaint():
    ticket = f.urged()
    at = ticket.reply_due_at

    services.ticket_reply_timeout(ticket_id=ticket.pk, at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    assert ticket.first_action_at is None  # a timeout is not a merchant action (§9)
    complaint = ticket.complaints.get()
    assert complaint.kind == ComplaintKind.REPLY_TIMEOUT
    assert complaint.filed_at == at and complaint.filed_by is None
    assert ticket.messages.filter(kind=MessageKind.COMPLAINT_FILED).count() == 1
    log = last_audit(ticket)
    assert (log.transition, log.source_state, log.state) == (
        "reply_timeout",
        S.AWAITING_REPLY,
        S.PLATFORM_REVIEW,
    )
    assert log.by is None
    assert log.timestamp == at


def test_reply_timeout_by_default_uses_the_clock():
    start = dt.datetime(2026, 6, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        ticket = f.urged()
    with (
        time_machine.travel(start + dt.timedelta(hours=24) - US, tick=False),
        pytest.raises(InvalidTransition),
    ):
        services.ticket_reply_timeout(ticket_id=ticket.pk)
    with time_machine.travel(start + dt.timedelta(hours=24), tick=False):
        assert services.ticket_reply_timeout(ticket_id=ticket.pk).state == S.PLATFORM_REVIEW


def test_reply_timeout_twice_files_one_complaint():
    ticket = f.urged()
    services.ticket_reply_timeout(ticket_id=ticket.pk, at=ticket.reply_due_at)
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition):
        services.ticket_reply_timeout(ticket_id=ticket.pk, at=ticket.reply_due_at)
    assert f.footprint(ticket) == before
    assert ticket.complaints.count() == 1


# -- buyer_silence ---------------------------------------------------------------------------


def test_buyer_silence_before_buyer_due_at_is_refused():
    ticket = f.replied(plan="ship_later")
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition):
        services.ticket_buyer_silence(ticket_id=ticket.pk, at=ticket.buyer_due_at - US)
    assert f.footprint(ticket) == before


def test_buyer_silence_at_buyer_due_at_deems_the_plan_accepted():
    ticket = f.replied(plan="ship_later")
    at = ticket.buyer_due_at

    services.ticket_buyer_silence(ticket_id=ticket.pk, at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.AGREED
    assert ticket.buyer_accepted is True
    assert ticket.buyer_responded_at is None  # deemed, not answered
    assert not ticket.complaints.exists()
    message = ticket.messages.get(kind=MessageKind.DEEMED_ACCEPTED)
    assert ticket.ship_by.isoformat() in message.text
    assert message.created_at == at
    log = last_audit(ticket)
    assert (log.transition, log.by, log.timestamp) == ("buyer_silence", None, at)


# -- missed_ship_date ------------------------------------------------------------------------


def test_missed_ship_date_before_the_ship_deadline_is_refused():
    ticket = f.agreed()
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition):
        services.ticket_missed_ship_date(ticket_id=ticket.pk, at=ticket.ship_deadline - US)
    assert f.footprint(ticket) == before


def test_missed_ship_date_at_the_ship_deadline_files_a_missed_ship_date_complaint():
    ticket = f.agreed()
    at = ticket.ship_deadline

    services.ticket_missed_ship_date(ticket_id=ticket.pk, at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    complaint = ticket.complaints.get()
    assert complaint.kind == ComplaintKind.MISSED_SHIP_DATE
    assert complaint.filed_at == at and complaint.filed_by is None
    log = last_audit(ticket)
    assert (log.transition, log.by) == ("missed_ship_date", None)


def test_missed_ship_date_after_a_deemed_acceptance():
    ticket = f.replied(plan="ship_later", days=0)
    services.ticket_buyer_silence(ticket_id=ticket.pk, at=ticket.buyer_due_at)
    ticket.refresh_from_db()
    services.ticket_missed_ship_date(
        ticket_id=ticket.pk, at=max(ticket.ship_deadline, ticket.buyer_due_at)
    )
    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    assert ticket.complaints.get().kind == ComplaintKind.MISSED_SHIP_DATE


def test_missed_ship_date_never_files_on_a_settled_order():
    ticket = f.agreed()
    # The settlement reached the order but not (yet) the ticket.
    Order.objects.filter(pk=ticket.order_id).update(shipped_at=timezone.now())
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition):
        services.ticket_missed_ship_date(ticket_id=ticket.pk, at=ticket.ship_deadline)
    assert f.footprint(ticket) == before
