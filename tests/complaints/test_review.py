"""§7 the complaint state machine: claim, release, uphold, dismiss, appeal, grant_appeal,
deny_appeal. Decisions need a note; a claimed complaint is locked to its reviewer; people who
are not reviewers (or not merchants of the shop, for appeals) are told it does not exist."""

import datetime as dt
import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints import services as cs
from complaints.models import (
    Compensation,
    CompensationKind,
    Complaint,
    ComplaintKind,
    Liability,
)
from complaints.models import ComplaintState as C
from tests import factories as f
from tickets import services
from tickets.exceptions import (
    Conflict,
    DeadlinePassed,
    InvalidTransition,
    NotFound,
    ValidationError,
)
from tickets.models import MessageKind
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
US = dt.timedelta(microseconds=1)

COMPLAINT_STATES = list(C.values)


def complaint_in(state, *, reviewer, at=None):
    """A complaint (of a cannot_ship reply) brought to `state` through the services."""
    at = at or timezone.now()
    ticket = f.ticket_in("platform_review", at=at)
    complaint = ticket.complaints.get()
    pk = complaint.pk
    if state != C.PENDING:
        cs.complaint_claim(complaint_id=pk, reviewer=reviewer, at=at)
    if state in (C.UPHELD, C.APPEALED, C.OVERTURNED, C.UPHELD_FINAL):
        cs.complaint_uphold(complaint_id=pk, reviewer=reviewer, note="late", at=at)
    if state == C.DISMISSED:
        cs.complaint_dismiss(complaint_id=pk, reviewer=reviewer, note="fine", at=at)
    if state in (C.APPEALED, C.OVERTURNED, C.UPHELD_FINAL):
        cs.complaint_appeal(complaint_id=pk, actor=f.staff_of(ticket), note="we shipped", at=at)
    if state == C.OVERTURNED:
        cs.complaint_grant_appeal(complaint_id=pk, reviewer=reviewer, note="right", at=at)
    if state == C.UPHELD_FINAL:
        cs.complaint_deny_appeal(complaint_id=pk, reviewer=reviewer, note="no", at=at)
    return Complaint.objects.get(pk=pk)


def complaint_logs(complaint):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Complaint), object_id=complaint.pk
    ).order_by("id")


def test_complaint_in_reaches_every_state(reviewer):
    assert [complaint_in(s, reviewer=reviewer).state for s in COMPLAINT_STATES] == COMPLAINT_STATES


# -- filing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("how", "kind"),
    [
        ("cannot_ship", ComplaintKind.CANNOT_SHIP),
        ("reply_timeout", ComplaintKind.REPLY_TIMEOUT),
        ("reject", ComplaintKind.PLAN_REJECTED),
        ("missed_ship_date", ComplaintKind.MISSED_SHIP_DATE),
        ("buyer_fault", ComplaintKind.BUYER_FAULT_CLAIM),
    ],
)
def test_review_due_at_is_filed_at_plus_48_hours(how, kind):
    if how == "cannot_ship":
        ticket = f.ticket_in("platform_review")
    elif how == "reply_timeout":
        ticket = f.urged()
        services.ticket_reply_timeout(ticket_id=ticket.pk, at=ticket.reply_due_at)
    elif how == "reject":
        ticket = f.ticket_in("awaiting_buyer")
        services.ticket_buyer_respond(ticket_id=ticket.pk, buyer=ticket.buyer, accept=False)
    elif how == "missed_ship_date":
        ticket = f.ticket_in("agreed")
        services.ticket_missed_ship_date(ticket_id=ticket.pk, at=ticket.ship_deadline)
    else:
        ticket = f.ticket_in("agreed")
        services.ticket_second_handling(
            ticket_id=ticket.pk,
            actor=f.staff_of(ticket),
            plan="buyer_fault",
            note="n",
            evidence=[f.upload()],
        )
    complaint = ticket.complaints.get()
    assert complaint.kind == kind
    assert complaint.state == C.PENDING
    assert complaint.review_due_at == complaint.filed_at + dt.timedelta(hours=48)
    assert complaint.is_past_review_target(complaint.review_due_at)
    assert not complaint.is_past_review_target(complaint.review_due_at - US)
    log = complaint_logs(complaint).get()
    assert (log.transition, log.state) == ("file", C.PENDING)


# -- claim and release -----------------------------------------------------------------------


def test_claim_locks_the_complaint_to_the_reviewer(reviewer):
    complaint = complaint_in(C.PENDING, reviewer=reviewer)
    at = timezone.now()
    complaint = cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer, at=at)
    complaint.refresh_from_db()
    assert complaint.state == C.IN_REVIEW
    assert (complaint.assignee, complaint.claimed_at) == (reviewer, at)
    log = complaint_logs(complaint).last()
    assert (log.transition, log.source_state, log.state, log.by) == (
        "claim",
        C.PENDING,
        C.IN_REVIEW,
        reviewer,
    )


