"""The complaint page and its decisions (§7): every decision goes through the services; every
refusal (not claimed, claimed by another, no note, wrong state, appeal window) is a message
and changes nothing."""

import datetime as dt
import re
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
        decide_url(complaint),
        {"decision": "uphold", "note": "no stock, no reason", "confirmed": "1"},
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
    reviewer_client.post(
        decide_url(complaint), {"decision": "dismiss", "note": "carrier strike", "confirmed": "1"}
    )
    complaint.refresh_from_db()
    assert complaint.state == "dismissed"
    assert not Liability.objects.filter(complaint=complaint).exists()


def note_error(html):
    """The error shown at the note field (not as a banner at the top)."""
    match = re.search(r'<ul class="errorlist" id="rv-note-error"><li>(.*?)</li></ul>', html)
    return match.group(1) if match else None


@pytest.mark.parametrize("note", ["", "   "])
@pytest.mark.parametrize("confirmed", ["", "1"])
def test_a_decision_without_a_note_is_refused_at_the_field(
    reviewer_client, reviewer, note, confirmed
):
    complaint = claimed(reviewer)
    response = reviewer_client.post(
        decide_url(complaint),
        {"decision": "uphold", "note": note, "confirmed": confirmed},
        follow=True,
    )
    html = response.content.decode()
    assert "needs a note" in note_error(html)
    assert not any("needs a note" in t for t in texts(response))  # no banner
    assert 'class="rv-note-field errors"' in html and 'aria-invalid="true"' in html
    complaint.refresh_from_db()
    assert complaint.state == "in_review"
    assert not Liability.objects.exists()
    # once shown, the error is gone from the next visit
    assert note_error(reviewer_client.get(page(complaint)).content.decode()) is None


def test_a_complaint_not_claimed_cannot_be_decided(reviewer_client):
    complaint = pending()
    html = reviewer_client.get(page(complaint)).content.decode()
    assert 'value="claim"' in html and 'value="uphold"' not in html
    response = reviewer_client.post(
        decide_url(complaint), {"decision": "uphold", "note": "x", "confirmed": "1"}
    )
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
            decide_url(complaint), {"decision": decision, "note": "mine now", "confirmed": "1"}
        )
        assert any("claimed by reviewer-b" in t for t in texts(response)), decision
    complaint.refresh_from_db()
    assert complaint.state == "in_review" and complaint.assignee == other_reviewer


def test_a_refused_decision_keeps_the_note_for_the_next_try(reviewer_client, other_reviewer):
    complaint = claimed(other_reviewer)
    reviewer_client.post(
        decide_url(complaint), {"decision": "uphold", "note": "long reasoning", "confirmed": "1"}
    )
    # the page does not offer the form to a non-holder, so check the kept note by releasing
    complaint_services.complaint_release(complaint_id=complaint.pk, reviewer=other_reviewer)
    reviewer_client.post(decide_url(complaint), {"decision": "claim"})
    html = reviewer_client.get(page(complaint)).content.decode()
    assert "long reasoning" in html


