"""§4 `settle` and `complaint_finished`: the order shipped or was refunded. A ticket completes
only when the order has settled and any complaint of it is finished."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints import services as cs
from tests import factories as f
from tickets import services
from tickets.exceptions import Conflict, NotFound, ValidationError
from tickets.models import MessageKind, Order, Settlement, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db

SETTLE_SOURCES = [
    "awaiting_reply",
    "awaiting_buyer",
    "agreed",
    "compensated",
    "awaiting_settlement",
]


def settle(ticket, settlement="shipped", *, at=None, actor=None):
    return services.order_settle(
        order_no=ticket.order.order_no, settlement=settlement, at=at, actor=actor
    )


def ticket_logs(ticket):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=ticket.pk
    ).order_by("id")


@pytest.mark.parametrize("settlement", Settlement.values)
@pytest.mark.parametrize("state", SETTLE_SOURCES)
def test_settle_from_every_allowed_state_completes_the_ticket(state, settlement):
    ticket = f.ticket_in(state, at=timezone.now() - dt.timedelta(hours=1))
    order_system = f.UserFactory(groups=["order_system"])
    at = timezone.now()

    order = settle(ticket, settlement, at=at, actor=order_system)

    ticket.refresh_from_db()
    assert ticket.state == S.COMPLETED
    assert (ticket.settlement, ticket.settled_at, ticket.completed_at) == (settlement, at, at)
    field = "shipped_at" if settlement == "shipped" else "refunded_at"
    assert getattr(order, field) == at
    assert ticket.messages.filter(kind=MessageKind.COMPLETED).count() == 1
    log = ticket_logs(ticket).last()
    assert (log.transition, log.source_state, log.state) == ("settle", state, S.COMPLETED)
    assert log.by == order_system


def test_settlement_is_the_first_action_of_an_unreplied_ticket():
    ticket = f.urged(at=timezone.now() - dt.timedelta(hours=3))
    at = timezone.now()
    settle(ticket, at=at)
    ticket.refresh_from_db()
    assert ticket.first_action_at == at


def test_settlement_reported_before_the_urge_counts_at_the_urge():
    created = timezone.now() - dt.timedelta(hours=1)
    ticket = f.urged(at=created)
    settle(ticket, at=created - dt.timedelta(hours=5))
    ticket.refresh_from_db()
    assert ticket.state == S.COMPLETED
    assert ticket.first_action_at == created


def test_settlement_during_platform_review_is_recorded_and_the_ticket_waits(reviewer):
    ticket = f.ticket_in("platform_review")
    at = timezone.now()

    settle(ticket, "refunded", at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    assert (ticket.settlement, ticket.settled_at) == ("refunded", at)
    assert ticket.completed_at is None
    assert not ticket.messages.filter(kind=MessageKind.COMPLETED).exists()
    log = ticket_logs(ticket).last()
    assert (log.transition, log.source_state, log.state) == (
        "record_settlement",
        S.PLATFORM_REVIEW,
        S.PLATFORM_REVIEW,
    )

    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    decided = timezone.now()
    cs.complaint_dismiss(complaint_id=complaint.pk, reviewer=reviewer, note="ok", at=decided)

    ticket.refresh_from_db()
    assert ticket.state == S.COMPLETED
    assert ticket.completed_at == decided
    assert ticket.messages.filter(kind=MessageKind.COMPLETED).count() == 1
    log = ticket_logs(ticket).last()
    assert (log.transition, log.state, log.by) == ("complaint_finished", S.COMPLETED, None)


@pytest.mark.parametrize("decision", ["uphold", "dismiss"])
def test_complaint_finished_without_settlement_awaits_settlement(decision, reviewer):
    ticket = f.ticket_in("platform_review")
    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    getattr(cs, f"complaint_{decision}")(complaint_id=complaint.pk, reviewer=reviewer, note="n")

    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_SETTLEMENT
    assert ticket.completed_at is None
    assert not ticket.messages.filter(kind=MessageKind.COMPLETED).exists()

    settle(ticket)
    ticket.refresh_from_db()
    assert ticket.state == S.COMPLETED


def test_settling_the_same_event_twice_changes_nothing():
    ticket = f.urged(at=timezone.now() - dt.timedelta(hours=2))
    first = timezone.now() - dt.timedelta(minutes=30)
    settle(ticket, at=first)
    order_before = Order.objects.filter(pk=ticket.order_id).values().get()
    before = f.footprint(ticket)

    settle(ticket, at=timezone.now())

    assert f.footprint(ticket) == before
    assert Order.objects.filter(pk=ticket.order_id).values().get() == order_before


def test_a_refund_after_shipment_is_refused_and_changes_nothing():
    """§17: an order is settled once; the other event afterwards is a conflict."""
    ticket = f.urged(at=timezone.now() - dt.timedelta(hours=2))
    settle(ticket, "shipped", at=timezone.now() - dt.timedelta(hours=1))
    before = f.footprint(ticket)
    with pytest.raises(Conflict):
        settle(ticket, "refunded", at=timezone.now())
    assert f.footprint(ticket) == before
    ticket.refresh_from_db()
    assert ticket.settlement == "shipped"
    assert ticket.order.refunded_at is None


def test_a_second_event_during_review_is_refused_and_keeps_the_first_settlement():
    ticket = f.ticket_in("platform_review", at=timezone.now() - dt.timedelta(hours=2))
    first = timezone.now() - dt.timedelta(hours=1)
    settle(ticket, "shipped", at=first)
    before = f.footprint(ticket)
    with pytest.raises(Conflict):
        settle(ticket, "refunded", at=timezone.now())
    assert f.footprint(ticket) == before
    ticket.refresh_from_db()
    assert (ticket.settlement, ticket.settled_at) == ("shipped", first)


def test_settle_with_an_event_time_in_the_future_is_refused():
    ticket = f.urged()
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        settle(ticket, at=timezone.now() + dt.timedelta(hours=1))
    assert error.value.field == "at"
    assert f.footprint(ticket) == before
    order = Order.objects.get(pk=ticket.order_id)
    assert order.shipped_at is None


def test_settle_a_little_ahead_of_our_clock_is_accepted():
    ticket = f.urged(at=timezone.now() - dt.timedelta(hours=1))
    settle(ticket, at=timezone.now() + dt.timedelta(minutes=1))
    ticket.refresh_from_db()
    assert ticket.state == S.COMPLETED


def test_settlement_of_an_order_without_an_open_ticket_is_only_recorded_on_the_order():
    order = f.OrderFactory()
    before = f.footprint()
    at = timezone.now()
    services.order_settle(order_no=order.order_no, settlement="shipped", at=at)
    order.refresh_from_db()
    assert order.shipped_at == at
    assert f.footprint() == before
    assert not Ticket.objects.filter(order=order).exists()


@pytest.mark.parametrize("settlement", ["", None, "delivered", "SHIPPED"])
def test_settle_with_an_unknown_event_type_is_refused(settlement):
    order = f.OrderFactory()
    with pytest.raises(ValidationError) as error:
        services.order_settle(order_no=order.order_no, settlement=settlement, at=None)
    assert error.value.field == "type"
    order.refresh_from_db()
    assert order.shipped_at is None and order.refunded_at is None


def test_settle_an_unknown_order_is_not_found():
    with pytest.raises(NotFound):
        services.order_settle(order_no="NOPE", settlement="shipped", at=None)


def test_completion_needs_both_settlement_and_a_finished_complaint(reviewer):
    ticket = f.ticket_in("platform_review")
    settle(ticket)
    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW  # settled, complaint open
    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW  # claimed is not finished
    cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    ticket.refresh_from_db()
    assert ticket.state == S.COMPLETED  # upheld counts as finished
