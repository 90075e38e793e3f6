"""The complaint page and its decisions (§7): every decision goes through the services; every
refusal (not claimed, claimed by another, no note, wrong state, appeal window) is a message
and changes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.models import Compensation, Complaint, Liability
from tests import factories
from tickets import services as ticket_services
from tickets.models import TicketState

from .helpers import appealed, claimed, decide_url, page, pending, texts, upheld

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_facts_and_what_upholding_would_cost(reviewer_client, reviewer):
    complaint = claimed(reviewer, amount=Decimal("300.00"))
    html = reviewer_client.get(page(complaint)).content.decode()
    ticket = complaint.ticket
    assert ticket.order.order_no in html
    assert ticket.shop.code in html
    assert ticket.reply_reason.label in html  # the reason the merchant gave
    assert "平台已代您发起投诉" in html  # what the buyer was told
    assert 'id="rv-timeline-table"' in html and "reviewer-a" in html  # the claim's actor
    # §8 Taobao: 5 % of ¥300 = ¥15.00 in cash, and 3 points
    assert "¥15.00" in html
    assert "3 penalty points" in html
    assert 'value="uphold"' in html and 'value="dismiss"' in html and 'value="release"' in html


def test_no_points_are_previewed_after_proactive_compensation(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    # a stock-out compensation recorded before the judgment (as second handling would)
    Compensation.objects.create(
        ticket=complaint.ticket,
        kind="stockout",
        amount=Decimal("5.00"),
        payout="cash",
        created_at=timezone.now() - dt.timedelta(minutes=1),
    )
    html = reviewer_client.get(page(complaint)).content.decode()
    assert "0 penalty points" in html


def test_uphold_with_a_note_records_liability_and_finishes_the_ticket(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    response = reviewer_client.post(
        decide_url(complaint), {"decision": "uphold", "note": "no stock, no reason"}
    )
    assert response.status_code == 302 and response.url == page(complaint)
    complaint.refresh_from_db()
    assert complaint.state == "upheld" and complaint.decision_note == "no stock, no reason"
    assert complaint.decided_by == reviewer
    liability = Liability.objects.get(complaint=complaint)
    assert liability.points == 3 and liability.compensation.amount == Decimal("5.00")
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.state == TicketState.AWAITING_SETTLEMENT
    assert any("upheld" in t for t in texts(response))
    html = reviewer_client.get(page(complaint)).content.decode()
    assert 'id="rv-decision-form"' not in html
    assert "no stock, no reason" in html


def test_dismiss_with_a_note_gives_no_liability(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    reviewer_client.post(decide_url(complaint), {"decision": "dismiss", "note": "carrier strike"})
    complaint.refresh_from_db()
    assert complaint.state == "dismissed"
    assert not Liability.objects.filter(complaint=complaint).exists()


@pytest.mark.parametrize("note", ["", "   "])
def test_a_decision_without_a_note_is_refused(reviewer_client, reviewer, note):
    complaint = claimed(reviewer)
    response = reviewer_client.post(decide_url(complaint), {"decision": "uphold", "note": note})
    assert response.status_code == 302
    assert any("needs a note" in t for t in texts(response))
    complaint.refresh_from_db()
    assert complaint.state == "in_review"
    assert not Liability.objects.exists()


def test_a_complaint_not_claimed_cannot_be_decided(reviewer_client):
    complaint = pending()
    html = reviewer_client.get(page(complaint)).content.decode()
    assert 'value="claim"' in html and 'value="uphold"' not in html
    response = reviewer_client.post(decide_url(complaint), {"decision": "uphold", "note": "x"})
    assert any("Claim the complaint before deciding it" in t for t in texts(response))
    complaint.refresh_from_db()
    assert complaint.state == "pending"


def test_a_complaint_claimed_by_another_shows_the_holder_and_refuses_decisions(
    reviewer_client, other_reviewer
):
    complaint = claimed(other_reviewer)
    html = reviewer_client.get(page(complaint)).content.decode()
    assert 'id="rv-held"' in html and "reviewer-b" in html
    assert 'id="rv-decision-form"' not in html
    for decision in ("uphold", "dismiss", "release", "claim"):
        response = reviewer_client.post(
            decide_url(complaint), {"decision": decision, "note": "mine now"}
        )
        assert any("claimed by reviewer-b" in t for t in texts(response)), decision
    complaint.refresh_from_db()
    assert complaint.state == "in_review" and complaint.assignee == other_reviewer


def test_a_refused_decision_keeps_the_note_for_the_next_try(reviewer_client, other_reviewer):
    complaint = claimed(other_reviewer)
    reviewer_client.post(decide_url(complaint), {"decision": "uphold", "note": "long reasoning"})
    # the page does not offer the form to a non-holder, so check the kept note by releasing
    complaint_services.complaint_release(complaint_id=complaint.pk, reviewer=other_reviewer)
    reviewer_client.post(decide_url(complaint), {"decision": "claim"})
    html = reviewer_client.get(page(complaint)).content.decode()
    assert "long reasoning" in html


def test_a_decided_complaint_cannot_be_decided_again(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    reviewer_client.post(decide_url(complaint), {"decision": "dismiss", "note": "fine"})
    response = reviewer_client.post(decide_url(complaint), {"decision": "uphold", "note": "no"})
    assert any("already" in t for t in texts(response))
    complaint.refresh_from_db()
    assert complaint.state == "dismissed"
    assert not Liability.objects.exists()


def test_claim_and_release_from_the_page(reviewer_client, reviewer):
    complaint = pending()
    reviewer_client.post(decide_url(complaint), {"decision": "claim"})
    complaint.refresh_from_db()
    assert complaint.state == "in_review" and complaint.assignee == reviewer
    reviewer_client.post(decide_url(complaint), {"decision": "release"})
    complaint.refresh_from_db()
    assert complaint.state == "pending" and complaint.assignee is None


def test_grant_appeal_reverses_the_liability(reviewer_client, reviewer):
    complaint = appealed(reviewer)
    html = reviewer_client.get(page(complaint)).content.decode()
    assert 'value="grant_appeal"' in html and 'value="deny_appeal"' in html
    assert "the buyer asked us to wait" in html
    reviewer_client.post(decide_url(complaint), {"decision": "grant_appeal", "note": "proof ok"})
    complaint.refresh_from_db()
    assert complaint.state == "overturned"
    assert Liability.objects.get(complaint=complaint).reversed_at is not None


def test_deny_appeal_makes_the_decision_final(reviewer_client, reviewer):
    complaint = appealed(reviewer)
    reviewer_client.post(decide_url(complaint), {"decision": "deny_appeal", "note": "no proof"})
    complaint.refresh_from_db()
    assert complaint.state == "upheld_final"
    assert Liability.objects.get(complaint=complaint).reversed_at is None


def test_an_appeal_decision_needs_a_note(reviewer_client, reviewer):
    complaint = appealed(reviewer)
    response = reviewer_client.post(decide_url(complaint), {"decision": "grant_appeal"})
    assert any("needs a note" in t for t in texts(response))
    complaint.refresh_from_db()
    assert complaint.state == "appealed"


def test_after_the_appeal_window_there_is_no_appeal_to_decide(reviewer_client, reviewer):
    complaint = upheld(reviewer)
    with time_machine.travel(complaint.appeal_due_at + dt.timedelta(minutes=1), tick=False):
        reviewer_client.force_login(reviewer)  # a month later: a fresh session
        html = reviewer_client.get(page(complaint)).content.decode()
        assert "closed at" in html
        assert 'value="grant_appeal"' not in html
        response = reviewer_client.post(
            decide_url(complaint), {"decision": "grant_appeal", "note": "late appeal"}
        )
    assert any("Only an appealed complaint" in t for t in texts(response))
    complaint.refresh_from_db()
    assert complaint.state == "upheld"


def test_the_appeal_window_is_shown_open_while_it_is(reviewer_client, reviewer):
    complaint = upheld(reviewer)
    html = reviewer_client.get(page(complaint)).content.decode()
    assert "open until" in html


def test_operations_read_the_page_but_cannot_decide(ops_client):
    complaint = pending()
    html = ops_client.get(page(complaint)).content.decode()
    assert complaint.ticket.order.order_no in html
    assert 'id="rv-decision-form"' not in html
    response = ops_client.post(decide_url(complaint), {"decision": "claim"})
    assert any("Only reviewers" in t for t in texts(response))
    complaint.refresh_from_db()
    assert complaint.state == "pending"


def test_bad_decision_input_changes_nothing(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    for data in ({"decision": "delete"}, {}, {"decision": "uphold", "note": "x" * 5000}):
        response = reviewer_client.post(decide_url(complaint), data)
        assert response.status_code == 302
    assert reviewer_client.get(decide_url(complaint)).status_code == 405
    assert reviewer_client.post(decide_url(Complaint(pk=999999)), {}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.state == "in_review"


def test_the_ticket_completes_once_the_order_is_settled(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    reviewer_client.post(decide_url(complaint), {"decision": "uphold", "note": "late"})
    ticket = complaint.ticket
    ticket_services.order_settle(
        order_no=ticket.order.order_no, settlement="shipped", at=timezone.now()
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.COMPLETED
    html = reviewer_client.get(page(complaint)).content.decode()
    assert str(TicketState.COMPLETED.label) in html


def test_evidence_is_listed_through_the_permission_checked_view(reviewer_client, reviewer):
    ticket = factories.agreed()
    shop = ticket.shop
    shop.second_handling_since = ticket.created_at - dt.timedelta(days=1)
    shop.save()
    ticket_services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="buyer changed address twice",
        evidence=[
            factories.upload(),
            factories.upload("deal.pdf", factories.PDF, "application/pdf"),
        ],
    )
    complaint = ticket.complaints.get()
    html = reviewer_client.get(page(complaint)).content.decode()
    assert "proof.png" in html and "deal.pdf" in html
    assert "buyer changed address twice" in html
    try:
        url = reverse("merchant:evidence", args=[complaint.evidence.first().pk])
    except NoReverseMatch:
        assert "evidence view is not installed" in html
    else:
        assert url in html
        # the merchant pages' evidence view serves platform staff too
        assert reviewer_client.get(url).status_code == 200
