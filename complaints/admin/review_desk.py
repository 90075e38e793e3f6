"""The complaint queue and the complaint page (§7, §11, §18): claim and release in bulk, take
the next case, leads' assignments, and the review panel with every fact a reviewer needs, the
evidence beside the decision, the canned notes and the decisions open now."""

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import roles
from tickets.admin.display import admin_link, badge, local, timeline_rows
from tickets.exceptions import DomainError
from tickets.models import PLATFORM_TZ, Platform
from tickets.paging import CappedCountPaginator
from tickets.policy import late_shipment_terms
from tickets.search import tickets_matching

from .. import services
from ..models import (
    OPEN_STATES,
    REVIEW_STATES,
    Complaint,
    ComplaintKind,
    ComplaintState,
    DecisionTemplate,
    Evidence,
    Liability,
)
from ..selectors import reviewers_with_load
from .decisions import (
    DECISIONS_WITH_NOTE,
    SESSION_NOTE,
    SESSION_NOTE_ERROR,
    available_decisions,
    decide,
    decision_label,
    run_decision,
    success_text,
)
from .display import STATE_COLOURS, age_text, as_id, evidence_url, time_left, time_left_text
from .filters import HolderFilter, PastTargetFilter, QueueFilter, ShopFilter
from .records import stream_csv

