"""The ticket timeline (§4) in words: one line per audit row with who, when, what and details."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from complaints.models import ComplaintKind, ComplaintState
from tickets.models import Plan, ReplyReason, SecondPlan, Settlement, TicketState

from ..forms import reason_label

TRANSITIONS = {
    "urge": _("Buyer urged shipment"),
    "reply": _("Merchant replied"),
    "reply_timeout": _("Reply deadline passed"),
    "accept": _("Buyer accepted the plan"),
    "reject": _("Buyer rejected the plan"),
    "buyer_silence": _("Plan deemed accepted (buyer silent)"),
    "compensate": _("Compensated proactively"),
    "claim_buyer_fault": _("Claimed buyer fault"),
    "missed_ship_date": _("Promised ship date missed"),
    "settle": _("Order settled"),
    "record_settlement": _("Order settled during review"),
    "complaint_finished": _("Complaint finished"),
    "file": _("Complaint filed"),
    "claim": _("Reviewer took the complaint"),
    "release": _("Reviewer released the complaint"),
    "uphold": _("Complaint upheld"),
    "dismiss": _("Complaint dismissed"),
    "appeal": _("Merchant appealed"),
    "grant_appeal": _("Appeal granted"),
    "deny_appeal": _("Appeal denied"),
}

DETAIL_LABELS = {
    "plan": _("Plan"),
    "reason": _("Reason"),
    "ship_by": _("Ship by"),
    "note": _("Note"),
    "amount": _("Amount (yuan)"),
    "evidence": _("Evidence"),
    "settlement": _("Settlement"),
    "accept": _("Accepted"),
    "kind": _("Kind"),
}


def _state_label(subject, state):
    if not state:
        return ""
    choices = TicketState if subject == "ticket" else ComplaintState
    try:
        return choices(state).label
    except ValueError:
        return state


def _value(key, value, reasons):
    if key == "plan":
        for choices in (Plan, SecondPlan):
            if value in choices.values:
                return choices(value).label
    if key == "reason" and value in reasons:
        return reason_label(reasons[value])
    if key == "kind" and value in ComplaintKind.values:
        return ComplaintKind(value).label
    if key == "settlement" and value in Settlement.values:
        return Settlement(value).label
    if key == "accept":
        return _("yes") if value else _("no")
    if isinstance(value, list):
        # "a, b" in English, "a、b" in Chinese.
        return pgettext("list separator", ", ").join(str(v) for v in value)
    return value


def timeline_lines(entries) -> list[dict]:
    reasons = {r.code: r for r in ReplyReason.objects.all()}
    lines = []
    for entry in entries:
        details = [
            (DETAIL_LABELS[key], _value(key, entry.payload[key], reasons))
            for key in DETAIL_LABELS
            if entry.payload.get(key) not in (None, "", [])
        ]
        lines.append(
            {
                "at": entry.at,
                "subject": entry.subject,
                "subject_id": entry.subject_id,
                "label": TRANSITIONS.get(entry.transition, entry.transition),
                "actor": entry.actor.get_username() if entry.actor is not None else None,
                "source": _state_label(entry.subject, entry.source_state),
                "target": _state_label(entry.subject, entry.state),
                "details": details,
            }
        )
    return lines
