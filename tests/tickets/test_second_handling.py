"""§6 second handling (二次处理): offered in awaiting_buyer/agreed, once per ticket, behind the
shop rollout gate; `compensate` pays a stock-out compensation with no complaint and no
liability; `buyer_fault` needs a note and 1–5 evidence files and files a complaint."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from complaints import services as cs
from complaints.evidence import MAX_BYTES, EvidenceTooLarge
from complaints.models import (
    Compensation,
    CompensationKind,
    ComplaintKind,
    ComplaintState,
    Evidence,
    Liability,
)
from tests import factories as f
from tickets import services
from tickets.exceptions import DeadlinePassed, InvalidTransition, NotFound, ValidationError
from tickets.models import MessageKind, Payout, Platform, SecondPlan, platform_today
from tickets.models import TicketState as S
from tickets.policy import stockout_terms

pytestmark = pytest.mark.django_db
US = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)


def second(ticket, plan="compensate", *, note="", evidence=(), at=None, actor=None):
    return services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=actor or f.staff_of(ticket),
        plan=plan,
        note=note,
        evidence=evidence,
        at=at,
    )


def claim(ticket, evidence=None, *, note="buyer asked to hold the parcel", **kwargs):
    return second(
        ticket,
        "buyer_fault",
        note=note,
        evidence=[f.upload()] if evidence is None else evidence,
        **kwargs,
    )


@pytest.fixture
def open_shop():
    return f.rolled_out_shop()


# -- compensate ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["awaiting_buyer", "agreed"])
def test_compensate_pays_a_stockout_compensation_without_complaint_or_liability(state):
    ticket = f.ticket_in(state, amount=Decimal("240.00"))
    replied_at = ticket.replied_at
    at = timezone.now()

    ticket = second(ticket, "compensate", note="restock failed", at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.COMPENSATED
    assert ticket.second_handling_plan == SecondPlan.COMPENSATE
    assert ticket.second_handling_note == "restock failed"
    assert ticket.second_handled_at == at
    assert ticket.first_action_at == replied_at  # the reply was the first action
    compensation = Compensation.objects.get(ticket=ticket)
    assert compensation.kind == CompensationKind.STOCKOUT
    assert compensation.complaint is None
    assert compensation.amount == stockout_terms(ticket.policy, ticket.order.amount).amount
    assert compensation.amount == Decimal("12.00")  # 5 % of ¥240 (Taobao)
    assert compensation.payout == Payout.CASH and compensation.points == 0
    assert not ticket.complaints.exists()
    assert not Liability.objects.filter(ticket=ticket).exists()
    message = ticket.messages.get(kind=MessageKind.COMPENSATION)
    assert "缺货赔付" in message.text and "¥12.00" in message.text


def test_compensate_on_tmall_pays_tmall_points():
    shop = f.rolled_out_shop(platform=Platform.TMALL)
    ticket = f.ticket_in("agreed", shop=shop, amount=Decimal("100.00"))
    second(ticket, "compensate")
    compensation = Compensation.objects.get(ticket=ticket)
    assert compensation.amount == Decimal("30.00")  # 30 %
    assert compensation.payout == Payout.TMALL_POINTS
    assert compensation.points == 3000  # ¥30 × 100 points per yuan


def test_compensate_with_evidence_is_refused(open_shop):
    ticket = f.ticket_in("agreed", shop=open_shop)
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        second(ticket, "compensate", evidence=[f.upload()])
    assert error.value.field == "evidence"
    assert f.footprint(ticket) == before


# -- once per ticket, in awaiting_buyer / agreed only ------------------------------------------


def test_second_handling_is_offered_only_once_per_ticket(reviewer):
    ticket = f.ticket_in("agreed")
    claim(ticket)
    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    cs.complaint_dismiss(complaint_id=complaint.pk, reviewer=reviewer, note="evidence holds")
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_SETTLEMENT
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition) as error:
        second(ticket, "compensate")
    assert "already been used" in error.value.message
    assert f.footprint(ticket) == before


def test_second_handling_after_compensation_is_refused():
    ticket = f.ticket_in("compensated")
    with pytest.raises(InvalidTransition) as error:
        claim(ticket)
    assert "already been used" in error.value.message


def test_second_handling_before_a_reply_is_refused():
    ticket = f.ticket_in("awaiting_reply")
    with pytest.raises(InvalidTransition) as error:
        second(ticket, "compensate")
    assert "offered only after" in error.value.message


# -- the rollout gate ----------------------------------------------------------------------------


@pytest.mark.parametrize("plan", ["compensate", "buyer_fault"])
def test_second_handling_in_a_shop_without_the_feature_is_refused(plan):
    ticket = f.agreed()  # factory shops have no second_handling_since
    assert ticket.shop.second_handling_since is None
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition) as error:
        second(ticket, plan, note="n", evidence=[f.upload()] if plan == "buyer_fault" else [])
    assert "not been opened for your shop" in error.value.message
    assert f.footprint(ticket) == before
    assert services.second_handling_refusal(ticket)[1] == error.value.message


def test_ticket_replied_before_the_shop_got_the_feature_is_refused_with_the_reason():
    shop = f.ShopFactory()
    ticket = f.agreed(shop=shop)
    services.shop_enable_second_handling(shops=[shop], at=ticket.replied_at + US)
    ticket.refresh_from_db()
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition) as error:
        second(ticket, "compensate")
    assert "replied to before the feature opened for your shop" in error.value.message
    assert "please settle it with the buyer" in error.value.message
    assert f.footprint(ticket) == before
    refusal = services.second_handling_refusal(ticket)
    assert refusal == (InvalidTransition, error.value.message)


@pytest.mark.parametrize("offset", [dt.timedelta(0), dt.timedelta(hours=1)])
def test_ticket_replied_at_or_after_the_shop_got_the_feature_is_allowed(offset):
    at = timezone.now() - dt.timedelta(hours=2)
    shop = f.ShopFactory()
    ticket = f.urged(shop=shop, at=at)
    services.shop_enable_second_handling(shops=[shop], at=at + dt.timedelta(minutes=5))
    reply_at = at + dt.timedelta(minutes=5) + offset
    services.ticket_reply(
        ticket_id=ticket.pk,
        actor=f.staff_of(ticket),
        plan="exchange_agreed",
        reason="exchange_negotiated",
        ship_by=platform_today(reply_at) + dt.timedelta(days=3),
        at=reply_at,
    )
    ticket.refresh_from_db()
    assert services.second_handling_refusal(ticket) is None
    assert second(ticket, "compensate").state == S.COMPENSATED


# -- the promised date -------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["awaiting_buyer", "agreed"])
def test_second_handling_at_the_ship_deadline_is_refused(state):
    ticket = f.ticket_in(state)
    before = f.footprint(ticket)
    with pytest.raises(DeadlinePassed):
        second(ticket, "compensate", at=ticket.ship_deadline)
    with pytest.raises(DeadlinePassed):
        claim(ticket, at=ticket.ship_deadline + US)
    assert f.footprint(ticket) == before


def test_second_handling_one_microsecond_before_the_ship_deadline_is_accepted():
    ticket = f.ticket_in("agreed")
    assert second(ticket, "compensate", at=ticket.ship_deadline - US).state == S.COMPENSATED


# -- who and what ------------------------------------------------------------------------------


def test_second_handling_by_a_merchant_of_another_shop_is_not_found():
    ticket = f.ticket_in("agreed")
    with pytest.raises(NotFound):
        second(ticket, "compensate", actor=f.merchant())


@pytest.mark.parametrize("plan", ["", None, "ship_later", "refund"])
def test_second_handling_with_an_unknown_plan_is_refused(plan):
    ticket = f.ticket_in("agreed")
    with pytest.raises(ValidationError) as error:
        second(ticket, plan)
    assert error.value.field == "plan"


# -- buyer_fault -------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["awaiting_buyer", "agreed"])
def test_claim_buyer_fault_files_a_complaint_carrying_the_evidence(state, evidence_root):
    ticket = f.ticket_in(state)
    actor = f.staff_of(ticket)
    at = timezone.now()
    files = [f.upload("a.png"), f.upload("b.jpg", f.JPEG, "image/jpeg"), f.upload("c.pdf", f.PDF)]

    ticket = claim(ticket, files, note=" buyer refused delivery ", at=at, actor=actor)

    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    assert ticket.second_handling_plan == SecondPlan.BUYER_FAULT
    assert ticket.second_handling_note == "buyer refused delivery"
    complaint = ticket.complaints.get()
    assert complaint.kind == ComplaintKind.BUYER_FAULT_CLAIM
    assert complaint.state == ComplaintState.PENDING
    assert complaint.filed_by == actor
    assert complaint.merchant_note == "buyer refused delivery"
    evidence = list(complaint.evidence.order_by("id"))
    assert [e.original_name for e in evidence] == ["a.png", "b.jpg", "c.pdf"]
    assert [e.content_type for e in evidence] == ["image/png", "image/jpeg", "application/pdf"]
    assert all(e.ticket_id == ticket.pk and e.uploaded_by == actor for e in evidence)
    assert len(f.stored_files(evidence_root)) == 3
    assert not Compensation.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("note", ["", "   ", None])
def test_claim_buyer_fault_needs_a_note(note, evidence_root):
    ticket = f.ticket_in("agreed")
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        claim(ticket, note=note)
    assert error.value.field == "note"
    assert f.footprint(ticket) == before
    assert f.stored_files(evidence_root) == []


@pytest.mark.parametrize("count", [0, 6])
def test_claim_buyer_fault_with_0_or_6_files_is_refused(count, evidence_root):
    ticket = f.ticket_in("agreed")
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        claim(ticket, [f.upload(f"p{i}.png") for i in range(count)])
    assert error.value.field == "evidence"
    assert f.footprint(ticket) == before
    assert f.stored_files(evidence_root) == []


@pytest.mark.parametrize("count", [1, 5])
def test_claim_buyer_fault_with_1_or_5_files_is_accepted(count, evidence_root):
    ticket = f.ticket_in("agreed")
    claim(ticket, [f.upload(f"p{i}.png") for i in range(count)])
    assert Evidence.objects.filter(ticket=ticket).count() == count
    assert len(f.stored_files(evidence_root)) == count


def test_claim_buyer_fault_with_a_file_over_5_mib_is_refused_and_stores_nothing(evidence_root):
    ticket = f.ticket_in("agreed")
    before = f.footprint(ticket)
    with pytest.raises(EvidenceTooLarge) as error:
        claim(ticket, [f.upload("ok.png"), f.big_upload(MAX_BYTES + 1)])
    assert error.value.code == "too_large"
    assert f.footprint(ticket) == before
    assert f.stored_files(evidence_root) == []


def test_claim_buyer_fault_with_a_file_of_exactly_5_mib_is_accepted(evidence_root):
    ticket = f.ticket_in("agreed")
    claim(ticket, [f.big_upload(MAX_BYTES)])
    evidence = Evidence.objects.get(ticket=ticket)
    assert evidence.size == MAX_BYTES == 5 * 1024 * 1024
    assert f.stored_files(evidence_root)[0].stat().st_size == MAX_BYTES


def test_one_bad_file_among_good_ones_stores_nothing(evidence_root):
    ticket = f.ticket_in("agreed")
    before = f.footprint(ticket)
    files = [f.upload(f"p{i}.png") for i in range(4)] + [f.upload("x.png", b"just text")]
    with pytest.raises(ValidationError):
        claim(ticket, files)
    assert f.footprint(ticket) == before
    assert f.stored_files(evidence_root) == []


def test_the_replied_before_sentence_is_given_in_the_users_language():
    shop = f.ShopFactory()
    ticket = f.agreed(shop=shop)
    services.shop_enable_second_handling(shops=[shop], at=ticket.replied_at + US)
    with translation.override("zh-hans"), pytest.raises(InvalidTransition) as error:
        second(ticket, "compensate")
    assert "请与买家协商解决" in error.value.message
