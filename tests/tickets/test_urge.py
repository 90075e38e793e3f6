"""§4 `ticket_urge` (催发货): one open ticket per order, only for a paid order neither shipped nor
refunded, only by the order's buyer; the policy in force is snapshotted on the ticket."""

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from tests import factories as f
from tickets import services
from tickets.exceptions import InvalidTransition, NotFound
from tickets.models import MessageKind, Policy, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db


def urge(order, buyer=None, at=None):
    return services.ticket_urge(buyer=buyer or order.buyer, order_no=order.order_no, at=at)


def test_urge_opens_a_ticket_awaiting_the_merchant_reply():
    order = f.OrderFactory()
    at = timezone.now()

    ticket, created = urge(order, at=at)

    assert created is True
    assert ticket.state == S.AWAITING_REPLY
    assert (ticket.order, ticket.shop, ticket.buyer) == (order, order.shop, order.buyer)
    assert ticket.created_at == at
    assert ticket.policy == Policy.objects.get(platform=order.shop.platform, version=1)
    assert ticket.reply_due_at == at + dt.timedelta(hours=24)
    log = StateLog.objects.get(
        content_type=ContentType.objects.get_for_model(Ticket), object_id=ticket.pk
    )
    assert (log.transition, log.source_state, log.state) == ("urge", None, S.AWAITING_REPLY)
    assert log.by == order.buyer
    assert log.timestamp == at
    assert json.loads(log.description)["order_no"] == order.order_no
    message = ticket.messages.get()
    assert message.kind == MessageKind.TICKET_OPENED
    assert message.buyer == order.buyer


def test_urging_twice_returns_the_same_ticket():
    order = f.OrderFactory()
    first, created = urge(order)
    before = f.footprint(first)

    second, created_again = urge(order)

    assert created is True and created_again is False
    assert second.pk == first.pk
    assert f.footprint(first) == before
    assert Ticket.objects.filter(order=order).count() == 1


@pytest.mark.parametrize("state", ["awaiting_buyer", "agreed", "platform_review"])
def test_urging_an_order_with_an_open_ticket_in_any_state_returns_it(state):
    ticket = f.ticket_in(state)
    again, created = urge(ticket.order)
    assert (again.pk, created) == (ticket.pk, False)


def test_an_unpaid_order_cannot_be_urged():
    order = f.OrderFactory(paid_at=None)
    before = f.footprint()
    with pytest.raises(InvalidTransition):
        urge(order)
    assert f.footprint() == before
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("field", ["shipped_at", "refunded_at"])
def test_a_shipped_or_refunded_order_cannot_be_urged(field):
    order = f.OrderFactory(**{field: timezone.now()})
    with pytest.raises(InvalidTransition):
        urge(order)
    assert not Ticket.objects.exists()


def test_an_order_whose_ticket_completed_by_settlement_cannot_be_urged_again():
    ticket = f.ticket_in("completed")
    with pytest.raises(InvalidTransition):
        urge(ticket.order)
    assert Ticket.objects.filter(order=ticket.order).count() == 1


def test_another_buyers_order_is_not_found():
    order = f.OrderFactory()
    stranger = f.UserFactory(groups=["buyers"])
    with pytest.raises(NotFound):
        urge(order, buyer=stranger)
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("order_no", ["NOPE", "", None])
def test_an_unknown_order_is_not_found(order_no, buyer):
    with pytest.raises(NotFound):
        services.ticket_urge(buyer=buyer, order_no=order_no)


def test_anonymous_urge_is_not_found():
    from django.contrib.auth.models import AnonymousUser

    order = f.OrderFactory()
    with pytest.raises(NotFound):
        urge(order, buyer=AnonymousUser())