C = ComplaintState


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = (
        "case",
        "kind_label",
        "state_badge",
        "order_link",
        "shop_link",
        "platform",
        "filed",
        "time_to_target",
        "holder",
    )
    list_display_links = ("case",)
    list_filter = (
        QueueFilter,
        "kind",
        ("ticket__shop__platform", admin.ChoicesFieldListFilter),
        ShopFilter,
        PastTargetFilter,
        HolderFilter,
    )
    list_select_related = ("ticket__order", "ticket__shop", "assignee")
    search_fields = ("ticket__order__order_no", "ticket__shop__code", "ticket__shop__name")
    search_help_text = gettext_lazy(
        "An order number or any part of it (3 characters or more), or a shop's code or name."
    )
    # Least time left to target first (§18), through `complaint_review_target_idx`.
    ordering = ("review_due_at", "id")
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
    actions = ("claim_selected", "release_selected", "take_back_selected")
    change_list_template = "admin/complaints/complaint/change_list.html"
    change_form_template = "admin/complaints/complaint/change_form.html"

    # -- permissions: nothing is edited by form; reviewing is its own permission --------
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_review_permission(self, request):
        user = request.user
        return user.has_perm("complaints.change_complaint") and roles.is_reviewer(user)

    def has_lead_permission(self, request):
        """Lead reviewers (§18) assign complaints and take them back."""
        return self.has_review_permission(request) and roles.is_review_lead(request.user)

    # -- the queue ------------------------------------------------------------------------
    def get_search_results(self, request, queryset, search_term):
        """Any part of an order number, a shop's code or a part of its name (`tickets.search`:
        exact by the unique index, parts by the trigram index)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(ticket__in=tickets_matching(term)), False

    @admin.display(description=gettext_lazy("case"), ordering="id")
    def case(self, obj):
        return f"#{obj.pk}"

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_label(self, obj):
        return obj.get_kind_display()

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def state_badge(self, obj):
        return badge(obj.get_state_display(), STATE_COLOURS.get(obj.state, "#555"))

    @admin.display(description=gettext_lazy("order"), ordering="ticket__order__order_no")
    def order_link(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("shop"), ordering="ticket__shop__code")
    def shop_link(self, obj):
        url = reverse("admin:complaints_complaint_changelist") + f"?shop={obj.ticket.shop_id}"
        return format_html(
            '<a href="{}" title="{}">{}</a>', url, _("This shop's complaints"), obj.ticket.shop.code
        )

    @admin.display(description=gettext_lazy("platform"), ordering="ticket__shop__platform")
    def platform(self, obj):
        return obj.ticket.shop.get_platform_display()

    @admin.display(description=gettext_lazy("filed at"), ordering="filed_at")
    def filed(self, obj):
        return local(obj.filed_at)

    @admin.display(description=gettext_lazy("time to target"), ordering="review_due_at")
    def time_to_target(self, obj):
        """What waits for a reviewer (a complaint, or an appeal against its own target):
        the time left, negative in red once past; what is decided: how long it took."""
        if obj.state in REVIEW_STATES:
            return time_left(obj.review_due_at, timezone.now())
        if obj.decided_at:
            return _("decided after %(age)s") % {"age": age_text(obj.filed_at, obj.decided_at)}
        return "—"

    @admin.display(description=gettext_lazy("claimed by"), ordering="assignee__username")
    def holder(self, obj):
        if obj.state != C.IN_REVIEW or obj.assignee is None:
            return "—"
        return obj.assignee.get_username()

    # -- actions: loop over the service, report every refusal ----------------------------
    def _loop(self, request, queryset, decision):
        done, refused = 0, []
        for complaint_id in queryset.order_by("filed_at", "id").values_list("pk", flat=True):
            try:
                if decision == "take_back":
                    services.complaint_take_back(complaint_id=complaint_id, lead=request.user)
                else:
                    run_decision(
                        decision, complaint_id=complaint_id, reviewer=request.user, note=""
                    )
            except DomainError as error:
                refused.append(f"#{complaint_id}: {error.message}")
            else:
                done += 1
        if done:
            text = {
                "claim": _("Claimed %(n)d complaint(s); they are yours until decided or released."),
                "release": _("Released %(n)d complaint(s) to the queue."),
                "take_back": _("Took %(n)d complaint(s) back to the queue."),
            }[decision]
            self.message_user(request, text % {"n": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.ERROR)

    @admin.action(permissions=["review"], description=gettext_lazy("Claim selected complaints"))
    def claim_selected(self, request, queryset):
        self._loop(request, queryset, "claim")

    @admin.action(permissions=["review"], description=gettext_lazy("Release selected complaints"))
    def release_selected(self, request, queryset):
        self._loop(request, queryset, "release")

    @admin.action(
        permissions=["lead"],
        description=gettext_lazy("Take selected complaints back from their reviewers"),
    )
    def take_back_selected(self, request, queryset):
        self._loop(request, queryset, "take_back")

    # -- extra views: take the next case, decide ----------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("next/", wrap(self.take_next_view), name="complaints_complaint_next"),
            path("export/", wrap(self.export_view), name="complaints_complaint_export"),
            path(
                "<int:object_id>/decide/",
                wrap(self.decide_view),
                name="complaints_complaint_decide",
            ),
            path(
                "<int:object_id>/assign/",
                wrap(self.assign_view),
                name="complaints_complaint_assign",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context.update(
            can_review=self.has_review_permission(request),
            title=_("Complaint review queue"),
            # The desk's pages take the whole width (a 1440 px screen holds every column);
            # the breadcrumbs and the index lead elsewhere.
            is_nav_sidebar_enabled=False,
        )
        return super().changelist_view(request, extra_context)

    def take_next_view(self, request):
        """Claim the oldest waiting complaint (of a kind or platform, if asked) and open it.
        A complaint another reviewer takes meanwhile is skipped."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:complaints_complaint_changelist"))
        if not self.has_review_permission(request):
            self.message_user(request, _("Only reviewers take cases."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:complaints_complaint_changelist"))
        waiting = Complaint.objects.filter(state=C.PENDING)
        kind = request.POST.get("kind")
        if kind in ComplaintKind.values:
            waiting = waiting.filter(kind=kind)
        platform = request.POST.get("platform")
        if platform in Platform.values:
            waiting = waiting.filter(ticket__shop__platform=platform)
        for complaint_id in waiting.order_by("filed_at", "id").values_list("pk", flat=True)[:20]:
            try:
                services.complaint_claim(complaint_id=complaint_id, reviewer=request.user)
            except DomainError:
                continue  # someone else took it a moment ago: try the next one
            self.message_user(
                request, success_text("claim", Complaint(pk=complaint_id)), messages.SUCCESS
            )
            return HttpResponseRedirect(
                reverse("admin:complaints_complaint_change", args=[complaint_id])
            )
        self.message_user(request, _("Nothing is waiting: the queue is empty."), messages.INFO)
        return HttpResponseRedirect(reverse("admin:complaints_complaint_changelist"))

    def export_view(self, request):
        """The queue as CSV with its filters, search and order applied (every row, not a page),
        headed in the reader's language."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            return HttpResponseRedirect(reverse("admin:complaints_complaint_changelist") + "?e=1")
        rows = changelist.get_queryset(request).select_related(*self.list_select_related)
        return stream_csv("complaints", queue_csv_columns(), rows.iterator(chunk_size=2000))

    def decide_view(self, request, object_id):
        return decide(self, request, object_id)

    def assign_view(self, request, object_id):
        """A lead assigns the complaint to a reviewer (`action=assign`, `reviewer`) or takes
        it back (`action=take_back`), through the services. Anyone else: 403."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        complaint = get_object_or_404(Complaint.objects.only("pk"), pk=as_id(object_id))
        if not self.has_lead_permission(request):
            raise PermissionDenied(_("Only lead reviewers assign complaints and take them back."))
        change_url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
        action = request.POST.get("action")
        try:
            if action == "assign":
                reviewer_id = as_id(request.POST.get("reviewer", ""))
                reviewer = reviewers_with_load().filter(pk=reviewer_id).first()
                services.complaint_assign(
                    complaint_id=complaint.pk, lead=request.user, reviewer=reviewer
                )
                text = _("Complaint #%(id)s assigned to %(name)s.") % {
                    "id": complaint.pk,
                    "name": reviewer.get_username(),
                }
            elif action == "take_back":
                services.complaint_take_back(complaint_id=complaint.pk, lead=request.user)
                text = _("Complaint #%(id)s is back in the queue.") % {"id": complaint.pk}
            else:
                self.message_user(request, _("Assign or take back."), messages.ERROR)
                return HttpResponseRedirect(change_url)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)
        self.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(change_url)

    # -- the complaint page ---------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        complaint = (
            Complaint.objects.select_related(
                "ticket__order",
                "ticket__order__buyer",
                "ticket__shop",
                "ticket__policy",
                "ticket__reply_reason",
                "assignee",
                "decided_by",
                "appealed_by",
                "appeal_decided_by",
                "filed_by",
            )
            .filter(pk=as_id(object_id))
            .first()
        )
        if complaint is not None and self.has_view_permission(request, complaint):
            extra_context.update(review_context(request, complaint, self))
            extra_context["is_nav_sidebar_enabled"] = False
        return super().change_view(request, object_id, form_url, extra_context)


