"""The platform review desk (§7, §11): the complaint queue, the complaint page with every fact
a reviewer needs, and decisions. Every claim, release and decision goes through
`complaints.services`, which lock the row and refuse a complaint held by someone else; the
admin only maps the domain errors to messages.

django-fsm-2's `FSMAdminMixin` is not used for the decisions: it calls the model's transition
and `save()` directly, which would skip the services (row lock, holder check, liability,
buyer messages, audit payload). The decision form below posts to a view that calls them."""

import csv

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets import roles
from tickets.admin import ReadOnlyAdmin, timeline_rows
from tickets.exceptions import DomainError
from tickets.models import PLATFORM_TZ, Platform
from tickets.policy import late_shipment_terms

from .. import services
from ..models import (
    OPEN_STATES,
    Compensation,
    Complaint,
    ComplaintKind,
    ComplaintState,
    Evidence,
    Liability,
)

C = ComplaintState
# What waits for a reviewer: new cases, cases being judged, and appeals to decide.
TO_DO_STATES = (C.PENDING, C.IN_REVIEW, C.APPEALED)
DECISIONS_WITH_NOTE = ("uphold", "dismiss", "grant_appeal", "deny_appeal")
SESSION_NOTE = "review-note-%s"


# -- small shared renderings ----------------------------------------------------------------

STATE_COLOURS = {
    C.PENDING: "#b26a00",
    C.IN_REVIEW: "#1f5fbf",
    C.UPHELD: "#a61b1b",
    C.DISMISSED: "#2e7d32",
    C.APPEALED: "#7b3fa0",
    C.OVERTURNED: "#2e7d32",
    C.UPHELD_FINAL: "#a61b1b",
}


def badge(text, colour):
    return format_html('<span class="rv-badge" style="background:{}">{}</span>', colour, text)


def overdue_badge():
    return format_html('<span class="rv-badge rv-overdue">{}</span>', _("past target"))


def local(at):
    return timezone.localtime(at, PLATFORM_TZ).strftime("%Y-%m-%d %H:%M") if at else "—"


def age_text(start, end=None):
    """'2 days, 3 hours' in the reader's language (Django's own translations)."""
    return timesince(start, end or timezone.now(), depth=2)


def evidence_url(evidence) -> str | None:
    """The permission-checked evidence view of the merchant pages, if installed."""
    try:
        return reverse("merchant:evidence", args=[evidence.pk])
    except NoReverseMatch:
        return None


def as_id(value, *, limit=2**63 - 1) -> int | None:
    """An id from user input, or None: never an overflow in the database."""
    value = str(value)
    if value.isascii() and value.isdigit() and 0 < int(value) <= limit:
        return int(value)
    return None


def admin_link(obj, text=None):
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj)


class CsvExportMixin:
    """An admin action streaming the selected rows as CSV (`csv_columns`: header, getter)."""

    csv_columns: list = []
    csv_name = "export"

    @admin.action(description=gettext_lazy("Export selected as CSV"))
    def export_csv(self, request, queryset):
        class Echo:
            def write(self, value):
                return value

        writer = csv.writer(Echo())
        columns = self.csv_columns

        def rows():
            yield "\ufeff"  # so that spreadsheet programs read UTF-8 (shop names in Chinese)
            yield writer.writerow([str(header) for header, _getter in columns])
            for obj in queryset.iterator(chunk_size=2000):
                yield writer.writerow([getter(obj) for _header, getter in columns])

        stamp = timezone.localtime(timezone.now(), PLATFORM_TZ).strftime("%Y%m%d-%H%M")
        response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{self.csv_name}-{stamp}.csv"'
        return response


# -- the queue's filters ------------------------------------------------------------------


