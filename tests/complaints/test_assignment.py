"""§18: a lead reviewer (group `review_leads`) assigns a complaint to a reviewer (the claim,
on the reviewer's behalf) and takes it back (the release, on the holder's behalf); both are
audited as the lead's. Nobody else may, and a refusal changes nothing."""

import json

import pytest
from django.contrib.contenttypes.models import ContentType
from django_fsm_log.models import StateLog

from complaints import services as cs
from complaints.models import Complaint
from complaints.models import ComplaintState as C
from tests import factories as f
from tickets import roles
from tickets.exceptions import Conflict, Forbidden, InvalidTransition, NotFound, ValidationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(db):
    return f.UserFactory(username="lead-a", groups=["review_leads"])


def waiting():
    return f.ticket_in("platform_review").complaints.get()


def logs(complaint):
    return StateLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Complaint), object_id=complaint.pk
    ).order_by("id")


def test_leads_are_reviewers_too(lead, reviewer):
    assert roles.is_reviewer(lead) and roles.is_review_lead(lead)
    assert roles.is_platform_staff(lead)
    assert roles.is_reviewer(reviewer) and not roles.is_review_lead(reviewer)


def test_a_lead_assigns_a_waiting_complaint_to_a_reviewer(lead, reviewer):
    complaint = waiting()
    cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=reviewer)
    complaint.refresh_from_db()
    assert (complaint.state, complaint.assignee) == (C.IN_REVIEW, reviewer)
    log = logs(complaint).last()
    assert (log.transition, log.by, json.loads(log.description)) == (
        "claim",
        lead,
        {"assigned_to": reviewer.username},
    )
    # the complaint is the reviewer's now: they decide it, nobody else does
    with pytest.raises(Conflict):
        cs.complaint_uphold(complaint_id=complaint.pk, reviewer=lead, note="x")
    cs.complaint_dismiss(complaint_id=complaint.pk, reviewer=reviewer, note="fine")
    assert Complaint.objects.get(pk=complaint.pk).decided_by == reviewer


def test_assigning_again_to_the_holder_changes_nothing(lead, reviewer):
    complaint = waiting()
    cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=reviewer)
    before = logs(complaint).count()
    cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=reviewer)
    assert logs(complaint).count() == before


def test_a_complaint_held_by_another_is_taken_back_before_reassigning(
    lead, reviewer, other_reviewer
):
    complaint = waiting()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=other_reviewer)
    with pytest.raises(Conflict, match="take it back first"):
        cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=reviewer)
    cs.complaint_take_back(complaint_id=complaint.pk, lead=lead)
    complaint.refresh_from_db()
    assert (complaint.state, complaint.assignee) == (C.PENDING, None)
    log = logs(complaint).last()
    assert (log.transition, log.by, json.loads(log.description)) == (
        "release",
        lead,
        {"taken_from": other_reviewer.username},
    )
    cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=reviewer)
    assert Complaint.objects.get(pk=complaint.pk).assignee == reviewer


def test_a_lead_may_assign_to_themselves_or_another_lead(lead):
    complaint = waiting()
    cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=lead)
    assert Complaint.objects.get(pk=complaint.pk).assignee == lead


def test_reviewers_who_are_not_leads_are_refused(reviewer, other_reviewer):
    complaint = waiting()
    with pytest.raises(Forbidden, match="Only lead reviewers"):
        cs.complaint_assign(complaint_id=complaint.pk, lead=reviewer, reviewer=other_reviewer)
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=other_reviewer)
    with pytest.raises(Forbidden):
        cs.complaint_take_back(complaint_id=complaint.pk, lead=reviewer)
    complaint.refresh_from_db()
    assert complaint.assignee == other_reviewer


def test_people_who_are_not_reviewers_are_told_it_does_not_exist(lead):
    complaint = waiting()
    merchant = f.staff_of(complaint.ticket)
    with pytest.raises(NotFound):
        cs.complaint_assign(complaint_id=complaint.pk, lead=merchant, reviewer=lead)


@pytest.mark.parametrize("who", ["merchant", "inactive", "nobody", "ops"])
def test_only_an_active_reviewer_can_be_assigned(lead, who):
    complaint = waiting()
    assignee = {
        "merchant": lambda: f.staff_of(complaint.ticket),
        "inactive": lambda: f.UserFactory(groups=["reviewers"], is_active=False),
        "nobody": lambda: None,
        "ops": lambda: f.UserFactory(groups=["operations"]),
    }[who]()
    with pytest.raises(ValidationError) as refused:
        cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=assignee)
    assert refused.value.field == "reviewer"
    assert Complaint.objects.get(pk=complaint.pk).state == C.PENDING


@pytest.mark.parametrize("state", [C.UPHELD, C.DISMISSED, C.APPEALED])
def test_only_waiting_complaints_are_assigned_and_only_claimed_ones_taken_back(
    lead, reviewer, state
):
    complaint = waiting()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    decide = cs.complaint_dismiss if state == C.DISMISSED else cs.complaint_uphold
    decide(complaint_id=complaint.pk, reviewer=reviewer, note="n")
    if state == C.APPEALED:
        cs.complaint_appeal(complaint_id=complaint.pk, actor=f.staff_of(complaint.ticket), note="a")
    before = logs(complaint).count()
    with pytest.raises(InvalidTransition):
        cs.complaint_assign(complaint_id=complaint.pk, lead=lead, reviewer=reviewer)
    with pytest.raises(InvalidTransition):
        cs.complaint_take_back(complaint_id=complaint.pk, lead=lead)
    assert logs(complaint).count() == before
    assert Complaint.objects.get(pk=complaint.pk).state == state
    with pytest.raises(InvalidTransition):
        cs.complaint_take_back(complaint_id=waiting().pk, lead=lead)  # pending: nothing to take