def _when(at):
    return timezone.localtime(at, PLATFORM_TZ).strftime("%Y-%m-%d %H:%M") if at else ""


def _hours_to_target(complaint, now):
    if complaint.state not in REVIEW_STATES:
        return ""
    return f"{(complaint.review_due_at - now).total_seconds() / 3600:.1f}"


def queue_csv_columns() -> list:
    """The queue's columns as the CSV has them: codes and labels, instants in the platform's
    time zone, the time to target as signed hours (negative once past)."""
    now = timezone.now()
    return [
        (gettext_lazy("case"), lambda c: c.pk),
        (gettext_lazy("kind"), lambda c: c.get_kind_display()),
        (gettext_lazy("kind code"), lambda c: c.kind),
        (gettext_lazy("state"), lambda c: c.get_state_display()),
        (gettext_lazy("order"), lambda c: c.ticket.order.order_no),
        (gettext_lazy("shop"), lambda c: c.ticket.shop.code),
        (gettext_lazy("platform"), lambda c: c.ticket.shop.get_platform_display()),
        (gettext_lazy("filed at"), lambda c: _when(c.filed_at)),
        (gettext_lazy("appealed at"), lambda c: _when(c.appealed_at)),
        (gettext_lazy("review target"), lambda c: _when(c.review_due_at)),
        (gettext_lazy("hours to target"), lambda c: _hours_to_target(c, now)),
        (gettext_lazy("time to target"), lambda c: _queue_time_text(c, now)),
        (
            gettext_lazy("claimed by"),
            lambda c: c.assignee.get_username() if c.state == C.IN_REVIEW and c.assignee else "",
        ),
        (gettext_lazy("decided at"), lambda c: _when(c.decided_at)),
    ]