def test_claiming_again_by_the_holder_changes_nothing(reviewer):
    complaint = complaint_in(C.IN_REVIEW, reviewer=reviewer)
    before = f.footprint(complaint.ticket)
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    assert f.footprint(complaint.ticket) == before


def test_a_complaint_claimed_by_another_reviewer_refuses_claim(reviewer, other_reviewer):
    complaint = complaint_in(C.IN_REVIEW, reviewer=reviewer)
    with pytest.raises(Conflict) as error:
        cs.complaint_claim(complaint_id=complaint.pk, reviewer=other_reviewer)
    assert error.value.code == "conflict"
    complaint.refresh_from_db()
    assert complaint.assignee == reviewer


def test_release_returns_the_complaint_to_the_queue(reviewer, other_reviewer):
    complaint = complaint_in(C.IN_REVIEW, reviewer=reviewer)
    cs.complaint_release(complaint_id=complaint.pk, reviewer=reviewer)
    complaint.refresh_from_db()
    assert complaint.state == C.PENDING
    assert complaint.assignee is None and complaint.claimed_at is None
    assert complaint_logs(complaint).last().transition == "release"
    # Now another reviewer may take it and decide.
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=other_reviewer)
    cs.complaint_dismiss(complaint_id=complaint.pk, reviewer=other_reviewer, note="ok")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.decided_by) == (C.DISMISSED, other_reviewer)


def test_a_complaint_claimed_by_another_reviewer_refuses_release(reviewer, other_reviewer):
    complaint = complaint_in(C.IN_REVIEW, reviewer=reviewer)
    before = f.footprint(complaint.ticket)
    with pytest.raises(Conflict):
        cs.complaint_release(complaint_id=complaint.pk, reviewer=other_reviewer)
    assert f.footprint(complaint.ticket) == before


@pytest.mark.parametrize("decision", ["uphold", "dismiss"])
def test_a_complaint_claimed_by_another_reviewer_refuses_decisions(
    decision, reviewer, other_reviewer
):
    complaint = complaint_in(C.IN_REVIEW, reviewer=reviewer)
    before = f.footprint(complaint.ticket)
    with pytest.raises(Conflict):
        getattr(cs, f"complaint_{decision}")(
            complaint_id=complaint.pk, reviewer=other_reviewer, note="mine"
        )
    assert f.footprint(complaint.ticket) == before
    complaint.refresh_from_db()
    assert complaint.state == C.IN_REVIEW


@pytest.mark.parametrize("decision", ["uphold", "dismiss"])
def test_an_unclaimed_complaint_cannot_be_decided(decision, reviewer):
    complaint = complaint_in(C.PENDING, reviewer=reviewer)
    with pytest.raises(InvalidTransition):
        getattr(cs, f"complaint_{decision}")(complaint_id=complaint.pk, reviewer=reviewer, note="n")


# -- non-reviewers ---------------------------------------------------------------------------


def _non_reviewers(complaint):
    ops = f.UserFactory(username="ops-x", groups=["operations"])
    return [complaint.ticket.buyer, f.staff_of(complaint.ticket), ops, f.UserFactory()]


REVIEWER_CALLS = {
    "claim": lambda pk, user: cs.complaint_claim(complaint_id=pk, reviewer=user),
    "release": lambda pk, user: cs.complaint_release(complaint_id=pk, reviewer=user),
    "uphold": lambda pk, user: cs.complaint_uphold(complaint_id=pk, reviewer=user, note="n"),
    "dismiss": lambda pk, user: cs.complaint_dismiss(complaint_id=pk, reviewer=user, note="n"),
    "grant_appeal": lambda pk, user: cs.complaint_grant_appeal(
        complaint_id=pk, reviewer=user, note="n"
    ),
    "deny_appeal": lambda pk, user: cs.complaint_deny_appeal(
        complaint_id=pk, reviewer=user, note="n"
    ),
}
REVIEWER_CALL_STATE = {
    "claim": C.PENDING,
    "release": C.IN_REVIEW,
    "uphold": C.IN_REVIEW,
    "dismiss": C.IN_REVIEW,
    "grant_appeal": C.APPEALED,
    "deny_appeal": C.APPEALED,
}


@pytest.mark.parametrize("call", list(REVIEWER_CALLS))
def test_non_reviewers_get_not_found(call, reviewer):
    complaint = complaint_in(REVIEWER_CALL_STATE[call], reviewer=reviewer)
    before = f.footprint(complaint.ticket)
    for user in _non_reviewers(complaint):
        with pytest.raises(NotFound):
            REVIEWER_CALLS[call](complaint.pk, user)
    assert f.footprint(complaint.ticket) == before


