"""Decisions: the form, the words each decision carries for the complaint's kind, the
confirmation every irreversible decision asks for, the service each one calls, and the view
they post to. The services lock the row and refuse a complaint held by someone else; this only
maps their refusals to messages."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import roles
from tickets.exceptions import DomainError
from tickets.policy import late_shipment_terms

from .. import services
from ..models import OPEN_STATES, Complaint, ComplaintKind, Decision, DecisionTemplate
from .display import as_id

DECISIONS_WITH_NOTE = tuple(Decision.values)
# Decisions that cannot be undone from the desk: each asks for confirmation first (§18).
IRREVERSIBLE = DECISIONS_WITH_NOTE
SESSION_NOTE = "review-note-%s"
SESSION_NOTE_ERROR = "review-note-error-%s"

LABELS = {
    "claim": gettext_lazy("Claim"),
    "release": gettext_lazy("Release"),
    **{value: label for value, label in Decision.choices},
}

# What upholding and dismissing mean depends on who claims what (§18): on a buyer-fault claim
# the merchant is the one asserting, so upholding the complaint rejects the merchant's evidence.
KIND_LABELS = {
    ComplaintKind.BUYER_FAULT_CLAIM: {
        "uphold": gettext_lazy("The merchant's evidence fails: the merchant is liable"),
        "dismiss": gettext_lazy("The merchant's evidence holds: no liability"),
    },
}


def decision_label(decision: str, kind: str) -> str:
    """The words of a decision's button for a complaint of `kind`."""
    return str(KIND_LABELS.get(kind, {}).get(decision, LABELS[decision]))


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=list(LABELS.items()))
    note = forms.CharField(
        label=gettext_lazy("Decision note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    confirmed = forms.BooleanField(required=False)

    def clean(self):
        data = super().clean()
        if data.get("decision") in DECISIONS_WITH_NOTE and not (data.get("note") or "").strip():
            self.add_error("note", _("A decision needs a note: say why, for the merchant."))
        return data


def run_decision(decision: str, *, complaint_id, reviewer, note: str) -> Complaint:
    """One decision through its service (the only place its rules live)."""
    if decision == "claim":
        return services.complaint_claim(complaint_id=complaint_id, reviewer=reviewer)
    if decision == "release":
        return services.complaint_release(complaint_id=complaint_id, reviewer=reviewer)
    service = {
        "uphold": services.complaint_uphold,
        "dismiss": services.complaint_dismiss,
        "grant_appeal": services.complaint_grant_appeal,
        "deny_appeal": services.complaint_deny_appeal,
    }[decision]
    return service(complaint_id=complaint_id, reviewer=reviewer, note=note)


def success_text(decision: str, complaint: Complaint) -> str:
    texts = {
        "claim": _("Complaint #%(id)s is yours: judge it, or release it to the queue."),
        "release": _("Complaint #%(id)s is back in the queue."),
        "uphold": _("Complaint #%(id)s upheld: liability recorded, the buyer is told."),
        "dismiss": _("Complaint #%(id)s dismissed: no liability, the buyer is told."),
        "grant_appeal": _("Appeal of complaint #%(id)s granted: the liability is reversed."),
        "deny_appeal": _("Appeal of complaint #%(id)s denied: the decision is final."),
    }
    return texts[decision] % {"id": complaint.pk}


def consequence_text(decision: str) -> str:
    """What confirming does, said before it is done."""
    return {
        "uphold": _(
            "The merchant is held liable: penalty points and a compensation to the buyer, "
            "who is told. The ticket finishes; the merchant may appeal."
        ),
        "dismiss": _(
            "No liability. The buyer is told, the ticket finishes, and the decision is final."
        ),
        "grant_appeal": _(
            "The liability is reversed, its points and compensation with it. This is final."
        ),
        "deny_appeal": _("The upheld decision stands. This is final."),
    }[decision]


# The state machine's transitions that reviewers take (appeal is the merchant's).
REVIEWER_TRANSITIONS = ("claim", "uphold", "dismiss", "release", "grant_appeal", "deny_appeal")
HOLDER_ONLY = ("uphold", "dismiss", "release")


def available_decisions(complaint: Complaint, user) -> list[str]:
    """The decisions this reviewer can take now: the transitions the state machine allows
    from the current state, those of a claimed complaint only for its holder. The services
    still check each one when it is posted."""
    if not roles.is_reviewer(user):
        return []
    allowed = {t.name for t in complaint.get_available_state_transitions()}
    held_by_user = complaint.assignee_id == user.pk
    return [
        name
        for name in REVIEWER_TRANSITIONS
        if name in allowed and (held_by_user or name not in HOLDER_ONLY)
    ]


def _confirmation(model_admin, request, complaint_id, decision, note):
    """The confirmation page of an irreversible decision: the case, the decision in the
    kind's words, the note, what it will do; confirming posts the same decision again."""
    complaint = get_object_or_404(
        Complaint.objects.select_related("ticket__order", "ticket__shop", "ticket__policy"),
        pk=complaint_id,
    )
    terms = points = None
    if decision == "uphold" and complaint.state in OPEN_STATES:
        ticket = complaint.ticket
        terms = late_shipment_terms(ticket.policy, ticket.order.amount)
        points = services.liability_points(complaint=complaint, at=timezone.now())
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": Complaint._meta,
        "title": _("Confirm the decision on complaint #%(id)s") % {"id": complaint.pk},
        "complaint": complaint,
        "decision": decision,
        "decision_label": decision_label(decision, complaint.kind),
        "consequence": consequence_text(decision),
        "note": note,
        "terms": terms,
        "points": points,
        "change_url": reverse("admin:complaints_complaint_change", args=[complaint.pk]),
        "is_nav_sidebar_enabled": False,
    }
    return TemplateResponse(request, "admin/complaints/complaint/confirm_decision.html", context)


def decide(model_admin, request, object_id):
    """POST a decision: the form checks the note is there, an irreversible decision is shown
    for confirmation first, and the service checks the rest once confirmed."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    change_url = reverse("admin:complaints_complaint_change", args=[object_id])
    complaint = get_object_or_404(Complaint.objects.only("pk", "kind"), pk=as_id(object_id))
    if not model_admin.has_view_permission(request, complaint):
        return TemplateResponse(request, "admin/404.html", status=404)
    if not model_admin.has_review_permission(request):
        model_admin.message_user(request, _("Only reviewers decide complaints."), messages.ERROR)
        return HttpResponseRedirect(change_url)
    if "insert_template" in request.POST:
        # Without JavaScript, the canned note is put into the note here, after what was typed.
        note = request.POST.get("note", "").replace("\r\n", "\n")[:4000]
        template = (
            DecisionTemplate.objects.for_complaint(complaint)
            .filter(pk=as_id(request.POST.get("template", "")))
            .first()
        )
        if template is not None:
            note = f"{note.rstrip()}\n{template.text}" if note.strip() else template.text
        request.session[SESSION_NOTE % complaint.pk] = note
        return HttpResponseRedirect(change_url + "#rv-decision")
    form = DecisionForm(request.POST)
    if not form.is_valid():
        if form.has_error("note"):
            # Shown at the note field itself, not as a banner.
            request.session[SESSION_NOTE_ERROR % complaint.pk] = form.errors["note"][0]
        for field, errors in form.errors.items():
            if field != "note":
                for error in errors:
                    model_admin.message_user(request, error, messages.ERROR)
        return HttpResponseRedirect(change_url)
    # Browsers send a text area's line breaks as CRLF: keep them as the rest of the data has.
    decision, note = form.cleaned_data["decision"], form.cleaned_data["note"].replace("\r\n", "\n")
    if decision in IRREVERSIBLE and not form.cleaned_data["confirmed"]:
        # Back from the confirmation, the note is still there to edit.
        request.session[SESSION_NOTE % complaint.pk] = note
        return _confirmation(model_admin, request, complaint.pk, decision, note)
    try:
        complaint = run_decision(
            decision, complaint_id=complaint.pk, reviewer=request.user, note=note
        )
    except DomainError as error:
        # Keep what the reviewer wrote, so that a refused decision costs no retyping.
        if note:
            request.session[SESSION_NOTE % complaint.pk] = note
        model_admin.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(change_url)
    if decision in DECISIONS_WITH_NOTE:  # the note kept for the confirmation is used up
        request.session.pop(SESSION_NOTE % complaint.pk, None)
    model_admin.message_user(request, success_text(decision, complaint), messages.SUCCESS)
    return HttpResponseRedirect(change_url)