def _queue_time_text(complaint, now):
    if complaint.state in REVIEW_STATES:
        return time_left_text(complaint.review_due_at, now)
    return ""


def review_context(request, complaint: Complaint, model_admin) -> dict:
    """Everything the complaint page shows: the case, the ticket's facts and timeline, what
    the buyer was told, the evidence, what upholding would cost, the decisions open now (in
    the words of the complaint's kind), the canned notes for them, and a lead's assignment."""
    now = timezone.now()
    ticket = complaint.ticket
    policy = ticket.policy
    terms = late_shipment_terms(policy, ticket.order.amount)
    liability = None
    preview_points = None
    if complaint.state in OPEN_STATES:
        preview_points = services.liability_points(complaint=complaint, at=now)
    else:
        liability = (
            Liability.objects.filter(complaint=complaint).select_related("compensation").first()
        )
    evidence = [
        {"item": e, "url": evidence_url(e)}
        for e in Evidence.objects.filter(ticket=ticket).order_by("uploaded_at", "id")
    ]
    timeline = timeline_rows(ticket)
    other_complaints = list(
        Complaint.objects.filter(ticket=ticket).exclude(pk=complaint.pk).order_by("filed_at")
    )
    decisions = available_decisions(complaint, request.user)
    with_note = [d for d in decisions if d in DECISIONS_WITH_NOTE]
    templates = (
        list(DecisionTemplate.objects.for_complaint(complaint, with_note)) if with_note else []
    )
    held_by_other = complaint.state == C.IN_REVIEW and complaint.assignee_id != request.user.pk
    is_lead = model_admin.has_lead_permission(request)
    return {
        "title": _("Review complaint #%(id)s") % {"id": complaint.pk},
        "complaint": complaint,
        "ticket": ticket,
        "now": now,
        "age": age_text(complaint.filed_at, now),
        "past_target": complaint.is_past_review_target(now),
        "time_left": time_left(complaint.review_due_at, now)
        if complaint.state in REVIEW_STATES
        else None,
        "terms": terms,
        "late_rate_percent": f"{float(policy.late_rate) * 100:g}%",
        "preview_points": preview_points,
        "compensated_before": preview_points == 0,
        "liability": liability,
        "evidence": evidence,
        "images": [e for e in evidence if e["url"] and e["item"].is_image],
        "evidence_view_missing": any(e["url"] is None for e in evidence),
        "timeline": timeline,
        "buyer_messages": list(ticket.messages.order_by("created_at", "id")),
        "other_complaints": other_complaints,
        "note": request.session.pop(SESSION_NOTE % complaint.pk, ""),
        "note_error": request.session.pop(SESSION_NOTE_ERROR % complaint.pk, ""),
        "note_needed": bool(with_note),
        "decisions": decisions,
        "decision_buttons": [(d, decision_label(d, complaint.kind)) for d in decisions],
        "templates": templates,
        "held_by_other": held_by_other,
        "can_review": model_admin.has_review_permission(request),
        "is_lead": is_lead,
        "reviewers": list(reviewers_with_load())
        if is_lead and complaint.state in OPEN_STATES
        else [],
        "appeal_window_open": complaint.appeal_window_open(now),
        "ticket_url": reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        "order_url": reverse("admin:tickets_order_change", args=[ticket.order_id]),
        "shop_url": reverse("admin:tickets_shop_change", args=[ticket.shop_id]),
        "policy_url": reverse("admin:tickets_policy_change", args=[policy.pk]),
        "shop_queue_url": reverse("admin:complaints_complaint_changelist")
        + f"?shop={ticket.shop_id}&queue=all",
    }