@pytest.mark.parametrize("call", list(REVIEWER_CALLS))
def test_a_missing_complaint_is_not_found(call, reviewer):
    for pk in (0, 999999, "x", None):
        with pytest.raises(NotFound):
            REVIEWER_CALLS[call](pk, reviewer)


# -- decisions -------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", list(REVIEWER_CALLS)[2:])
@pytest.mark.parametrize("note", ["", "  ", None])
def test_decisions_need_a_note(decision, note, reviewer):
    complaint = complaint_in(REVIEWER_CALL_STATE[decision], reviewer=reviewer)
    before = f.footprint(complaint.ticket)
    with pytest.raises(ValidationError) as error:
        getattr(cs, f"complaint_{decision}")(
            complaint_id=complaint.pk, reviewer=reviewer, note=note
        )
    assert error.value.field == "note"
    assert f.footprint(complaint.ticket) == before


def test_uphold_creates_the_liability_and_finishes_the_ticket(reviewer):
    complaint = complaint_in(C.IN_REVIEW, reviewer=reviewer)
    ticket = complaint.ticket
    at = timezone.now()

    cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note=" late ", at=at)

    complaint.refresh_from_db()
    assert complaint.state == C.UPHELD
    assert (complaint.decided_by, complaint.decided_at, complaint.decision_note) == (
        reviewer,
        at,
        "late",
    )
    assert complaint.appeal_due_at == at + dt.timedelta(days=30)
    liability = Liability.objects.get(complaint=complaint)
    assert (liability.ticket, liability.shop, liability.points) == (ticket, ticket.shop, 3)
    assert liability.reversed_at is None
    compensation = liability.compensation
    assert compensation.kind == CompensationKind.LATE_SHIPMENT
    assert compensation.complaint == complaint
    assert compensation.amount == ticket.order.amount * ticket.policy.late_rate  # ¥100 × 5 %
    log = complaint_logs(complaint).last()
    assert (log.transition, log.by, json.loads(log.description)) == (
        "uphold",
        reviewer,
        {"note": "late"},
    )
    kinds = set(ticket.messages.values_list("kind", flat=True))
    assert {MessageKind.COMPLAINT_DECIDED, MessageKind.COMPENSATION} <= kinds
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_SETTLEMENT  # upheld counts as finished


def test_dismiss_is_final_without_liability(reviewer):
    complaint = complaint_in(C.IN_REVIEW, reviewer=reviewer)
    cs.complaint_dismiss(complaint_id=complaint.pk, reviewer=reviewer, note="carrier strike")
    complaint.refresh_from_db()
    assert complaint.state == C.DISMISSED
    assert complaint.decision_note == "carrier strike"
    assert complaint.appeal_due_at is None
    assert not Liability.objects.exists()
    assert not Compensation.objects.exists()
    assert complaint.ticket.messages.filter(kind=MessageKind.COMPLAINT_DECIDED).count() == 1
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.state == S.AWAITING_SETTLEMENT


# -- appeals ---------------------------------------------------------------------------------


def test_merchant_appeals_an_upheld_complaint_within_30_days(reviewer):
    complaint = complaint_in(C.UPHELD, reviewer=reviewer)
    merchant = f.staff_of(complaint.ticket)
    at = complaint.appeal_due_at - US
    cs.complaint_appeal(complaint_id=complaint.pk, actor=merchant, note=" we shipped ", at=at)
    complaint.refresh_from_db()
    assert complaint.state == C.APPEALED
    assert (complaint.appealed_by, complaint.appealed_at, complaint.appeal_note) == (
        merchant,
        at,
        "we shipped",
    )
    assert complaint_logs(complaint).last().by == merchant


def test_appeal_at_appeal_due_at_is_refused(reviewer):
    complaint = complaint_in(C.UPHELD, reviewer=reviewer)
    assert complaint.appeal_due_at == complaint.decided_at + dt.timedelta(days=30)
    before = f.footprint(complaint.ticket)
    with pytest.raises(DeadlinePassed):
        cs.complaint_appeal(
            complaint_id=complaint.pk,
            actor=f.staff_of(complaint.ticket),
            note="late appeal",
            at=complaint.appeal_due_at,
        )
    assert f.footprint(complaint.ticket) == before
    complaint.refresh_from_db()
    assert complaint.state == C.UPHELD


@pytest.mark.parametrize("note", ["", " ", None])
def test_appeal_needs_a_note(note, reviewer):
    complaint = complaint_in(C.UPHELD, reviewer=reviewer)
    with pytest.raises(ValidationError) as error:
        cs.complaint_appeal(
            complaint_id=complaint.pk, actor=f.staff_of(complaint.ticket), note=note
        )
    assert error.value.field == "note"