class QueueFilter(admin.SimpleListFilter):
    """State, opening on 'to do' (pending, in review, appealed) rather than on everything."""

    title = gettext_lazy("state")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("todo", _("To do (pending, in review, appealed)")), *C.choices, ("all", _("All"))]

    def value(self):
        return super().value() or "todo"

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "todo":
            return queryset.filter(state__in=TO_DO_STATES)
        if value in C.values:
            return queryset.filter(state=value)
        return queryset


class PastTargetFilter(admin.SimpleListFilter):
    title = gettext_lazy("review target (48 h)")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Past target")), ("no", _("Within target"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(state__in=OPEN_STATES, review_due_at__lte=now)
        if self.value() == "no":
            return queryset.filter(state__in=OPEN_STATES, review_due_at__gt=now)
        return queryset


class HolderFilter(admin.SimpleListFilter):
    title = gettext_lazy("claimed by")
    parameter_name = "holder"

    def lookups(self, request, model_admin):
        return [
            ("me", _("Me")),
            ("nobody", _("Nobody (waiting)")),
            ("others", _("Other reviewers")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "me":
            return queryset.filter(assignee=request.user)
        if value == "nobody":
            return queryset.filter(state=C.PENDING)
        if value == "others":
            return queryset.filter(state=C.IN_REVIEW).exclude(assignee=request.user)
        return queryset


class ShopFilter(admin.SimpleListFilter):
    """Tens of thousands of shops cannot be listed: offer the shops with the most open
    complaints, plus the one chosen (the shop column of the queue links here)."""

    title = gettext_lazy("shop")
    parameter_name = "shop"
    shown = 10

    def lookups(self, request, model_admin):
        rows = (
            Complaint.objects.filter(state__in=OPEN_STATES)
            .values("ticket__shop_id", "ticket__shop__code")
            .annotate(n=Count("id"))
            .order_by("-n", "ticket__shop__code")[: self.shown]
        )
        choices = [
            (str(r["ticket__shop_id"]), f"{r['ticket__shop__code']} ({r['n']})") for r in rows
        ]
        chosen = self.value()
        if chosen and chosen not in {c[0] for c in choices}:
            from tickets.models import Shop

            shop = Shop.objects.filter(pk=as_id(chosen)).first()
            if shop is not None:
                choices.append((chosen, shop.code))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value:
            shop_id = as_id(value)
            return queryset.filter(ticket__shop_id=shop_id) if shop_id else queryset.none()
        return queryset


# -- decisions ----------------------------------------------------------------------------


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
        "age",
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
    search_help_text = gettext_lazy("An order number, or a shop's code or name.")
    ordering = ("filed_at", "id")
    list_per_page = 50
    show_full_result_count = False
    actions = ("claim_selected", "release_selected")
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

    # -- the queue ------------------------------------------------------------------------
    def get_search_results(self, request, queryset, search_term):
        """Exact order number or shop code (index lookups), or a part of the shop's name."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return (
            queryset.filter(
                Q(ticket__order__order_no=term)
                | Q(ticket__shop__code=term)
                | Q(ticket__shop__name__icontains=term)
            ),
            False,
        )

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

    @admin.display(description=gettext_lazy("waiting"))
    def age(self, obj):
        now = timezone.now()
        if obj.state == C.APPEALED and obj.appealed_at:
            return age_text(obj.appealed_at, now)  # the appeal waits since it was made
        if obj.state in OPEN_STATES:
            text = age_text(obj.filed_at, now)
            if obj.is_past_review_target(now):
                return format_html("{} {}", text, overdue_badge())
            return text
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
                run_decision(decision, complaint_id=complaint_id, reviewer=request.user, note="")
            except DomainError as error:
                refused.append(f"#{complaint_id}: {error.message}")
            else:
                done += 1
        if done:
            text = {
                "claim": _("Claimed %(n)d complaint(s); they are yours until decided or released."),
                "release": _("Released %(n)d complaint(s) to the queue."),
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

    # -- extra views: take the next case, decide ----------------------------------------
    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("next/", wrap(self.take_next_view), name="complaints_complaint_next"),
            path(
                "<int:object_id>/decide/",
                wrap(self.decide_view),
                name="complaints_complaint_decide",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        extra_context.update(
            can_review=self.has_review_permission(request),
            title=_("Complaint review queue"),
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

    def decide_view(self, request, object_id):
        return _decide(self, request, object_id)

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
        return super().change_view(request, object_id, form_url, extra_context)


def review_context(request, complaint: Complaint, model_admin) -> dict:
    """Everything the complaint page shows: the case, the ticket's facts and timeline, what
    the buyer was told, the evidence, what upholding would cost, and the decisions open now."""
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
    form = DecisionForm(initial={"note": request.session.pop(SESSION_NOTE % complaint.pk, "")})
    decisions = available_decisions(complaint, request.user)
    held_by_other = complaint.state == C.IN_REVIEW and complaint.assignee_id != request.user.pk
    return {
        "title": _("Review complaint #%(id)s") % {"id": complaint.pk},
        "complaint": complaint,
        "ticket": ticket,
        "now": now,
        "age": age_text(complaint.filed_at, now),
        "past_target": complaint.is_past_review_target(now),
        "terms": terms,
        "late_rate_percent": f"{float(policy.late_rate) * 100:g}%",
        "preview_points": preview_points,
        "compensated_before": preview_points == 0,
        "liability": liability,
        "evidence": evidence,
        "evidence_view_missing": any(e["url"] is None for e in evidence),
        "timeline": timeline,
        "buyer_messages": list(ticket.messages.order_by("created_at", "id")),
        "other_complaints": other_complaints,
        "decision_form": form,
        "decisions": decisions,
        "decision_labels": dict(DecisionForm.base_fields["decision"].choices),
        "held_by_other": held_by_other,
        "can_review": model_admin.has_review_permission(request),
        "appeal_window_open": complaint.appeal_window_open(now),
        "ticket_url": reverse("admin:tickets_ticket_change", args=[ticket.pk]),
        "order_url": reverse("admin:tickets_order_change", args=[ticket.order_id]),
        "shop_url": reverse("admin:tickets_shop_change", args=[ticket.shop_id]),
        "policy_url": reverse("admin:tickets_policy_change", args=[policy.pk]),
        "shop_queue_url": reverse("admin:complaints_complaint_changelist")
        + f"?shop={ticket.shop_id}&queue=all",
    }


def _decide(model_admin, request, object_id):
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


# -- evidence, compensation and liability records (read-only) -----------------------------


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "preview", "content_type", "size", "ticket_link", "uploaded")
    list_select_related = ("ticket__order",)
    search_fields = ("=ticket__order__order_no", "original_name")
    list_filter = ("content_type",)
    fields = (
        "preview",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "ticket",
        "complaint",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj):
        url = evidence_url(obj)
        if url is None:
            return _("(the evidence view is not installed)")
        if obj.is_image:
            return format_html(
                '<a href="{0}" target="_blank"><img src="{0}" alt="{1}" class="rv-thumb"></a>',
                url,
                obj.original_name,
            )
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("Open PDF"))

    @admin.display(description=gettext_lazy("ticket"))
    def ticket_link(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("uploaded at"), ordering="uploaded_at")
    def uploaded(self, obj):
        return local(obj.uploaded_at)


def _when(at):
    return timezone.localtime(at, PLATFORM_TZ).isoformat(timespec="seconds") if at else ""


def _of_compensation(liability, name):
    return getattr(liability.compensation, name) if liability.compensation else ""


class ReversedFilter(admin.SimpleListFilter):
    title = gettext_lazy("reversed")
    parameter_name = "reversed"

    def lookups(self, request, model_admin):
        return [("no", _("Standing")), ("yes", _("Reversed on appeal"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(reversed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(reversed_at__isnull=True)
        return queryset


@admin.register(Liability)
class LiabilityAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "shop_code",
        "order",
        "complaint_link",
        "points",
        "amount",
        "created",
        "reversed",
    )
    list_select_related = ("shop", "ticket__order", "complaint", "compensation")
    list_filter = (ReversedFilter, ("shop__platform", admin.ChoicesFieldListFilter))
    search_fields = ("=ticket__order__order_no", "=shop__code", "shop__name")
    date_hierarchy = "created_at"
    actions = ("export_csv",)
    csv_name = "liabilities"
    show_full_result_count = False
    csv_columns = [
        (gettext_lazy("id"), lambda o: o.pk),
        (gettext_lazy("shop"), lambda o: o.shop.code),
        (gettext_lazy("platform"), lambda o: o.shop.platform),
        (gettext_lazy("order"), lambda o: o.ticket.order.order_no),
        (gettext_lazy("complaint"), lambda o: o.complaint_id),
        (gettext_lazy("kind"), lambda o: o.complaint.kind),
        (gettext_lazy("penalty points"), lambda o: o.points),
        (gettext_lazy("compensation (yuan)"), lambda o: _of_compensation(o, "amount")),
        (gettext_lazy("paid as"), lambda o: _of_compensation(o, "payout")),
        (gettext_lazy("Tmall points"), lambda o: _of_compensation(o, "points")),
        (gettext_lazy("created at"), lambda o: _when(o.created_at)),
        (gettext_lazy("reversed at"), lambda o: _when(o.reversed_at)),
    ]

    @admin.display(description=gettext_lazy("shop"), ordering="shop__code")
    def shop_code(self, obj):
        return obj.shop.code

    @admin.display(description=gettext_lazy("order"), ordering="ticket__order__order_no")
    def order(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("complaint"))
    def complaint_link(self, obj):
        return admin_link(obj.complaint, obj.complaint.get_kind_display())

    @admin.display(description=gettext_lazy("compensation"))
    def amount(self, obj):
        c = obj.compensation
        if c is None:
            return "—"
        return f"¥{c.amount}" + (f" ({c.points})" if c.points else "")

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.display(description=gettext_lazy("reversed at"), ordering="reversed_at")
    def reversed(self, obj):
        return local(obj.reversed_at) if obj.reversed_at else "—"


@admin.register(Compensation)
class CompensationAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "shop",
        "order",
        "amount",
        "payout",
        "points",
        "created",
        "reversed",
    )
    list_select_related = ("ticket__order", "ticket__shop")
    list_filter = (
        "kind",
        "payout",
        ReversedFilter,
        ("ticket__shop__platform", admin.ChoicesFieldListFilter),
    )
    search_fields = ("=ticket__order__order_no", "=ticket__shop__code")
    date_hierarchy = "created_at"
    actions = ("export_csv",)
    csv_name = "compensations"
    show_full_result_count = False
    csv_columns = [
        (gettext_lazy("id"), lambda o: o.pk),
        (gettext_lazy("kind"), lambda o: o.kind),
        (gettext_lazy("shop"), lambda o: o.ticket.shop.code),
        (gettext_lazy("order"), lambda o: o.ticket.order.order_no),
        (gettext_lazy("complaint"), lambda o: o.complaint_id or ""),
        (gettext_lazy("amount (yuan)"), lambda o: o.amount),
        (gettext_lazy("paid as"), lambda o: o.payout),
        (gettext_lazy("Tmall points"), lambda o: o.points),
        (gettext_lazy("created at"), lambda o: _when(o.created_at)),
        (gettext_lazy("reversed at"), lambda o: _when(o.reversed_at)),
    ]

    @admin.display(description=gettext_lazy("shop"), ordering="ticket__shop__code")
    def shop(self, obj):
        return obj.ticket.shop.code

    @admin.display(description=gettext_lazy("order"), ordering="ticket__order__order_no")
    def order(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.display(description=gettext_lazy("reversed at"), ordering="reversed_at")
    def reversed(self, obj):
        return local(obj.reversed_at) if obj.reversed_at else "—"