def test_a_decided_complaint_cannot_be_decided_again(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    reviewer_client.post(
        decide_url(complaint), {"decision": "dismiss", "note": "fine", "confirmed": "1"}
    )
    response = reviewer_client.post(
        decide_url(complaint), {"decision": "uphold", "note": "no", "confirmed": "1"}
    )
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
    reviewer_client.post(
        decide_url(complaint), {"decision": "grant_appeal", "note": "proof ok", "confirmed": "1"}
    )
    complaint.refresh_from_db()
    assert complaint.state == "overturned"
    assert Liability.objects.get(complaint=complaint).reversed_at is not None


def test_deny_appeal_makes_the_decision_final(reviewer_client, reviewer):
    complaint = appealed(reviewer)
    reviewer_client.post(
        decide_url(complaint), {"decision": "deny_appeal", "note": "no proof", "confirmed": "1"}
    )
    complaint.refresh_from_db()
    assert complaint.state == "upheld_final"
    assert Liability.objects.get(complaint=complaint).reversed_at is None


def test_an_appeal_decision_needs_a_note(reviewer_client, reviewer):
    complaint = appealed(reviewer)
    response = reviewer_client.post(
        decide_url(complaint), {"decision": "grant_appeal", "confirmed": "1"}, follow=True
    )
    assert "needs a note" in note_error(response.content.decode())
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
            decide_url(complaint),
            {"decision": "grant_appeal", "note": "late appeal", "confirmed": "1"},
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
    for data in (
        {"decision": "delete"},
        {},
        {"decision": "uphold", "note": "x" * 5000, "confirmed": "1"},
    ):
        response = reviewer_client.post(decide_url(complaint), data)
        assert response.status_code == 302
    assert reviewer_client.get(decide_url(complaint)).status_code == 405
    assert reviewer_client.post(decide_url(Complaint(pk=999999)), {}).status_code == 404
    complaint.refresh_from_db()
    assert complaint.state == "in_review"


def test_the_ticket_completes_once_the_order_is_settled(reviewer_client, reviewer):
    complaint = claimed(reviewer)
    reviewer_client.post(
        decide_url(complaint), {"decision": "uphold", "note": "late", "confirmed": "1"}
    )
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


# -- §18: the words of each decision, and confirmation before every irreversible one ------


@pytest.mark.parametrize(
    ("make", "decision"),
    [
        ("claimed", "uphold"),
        ("claimed", "dismiss"),
        ("appealed", "grant_appeal"),
        ("appealed", "deny_appeal"),
    ],
)
def test_every_irreversible_decision_asks_for_confirmation_first(
    reviewer_client, reviewer, make, decision
):
    complaint = {"claimed": claimed, "appealed": appealed}[make](reviewer)
    state = complaint.state
    before = factories.footprint(complaint.ticket)
    response = reviewer_client.post(
        decide_url(complaint), {"decision": decision, "note": "seen the proof\nand the dates"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="rv-confirm-button"' in html
    assert 'name="confirmed" value="1"' in html
    assert f'name="decision" value="{decision}"' in html
    assert "seen the proof<br>and the dates" in html  # the note, as it will be sent
    # nothing is decided yet
    complaint.refresh_from_db()
    assert complaint.state == state
    assert factories.footprint(complaint.ticket) == before
    # going back keeps the note to edit
    assert "seen the proof\nand the dates" in reviewer_client.get(page(complaint)).content.decode()
    # confirming decides
    response = reviewer_client.post(
        decide_url(complaint),
        {"decision": decision, "note": "seen the proof\nand the dates", "confirmed": "1"},
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state != state


def test_the_confirmation_says_what_upholding_costs(reviewer_client, reviewer):
    complaint = claimed(reviewer, amount=Decimal("300.00"))
    html = reviewer_client.post(
        decide_url(complaint), {"decision": "uphold", "note": "late"}
    ).content.decode()
    assert "3 penalty points" in html and "¥15.00" in html
    assert "merchant is held liable" in html


def test_claim_and_release_need_no_confirmation(reviewer_client):
    complaint = pending()
    response = reviewer_client.post(decide_url(complaint), {"decision": "claim"})
    assert response.status_code == 302
    assert Complaint.objects.get(pk=complaint.pk).state == "in_review"
    html = reviewer_client.get(page(complaint)).content.decode()
    # claim and release leave the (required) note empty without the browser stopping them
    assert re.search(r'value="release" class="rv-btn-release" formnovalidate', html)


def buyer_fault_claim(reviewer, *, evidence=("proof.png",)):
    ticket = factories.ticket_in("agreed")
    ticket_services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="the buyer asked to hold the parcel",
        evidence=[factories.upload(name) for name in evidence],
    )
    complaint = ticket.complaints.get()
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    return complaint


def test_buttons_say_what_the_decision_means_for_a_buyer_fault_claim(reviewer_client, reviewer):
    complaint = buyer_fault_claim(reviewer)
    html = reviewer_client.get(page(complaint)).content.decode()
    assert ">The merchant&#x27;s evidence fails: the merchant is liable</button>" in html
    assert ">The merchant&#x27;s evidence holds: no liability</button>" in html
    assert ">Uphold</button>" not in html
    html = reviewer_client.post(
        decide_url(complaint), {"decision": "dismiss", "note": "the chat log shows it"}
    ).content.decode()
    assert "Confirm: The merchant&#x27;s evidence holds: no liability" in html
    # other kinds keep the plain words
    other = claimed(reviewer)
    html = reviewer_client.get(page(other)).content.decode()
    assert ">Uphold</button>" in html and ">Dismiss</button>" in html


def test_the_buyer_fault_wording_in_chinese(reviewer_client, reviewer, compiled_messages):
    complaint = buyer_fault_claim(reviewer)
    reviewer_client.cookies["django_language"] = "zh-hans"
    html = reviewer_client.get(page(complaint)).content.decode()
    assert ">商家举证不成立，判商家责任</button>" in html
    assert ">商家举证成立，不判责</button>" in html
