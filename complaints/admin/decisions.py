"""Decisions: the form, the service each one calls, and the view they post to. The services
lock the row and refuse a complaint held by someone else; this only maps their refusals to
messages."""

from django import forms
from django.contrib import messages
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import roles
from tickets.exceptions import DomainError

from .. import services
from ..models import Complaint
from .display import as_id

DECISIONS_WITH_NOTE = ("uphold", "dismiss", "grant_appeal", "deny_appeal")
SESSION_NOTE = "review-note-%s"


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("claim", gettext_lazy("Claim")),
            ("release", gettext_lazy("Release")),
            ("uphold", gettext_lazy("Uphold")),
            ("dismiss", gettext_lazy("Dismiss")),
            ("grant_appeal", gettext_lazy("Grant the appeal")),
            ("deny_appeal", gettext_lazy("Deny the appeal")),
        ]
    )
    note = forms.CharField(
        label=gettext_lazy("Decision note"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

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


def decide(model_admin, request, object_id):
    """POST a decision: the form checks the note is there, the service checks the rest."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    change_url = reverse("admin:complaints_complaint_change", args=[object_id])
    complaint = get_object_or_404(Complaint.objects.only("pk"), pk=as_id(object_id))
    if not model_admin.has_view_permission(request, complaint):
        return TemplateResponse(request, "admin/404.html", status=404)
    if not model_admin.has_review_permission(request):
        model_admin.message_user(request, _("Only reviewers decide complaints."), messages.ERROR)
        return HttpResponseRedirect(change_url)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                model_admin.message_user(request, error, messages.ERROR)
        return HttpResponseRedirect(change_url)
    decision, note = form.cleaned_data["decision"], form.cleaned_data["note"]
    try:
        complaint = run_decision(
            decision, complaint_id=complaint.pk, reviewer=request.user, note=note
        )
    except DomainError as error:
        # Keep what the reviewer wrote, so that a refused decision costs no retyping.
        if note:
            request.session[SESSION_NOTE % object_id] = note
        model_admin.message_user(request, error.message, messages.ERROR)
        return HttpResponseRedirect(change_url)
    model_admin.message_user(request, success_text(decision, complaint), messages.SUCCESS)
    return HttpResponseRedirect(change_url)
