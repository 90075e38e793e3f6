"""§4 `accept` and `reject`: the buyer answers a ship-later plan before `buyer_due_at`."""

import datetime as dt

import pytest

from complaints.models import ComplaintKind, ComplaintState
from tests import factories as f
from tickets import services
from tickets.exceptions import DeadlinePassed, NotFound
from tickets.models import MessageKind
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
US = dt.timedelta(microseconds=1)


def respond(ticket, accept, *, at=None, buyer=None):
    return services.ticket_buyer_respond(
        ticket_id=ticket.pk, buyer=buyer or ticket.buyer, accept=accept, at=at
    )


def test_accept_agrees_the_plan_and_confirms_to_the_buyer():
    ticket = f.replied(plan="ship_later")
    at = ticket.buyer_due_at - dt.timedelta(hours=1)

    ticket = respond(ticket, True, at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.AGREED
    assert ticket.buyer_accepted is True
    assert ticket.buyer_responded_at == at
    assert not ticket.complaints.exists()
    message = ticket.messages.get(kind=MessageKind.BUYER_RESPONSE)
    assert "接受" in message.text


def test_reject_files_a_plan_rejected_complaint():
    ticket = f.replied(plan="ship_later")
    at = ticket.buyer_due_at - dt.timedelta(hours=1)

    ticket = respond(ticket, False, at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    assert ticket.buyer_accepted is False
    assert ticket.buyer_responded_at == at
    complaint = ticket.complaints.get()
    assert complaint.kind == ComplaintKind.PLAN_REJECTED
    assert complaint.state == ComplaintState.PENDING
    assert complaint.filed_at == at
    assert ticket.messages.filter(kind=MessageKind.COMPLAINT_FILED).count() == 1


@pytest.mark.parametrize("accept", [True, False])
def test_buyer_answer_at_buyer_due_at_is_refused(accept):
    ticket = f.replied(plan="ship_later")
    before = f.footprint(ticket)
    with pytest.raises(DeadlinePassed):
        respond(ticket, accept, at=ticket.buyer_due_at)
    assert f.footprint(ticket) == before


@pytest.mark.parametrize("accept", [True, False])
def test_buyer_answer_one_microsecond_before_buyer_due_at_is_accepted(accept):
    ticket = f.replied(plan="ship_later")
    ticket = respond(ticket, accept, at=ticket.buyer_due_at - US)
    assert ticket.state == (S.AGREED if accept else S.PLATFORM_REVIEW)


def test_another_buyer_cannot_answer_the_plan():
    ticket = f.replied(plan="ship_later")
    stranger = f.UserFactory(groups=["buyers"])
    before = f.footprint(ticket)
    with pytest.raises(NotFound):
        respond(ticket, False, buyer=stranger)
    assert f.footprint(ticket) == before


def test_the_merchant_cannot_answer_for_the_buyer():
    ticket = f.replied(plan="ship_later")
    with pytest.raises(NotFound):
        respond(ticket, True, buyer=f.staff_of(ticket))