def test_a_merchant_of_another_shop_cannot_appeal(reviewer):
    complaint = complaint_in(C.UPHELD, reviewer=reviewer)
    for outsider in (f.merchant(), complaint.ticket.buyer, reviewer):
        with pytest.raises(NotFound):
            cs.complaint_appeal(complaint_id=complaint.pk, actor=outsider, note="mine")
    complaint.refresh_from_db()
    assert complaint.state == C.UPHELD


@pytest.mark.parametrize(
    "state", [C.PENDING, C.IN_REVIEW, C.DISMISSED, C.APPEALED, C.OVERTURNED, C.UPHELD_FINAL]
)
def test_only_an_upheld_complaint_can_be_appealed(state, reviewer):
    complaint = complaint_in(state, reviewer=reviewer)
    before = f.footprint(complaint.ticket)
    with pytest.raises(InvalidTransition):
        cs.complaint_appeal(complaint_id=complaint.pk, actor=f.staff_of(complaint.ticket), note="n")
    assert f.footprint(complaint.ticket) == before


def test_grant_appeal_overturns_and_reverses_the_liability_and_its_compensation(reviewer):
    complaint = complaint_in(C.APPEALED, reviewer=reviewer)
    ticket_state = complaint.ticket.state
    at = timezone.now()
    cs.complaint_grant_appeal(complaint_id=complaint.pk, reviewer=reviewer, note="proof", at=at)
    complaint.refresh_from_db()
    assert complaint.state == C.OVERTURNED
    assert (complaint.appeal_decided_by, complaint.appeal_decided_at) == (reviewer, at)
    assert complaint.appeal_decision_note == "proof"
    liability = Liability.objects.get(complaint=complaint)
    assert liability.reversed_at == at
    assert liability.compensation.reversed_at == at
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.state == ticket_state  # the ticket was already finished


def test_deny_appeal_makes_the_decision_final(reviewer):
    complaint = complaint_in(C.APPEALED, reviewer=reviewer)
    cs.complaint_deny_appeal(complaint_id=complaint.pk, reviewer=reviewer, note="no proof")
    complaint.refresh_from_db()
    assert complaint.state == C.UPHELD_FINAL
    assert complaint.appeal_decision_note == "no proof"
    liability = Liability.objects.get(complaint=complaint)
    assert liability.reversed_at is None and liability.compensation.reversed_at is None


# -- forbidden sources of the complaint machine -------------------------------------------------


def _calls(reviewer, complaint):
    merchant = f.staff_of(complaint.ticket)
    pk = complaint.pk
    return {
        "claim": lambda: cs.complaint_claim(complaint_id=pk, reviewer=reviewer),
        "release": lambda: cs.complaint_release(complaint_id=pk, reviewer=reviewer),
        "uphold": lambda: cs.complaint_uphold(complaint_id=pk, reviewer=reviewer, note="n"),
        "dismiss": lambda: cs.complaint_dismiss(complaint_id=pk, reviewer=reviewer, note="n"),
        "appeal": lambda: cs.complaint_appeal(complaint_id=pk, actor=merchant, note="n"),
        "grant_appeal": lambda: cs.complaint_grant_appeal(
            complaint_id=pk, reviewer=reviewer, note="n"
        ),
        "deny_appeal": lambda: cs.complaint_deny_appeal(
            complaint_id=pk, reviewer=reviewer, note="n"
        ),
    }


SOURCES = {
    "claim": {C.PENDING, C.IN_REVIEW},  # claiming again by the holder is a no-op
    "release": {C.IN_REVIEW},
    "uphold": {C.IN_REVIEW},
    "dismiss": {C.IN_REVIEW},
    "appeal": {C.UPHELD},
    "grant_appeal": {C.APPEALED},
    "deny_appeal": {C.APPEALED},
}


@pytest.mark.parametrize(
    ("call", "state"),
    [(c, s) for c, sources in SOURCES.items() for s in COMPLAINT_STATES if s not in sources],
)
def test_complaint_service_outside_its_source_states_is_refused(call, state, reviewer):
    complaint = complaint_in(state, reviewer=reviewer)
    before = f.footprint(complaint.ticket)
    with pytest.raises(InvalidTransition):
        _calls(reviewer, complaint)[call]()
    assert f.footprint(complaint.ticket) == before
    complaint.refresh_from_db()
    assert complaint.state == state


def test_the_appeal_window_is_open_until_appeal_due_at(reviewer):
    complaint = complaint_in(C.UPHELD, reviewer=reviewer)
    assert complaint.appeal_window_open(complaint.appeal_due_at - US)
    assert not complaint.appeal_window_open(complaint.appeal_due_at)
    dismissed = complaint_in(C.DISMISSED, reviewer=reviewer)
    assert not dismissed.appeal_window_open(timezone.now())
