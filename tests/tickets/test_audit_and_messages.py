"""§4/§10: every transition, human or automatic, writes an audit row (who — NULL for the
system —, when, from, to, transition, JSON payload); buyer-visible events write a message in the
same transaction. A service that fails leaves neither."""

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints import services as cs
from tests import factories as f
from tickets import outbox, services
from tickets.models import BuyerMessage, MessageKind, Ticket, platform_today
from tickets.models import TicketState as S
from tickets.selectors import ticket_timeline, ticket_timelines

pytestmark = pytest.mark.django_db


def ticket_logs(ticket):
    return list(
        StateLog.objects.filter(
            content_type=ContentType.objects.get_for_model(Ticket), object_id=ticket.pk
        ).order_by("id")
    )


def test_every_step_of_a_ticket_life_is_audited_with_its_actor_and_payload(reviewer):
    at = timezone.now() - dt.timedelta(hours=3)
    ticket = f.urged(shop=f.rolled_out_shop(), at=at)
    merchant = f.staff_of(ticket)
    services.ticket_reply(
        ticket_id=ticket.pk,
        actor=merchant,
        plan="ship_later",
        reason="stock_shortage",
        ship_by=platform_today(at) + dt.timedelta(days=2),
        note="restocking",
        at=at + dt.timedelta(minutes=1),
    )
    services.ticket_buyer_respond(
        ticket_id=ticket.pk, buyer=ticket.buyer, accept=True, at=at + dt.timedelta(minutes=2)
    )
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=merchant,
        plan="buyer_fault",
        note="wrong address",
        evidence=[f.upload()],
        at=at + dt.timedelta(minutes=3),
    )
    complaint = ticket.complaints.get()
    cs.complaint_claim(
        complaint_id=complaint.pk, reviewer=reviewer, at=at + dt.timedelta(minutes=4)
    )
    cs.complaint_uphold(
        complaint_id=complaint.pk, reviewer=reviewer, note="late", at=at + dt.timedelta(minutes=5)
    )
    services.order_settle(order_no=ticket.order.order_no, settlement="shipped", at=None)

    rows = ticket_logs(ticket)
    assert [(r.transition, r.source_state, r.state) for r in rows] == [
        ("urge", None, S.AWAITING_REPLY),
        ("reply", S.AWAITING_REPLY, S.AWAITING_BUYER),
        ("accept", S.AWAITING_BUYER, S.AGREED),
        ("claim_buyer_fault", S.AGREED, S.PLATFORM_REVIEW),
        ("complaint_finished", S.PLATFORM_REVIEW, S.AWAITING_SETTLEMENT),
        ("settle", S.AWAITING_SETTLEMENT, S.COMPLETED),
    ]
    assert [r.by for r in rows] == [ticket.buyer, merchant, ticket.buyer, merchant, None, None]
    payloads = [json.loads(r.description) for r in rows]
    assert payloads[1] == {
        "plan": "ship_later",
        "reason": "stock_shortage",
        "ship_by": (platform_today(at) + dt.timedelta(days=2)).isoformat(),
        "note": "restocking",
    }
    assert payloads[2] == {"accept": True}
    assert payloads[3]["evidence"] == ["proof.png"]
    assert payloads[4] == {"complaint": complaint.pk}
    assert [r.timestamp for r in rows[:5]] == [
        at + dt.timedelta(minutes=m) for m in (0, 1, 2, 3, 5)
    ]

    timeline = ticket_timeline(ticket)
    assert [(e.subject, e.transition) for e in timeline] == [
        ("ticket", "urge"),
        ("ticket", "reply"),
        ("ticket", "accept"),
        ("ticket", "claim_buyer_fault"),
        ("complaint", "file"),
        ("complaint", "claim"),
        ("complaint", "uphold"),
        ("ticket", "complaint_finished"),
        ("ticket", "settle"),
    ]
    file_entry = timeline[4]
    assert file_entry.actor == merchant  # the merchant filed the buyer-fault claim
    assert timeline[-1].actor_name == "system"
    # Many tickets' timelines in one query (event bodies): the same entries, ticket by ticket.
    other = f.urged(shop=ticket.shop)
    many = Ticket.objects.prefetch_related("complaints").filter(pk__in=[ticket.pk, other.pk])
    assert ticket_timelines(many) == {ticket.pk: timeline, other.pk: ticket_timeline(other)}

    kinds = list(BuyerMessage.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds == [
        MessageKind.TICKET_OPENED,
        MessageKind.REPLY,
        MessageKind.BUYER_RESPONSE,
        MessageKind.COMPLAINT_FILED,
        MessageKind.COMPENSATION,
        MessageKind.COMPLAINT_DECIDED,
        MessageKind.COMPLETED,
    ]


@pytest.mark.parametrize(
    ("service", "transition"),
    [
        (services.ticket_reply_timeout, "reply_timeout"),
        (services.ticket_buyer_silence, "buyer_silence"),
        (services.ticket_missed_ship_date, "missed_ship_date"),
    ],
)
def test_automatic_transitions_are_audited_as_the_system(service, transition):
    state = {
        "reply_timeout": "awaiting_reply",
        "buyer_silence": "awaiting_buyer",
        "missed_ship_date": "agreed",
    }[transition]
    ticket = f.ticket_in(state)
    service(ticket_id=ticket.pk, at=timezone.now() + dt.timedelta(days=60))
    row = ticket_logs(ticket)[-1]
    assert (row.transition, row.by, json.loads(row.description)) == (transition, None, {})


def test_messages_go_to_the_tickets_buyer_with_the_order_number():
    ticket = f.ticket_in("platform_review")
    for message in BuyerMessage.objects.filter(ticket=ticket):
        assert message.buyer_id == ticket.buyer_id
        assert message.payload["order_no"] == ticket.order.order_no
        assert message.payload["ticket"] == ticket.pk
        assert message.delivered_at is None


def test_messages_ask_for_delivery_only_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        f.urged()
    assert callbacks, "no delivery was scheduled after commit"


# -- a failing service leaves nothing ------------------------------------------------------


class Boom(Exception):
    pass


def explode(*args, **kwargs):
    raise Boom


def test_a_reply_whose_complaint_cannot_be_filed_leaves_no_audit_row_and_no_message(
    monkeypatch,
):
    ticket = f.urged()
    before = f.footprint(ticket)
    monkeypatch.setattr(services, "complaint_file", explode)
    with pytest.raises(Boom):
        services.ticket_reply(
            ticket_id=ticket.pk,
            actor=f.staff_of(ticket),
            plan="cannot_ship",
            reason="stock_shortage",
        )
    assert f.footprint(ticket) == before
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_REPLY and ticket.replied_at is None


def test_a_transition_whose_message_cannot_be_written_is_rolled_back(monkeypatch):
    ticket = f.ticket_in("awaiting_buyer")
    before = f.footprint(ticket)
    monkeypatch.setattr(services, "message_buyer", explode)
    with pytest.raises(Boom):
        services.ticket_buyer_silence(ticket_id=ticket.pk, at=ticket.buyer_due_at)
    assert f.footprint(ticket) == before


def test_an_uphold_whose_compensation_fails_leaves_the_complaint_in_review(monkeypatch, reviewer):
    ticket = f.ticket_in("platform_review")
    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    before = f.footprint(ticket)
    monkeypatch.setattr(cs, "compensation_create", explode)
    with pytest.raises(Boom):
        cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    assert f.footprint(ticket) == before
    complaint.refresh_from_db()
    assert complaint.state == "in_review" and complaint.decided_at is None


def test_a_second_handling_whose_evidence_cannot_be_saved_leaves_nothing(monkeypatch):
    ticket = f.ticket_in("agreed")
    before = f.footprint(ticket)
    monkeypatch.setattr(services, "evidence_attach", explode)
    with pytest.raises(Boom):
        services.ticket_second_handling(
            ticket_id=ticket.pk,
            actor=f.staff_of(ticket),
            plan="buyer_fault",
            note="n",
            evidence=[f.upload()],
        )
    assert f.footprint(ticket) == before


def test_outbox_texts_cover_every_message_kind():
    assert set(outbox.TEXTS) == set(MessageKind.values)
