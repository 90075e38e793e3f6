"""Complaint use cases (§7): filing, claiming, deciding, appealing, and the liability and
compensation they create. Each public service owns its transaction and takes row locks.

Dependencies point one way: this module reads tickets' models and helpers and never imports
`tickets.services` (which calls `complaint_file` and `compensation_create` from here)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import roles
from tickets.audit import SYSTEM, audited, log_creation
from tickets.exceptions import (
    Conflict,
    DeadlinePassed,
    Forbidden,
    InvalidTransition,
    NotFound,
    domain_errors,
)
from tickets.exceptions import ValidationError as DomainValidationError
from tickets.models import MessageKind, Ticket, TicketState
from tickets.outbox import (
    COMPENSATION_TEXTS,
    KIND_TEXTS,
    amount_text,
    message_buyer,
    outcome_text,
)
from tickets.policy import CompensationTerms, late_shipment_terms
from webhooks.events import EventType, complaint_event, ticket_event

from .evidence import CheckedFile
from .models import (
    Compensation,
    CompensationKind,
    Complaint,
    ComplaintKind,
    Evidence,
    Liability,
)
from .models import (
    ComplaintState as C,
)


def complaint_file(
    *, ticket: Ticket, kind: str, at, filed_by=SYSTEM, merchant_note: str = ""
) -> Complaint:
    """代客发起投诉: file a complaint for the ticket's buyer. Called inside the transition's
    transaction by the ticket services; the unique constraints refuse a second complaint of the
    same kind, or a second open one, whoever tries."""
    complaint = Complaint.objects.create(
        ticket=ticket,
        kind=kind,
        filed_at=at,
        filed_by=filed_by,
        merchant_note=merchant_note,
        review_due_at=at + ticket.policy.review_target,
    )
    log_creation(
        complaint,
        transition="file",
        state=C.PENDING,
        actor=filed_by,
        at=at,
        payload={"kind": kind, "ticket": ticket.pk},
    )
    message_buyer(
        ticket=ticket,
        kind=MessageKind.COMPLAINT_FILED,
        at=at,
        payload={"complaint": complaint.pk, "complaint_kind": kind},
        complaint_kind=kind,
        kind_text=KIND_TEXTS[kind],
    )
    complaint_event(EventType.COMPLAINT_FILED, complaint, at=at)
    return complaint


def evidence_attach(*, ticket: Ticket, complaint: Complaint, files: list[CheckedFile], actor, at):
    for checked in files:
        evidence = Evidence(
            ticket=ticket,
            complaint=complaint,
            original_name=checked.original_name,
            content_type=checked.content_type,
            extension=checked.extension,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_by=actor,
            uploaded_at=at,
        )
        evidence.file.save(f"evidence.{checked.extension}", checked.upload, save=False)
        evidence.save()


def compensation_create(
    *, ticket: Ticket, kind: str, terms: CompensationTerms, at, complaint=None
) -> Compensation:
    compensation = Compensation.objects.create(
        ticket=ticket,
        complaint=complaint,
        kind=kind,
        amount=terms.amount,
        payout=terms.payout,
        points=terms.points,
        created_at=at,
    )
    message_buyer(
        ticket=ticket,
        kind=MessageKind.COMPENSATION,
        at=at,
        payload={"compensation": compensation.pk, "amount": str(terms.amount)},
        compensation_kind=COMPENSATION_TEXTS[kind],
        amount_text=amount_text(terms),
    )
    return compensation


# -- reviewer use cases ------------------------------------------------------------------


def _lock(complaint_id) -> Complaint:
    try:
        return (
            Complaint.objects.select_for_update(of=("self",))
            .select_related("ticket__policy", "assignee")
            .get(pk=complaint_id)
        )
    except (Complaint.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such complaint.")) from None


def _require_reviewer(user):
    if not roles.is_reviewer(user):
        raise NotFound(_("No such complaint."))


def _require_note(note: str) -> str:
    note = (note or "").strip()
    if not note:
        raise DomainValidationError(_("A decision needs a note."), field="note")
    return note


def _require_held_by(complaint: Complaint, reviewer):
    if complaint.state == C.PENDING:
        raise InvalidTransition(_("Claim the complaint before deciding it."))
    if complaint.state != C.IN_REVIEW:
        raise InvalidTransition(
            _("The complaint is already %(state)s.") % {"state": complaint.get_state_display()}
        )
    if complaint.assignee_id != reviewer.pk:
        raise Conflict(_("The complaint is claimed by %(name)s.") % {"name": complaint.assignee})


@domain_errors
@transaction.atomic
def complaint_claim(*, complaint_id, reviewer, at=None) -> Complaint:
    """A reviewer takes a pending complaint; it is locked to them until released or decided."""
    _require_reviewer(reviewer)
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    if complaint.state == C.IN_REVIEW:
        if complaint.assignee_id == reviewer.pk:
            return complaint
        raise Conflict(_("The complaint is claimed by %(name)s.") % {"name": complaint.assignee})
    if complaint.state != C.PENDING:
        raise InvalidTransition(
            _("The complaint is already %(state)s.") % {"state": complaint.get_state_display()}
        )
    with audited(complaint, actor=reviewer, at=at):
        complaint.claim(by=reviewer, at=at)
    complaint.save()
    return complaint


@domain_errors
@transaction.atomic
def complaint_release(*, complaint_id, reviewer, at=None) -> Complaint:
    """The holder gives the complaint back to the queue."""
    _require_reviewer(reviewer)
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    if complaint.state != C.IN_REVIEW:
        raise InvalidTransition(_("Only a complaint in review can be released."))
    if complaint.assignee_id != reviewer.pk:
        raise Conflict(_("The complaint is claimed by %(name)s.") % {"name": complaint.assignee})
    with audited(complaint, actor=reviewer, at=at):
        complaint.release()
    complaint.save()
    return complaint


# -- lead reviewers (§18) --------------------------------------------------------------------


def _require_lead(user):
    if not roles.is_reviewer(user):
        raise NotFound(_("No such complaint."))
    if not roles.is_review_lead(user):
        raise Forbidden(_("Only lead reviewers assign complaints and take them back."))


@domain_errors
@transaction.atomic
def complaint_assign(*, complaint_id, lead, reviewer, at=None) -> Complaint:
    """§18: a lead reviewer (group `review_leads`) gives a waiting complaint to a reviewer: the
    claim, on the reviewer's behalf, so the complaint is locked to them as if they had taken
    it. The audit row names the lead as its actor and the reviewer it was assigned to."""
    _require_lead(lead)
    at = at or timezone.now()
    if reviewer is None or not reviewer.is_active or not roles.is_reviewer(reviewer):
        raise DomainValidationError(_("Choose an active reviewer."), field="reviewer")
    complaint = _lock(complaint_id)
    if complaint.state == C.IN_REVIEW:
        if complaint.assignee_id == reviewer.pk:
            return complaint
        raise Conflict(
            _("The complaint is claimed by %(name)s: take it back first.")
            % {"name": complaint.assignee}
        )
    if complaint.state != C.PENDING:
        raise InvalidTransition(
            _("The complaint is already %(state)s.") % {"state": complaint.get_state_display()}
        )
    with audited(complaint, actor=lead, payload={"assigned_to": reviewer.get_username()}, at=at):
        complaint.claim(by=reviewer, at=at)
    complaint.save()
    return complaint


@domain_errors
@transaction.atomic
def complaint_take_back(*, complaint_id, lead, at=None) -> Complaint:
    """§18: a lead reviewer takes a claimed complaint back from whoever holds it, to the queue
    (the release, on the holder's behalf; audited as the lead's, naming the holder)."""
    _require_lead(lead)
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    if complaint.state != C.IN_REVIEW:
        raise InvalidTransition(_("Only a complaint in review can be taken back."))
    holder = complaint.assignee.get_username() if complaint.assignee else ""
    with audited(complaint, actor=lead, payload={"taken_from": holder}, at=at):
        complaint.release()
    complaint.save()
    return complaint


def _finish_ticket(complaint: Complaint, at):
    """§4 `complaint_finished`: completed if the order already settled, else awaiting it."""
    # Lock the ticket only: order_settle locks the order and then the ticket, so locking the
    # order here too (a plain FOR UPDATE over the join) could deadlock with it.
    ticket = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("order")
        .get(pk=complaint.ticket_id)
    )
    with audited(ticket, actor=SYSTEM, payload={"complaint": complaint.pk}, at=at):
        ticket.complaint_finished(at=at)
    ticket.save()
    if ticket.state == TicketState.COMPLETED:
        message_buyer(ticket=ticket, kind=MessageKind.COMPLETED, at=at)
        ticket_event(EventType.TICKET_COMPLETED, ticket, at=at)
    return ticket


def stockouts_before(*, ticket, at):
    """§7: the ticket's proactive compensations paid before `at` (a judgment at `at` then gives
    no points). `ticket` and `at` may be values or `OuterRef`s: the what-if of §19 asks the
    same question of every upheld complaint at once."""
    return Compensation.objects.filter(
        ticket=ticket, kind=CompensationKind.STOCKOUT, created_at__lt=at
    )


def liability_points(*, complaint: Complaint, at) -> int:
    """§7: 3 points by the policy, none if the merchant compensated before the judgment."""
    compensated_before = stockouts_before(ticket=complaint.ticket_id, at=at).exists()
    return 0 if compensated_before else complaint.ticket.policy.points_per_upheld


@domain_errors
@transaction.atomic
def complaint_uphold(*, complaint_id, reviewer, note, at=None) -> Complaint:
    """投诉成立: liability (points and a late-shipment compensation) by the ticket's policy;
    the ticket is finished with it (the appeal window does not hold it open)."""
    _require_reviewer(reviewer)
    note = _require_note(note)
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    _require_held_by(complaint, reviewer)
    ticket = complaint.ticket
    policy = ticket.policy
    with audited(complaint, actor=reviewer, payload={"note": note}, at=at):
        complaint.uphold(by=reviewer, note=note, at=at, appeal_window=policy.appeal_window)
    complaint.save()
    points = liability_points(complaint=complaint, at=at)
    compensation = compensation_create(
        ticket=ticket,
        kind=CompensationKind.LATE_SHIPMENT,
        terms=late_shipment_terms(policy, ticket.order.amount),
        at=at,
        complaint=complaint,
    )
    Liability.objects.create(
        complaint=complaint,
        ticket=ticket,
        shop_id=ticket.shop_id,
        points=points,
        compensation=compensation,
        created_at=at,
    )
    message_buyer(
        ticket=ticket,
        kind=MessageKind.COMPLAINT_DECIDED,
        at=at,
        payload={"complaint": complaint.pk, "outcome": "upheld"},
        complaint_kind=complaint.kind,
        kind_text=KIND_TEXTS[complaint.kind],
        outcome=outcome_text(complaint.kind, "upheld"),
    )
    complaint_event(EventType.COMPLAINT_DECIDED, complaint, at=at)
    _finish_ticket(complaint, at)
    return complaint


@domain_errors
@transaction.atomic
def complaint_dismiss(*, complaint_id, reviewer, note, at=None) -> Complaint:
    """投诉不成立: final; no liability. The ticket is finished with it."""
    _require_reviewer(reviewer)
    note = _require_note(note)
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    _require_held_by(complaint, reviewer)
    with audited(complaint, actor=reviewer, payload={"note": note}, at=at):
        complaint.dismiss(by=reviewer, note=note, at=at)
    complaint.save()
    message_buyer(
        ticket=complaint.ticket,
        kind=MessageKind.COMPLAINT_DECIDED,
        at=at,
        payload={"complaint": complaint.pk, "outcome": "dismissed"},
        complaint_kind=complaint.kind,
        kind_text=KIND_TEXTS[complaint.kind],
        outcome=outcome_text(complaint.kind, "dismissed"),
    )
    complaint_event(EventType.COMPLAINT_DECIDED, complaint, at=at)
    _finish_ticket(complaint, at)
    return complaint


@domain_errors
@transaction.atomic
def complaint_appeal(*, complaint_id, actor, note, at=None) -> Complaint:
    """申诉: a merchant of the shop contests an upheld complaint within the appeal window."""
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    if not roles.is_merchant_of(actor, complaint.ticket.shop_id):
        raise NotFound(_("No such complaint."))
    note = (note or "").strip()
    if not note:
        raise DomainValidationError(_("An appeal needs a note."), field="note")
    if complaint.state != C.UPHELD:
        raise InvalidTransition(
            _("Only an upheld complaint can be appealed; this one is %(state)s.")
            % {"state": complaint.get_state_display()}
        )
    if at >= complaint.appeal_due_at:
        raise DeadlinePassed(
            _("The appeal window closed at %(at)s.")
            % {"at": timezone.localtime(complaint.appeal_due_at).strftime("%Y-%m-%d %H:%M")}
        )
    with audited(complaint, actor=actor, payload={"note": note}, at=at):
        complaint.appeal(
            by=actor, note=note, at=at, review_target=complaint.ticket.policy.appeal_review_target
        )
    complaint.save()
    return complaint


def _decide_appeal(complaint_id, reviewer, note, at, *, grant: bool) -> Complaint:
    _require_reviewer(reviewer)
    note = _require_note(note)
    at = at or timezone.now()
    complaint = _lock(complaint_id)
    if complaint.state != C.APPEALED:
        raise InvalidTransition(
            _("Only an appealed complaint can have its appeal decided; this one is %(state)s.")
            % {"state": complaint.get_state_display()}
        )
    with audited(complaint, actor=reviewer, payload={"note": note}, at=at):
        if grant:
            complaint.grant_appeal(by=reviewer, note=note, at=at)
        else:
            complaint.deny_appeal(by=reviewer, note=note, at=at)
    complaint.save()
    if grant:
        # 申诉成立: the liability is reversed, its points and compensation with it.
        liability = Liability.objects.select_for_update().get(complaint=complaint)
        liability.reversed_at = at
        liability.save(update_fields=["reversed_at"])
        if liability.compensation_id:
            Compensation.objects.filter(pk=liability.compensation_id).update(reversed_at=at)
    complaint_event(EventType.APPEAL_DECIDED, complaint, at=at)
    return complaint


@domain_errors
@transaction.atomic
def complaint_grant_appeal(*, complaint_id, reviewer, note, at=None) -> Complaint:
    """申诉成立: overturned, liability reversed."""
    return _decide_appeal(complaint_id, reviewer, note, at, grant=True)


@domain_errors
@transaction.atomic
def complaint_deny_appeal(*, complaint_id, reviewer, note, at=None) -> Complaint:
    """申诉驳回: the upheld decision stands, final."""
    return _decide_appeal(complaint_id, reviewer, note, at, grant=False)


__all__ = [
    "ComplaintKind",
    "complaint_appeal",
    "complaint_assign",
    "complaint_claim",
    "complaint_deny_appeal",
    "complaint_dismiss",
    "complaint_file",
    "complaint_grant_appeal",
    "complaint_release",
    "complaint_take_back",
    "complaint_uphold",
    "compensation_create",
    "evidence_attach",
    "stockouts_before",
]
