"""The platform back office in the Django admin (§3, §6, §8, §11): tickets and their timeline,
orders, shops and the rollout of second handling, policy versions, reply reasons, the buyer
messages and the audit log. States are never edited here: they change only through the
services, so every record of this module is read-only except the data operations own
(reasons, new policy versions, rollout schedules, enabling shops)."""

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    When,
)
from django.http import HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm_log.models import StateLog

from complaints.models import Complaint, ComplaintState

from .. import roles
from ..audit import load_payload
from ..exceptions import ValidationError as DomainValidationError
from ..models import (
    PLATFORM_TZ,
    BuyerMessage,
    Order,
    Plan,
    Platform,
    Policy,
    ReplyReason,
    RolloutSchedule,
    Shop,
    ShopMembership,
    Ticket,
    TicketState,
)
from ..rollout import rollout_schedule_apply
from ..selectors import overdue, ticket_timeline, with_current_deadline
from ..services import (
    POLICY_NUMBERS,
    policy_publish,
    reasons_set_active,
    shop_enable_second_handling,
)

S = TicketState

# -- the site: platform staff only --------------------------------------------------------

admin.site.site_header = gettext_lazy("Urge-shipment tickets · platform back office")
admin.site.site_title = gettext_lazy("Urge-shipment back office")
admin.site.index_title = gettext_lazy("Review desk")
admin.site.site_url = None  # the site's front page is the merchants'; no link to it here


def _platform_staff_only(request):
    """§3: the admin is for reviewers and operations. `is_staff` alone is not enough, so that a
    merchant flagged staff by mistake still never reaches it."""
    user = request.user
    return user.is_active and user.is_staff and (user.is_superuser or roles.is_platform_staff(user))


# An instance attribute, because the default site is created by django.contrib.admin and the
# settings (owned elsewhere) keep the default AdminConfig.
admin.site.has_permission = _platform_staff_only


# -- shared renderings --------------------------------------------------------------------

TICKET_COLOURS = {
    S.AWAITING_REPLY: "#b26a00",
    S.AWAITING_BUYER: "#1f5fbf",
    S.AGREED: "#1f5fbf",
    S.COMPENSATED: "#7b3fa0",
    S.PLATFORM_REVIEW: "#a61b1b",
    S.AWAITING_SETTLEMENT: "#6b6b6b",
    S.COMPLETED: "#2e7d32",
}

TRANSITION_LABELS = {
    "urge": gettext_lazy("urged by the buyer"),
    "reply": gettext_lazy("merchant replied"),
    "reply_timeout": gettext_lazy("reply timed out"),
    "accept": gettext_lazy("buyer accepted"),
    "buyer_silence": gettext_lazy("buyer silent: deemed accepted"),
    "reject": gettext_lazy("buyer rejected"),
    "compensate": gettext_lazy("compensated proactively"),
    "claim_buyer_fault": gettext_lazy("merchant claims buyer fault"),
    "missed_ship_date": gettext_lazy("promised date missed"),
    "settle": gettext_lazy("order settled"),
    "record_settlement": gettext_lazy("order settled during review"),
    "complaint_finished": gettext_lazy("complaint finished"),
    "file": gettext_lazy("complaint filed"),
    "claim": gettext_lazy("claimed by a reviewer"),
    "release": gettext_lazy("released to the queue"),
    "uphold": gettext_lazy("upheld"),
    "dismiss": gettext_lazy("dismissed"),
    "appeal": gettext_lazy("appealed by the merchant"),
    "grant_appeal": gettext_lazy("appeal granted"),
    "deny_appeal": gettext_lazy("appeal denied"),
}


def badge(text, colour):
    return format_html('<span class="rv-badge" style="background:{}">{}</span>', colour, text)


def local(at):
    return timezone.localtime(at, PLATFORM_TZ).strftime("%Y-%m-%d %H:%M") if at else "—"


def admin_link(obj, text=None):
    if obj is None:
        return "—"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, text if text is not None else obj)


def hours_text(duration) -> str:
    """A policy window as people say it: '24 h', '30 d'."""
    seconds = int(duration.total_seconds())
    if seconds % 86400 == 0 and seconds >= 3 * 86400:
        return f"{seconds // 86400} d"
    return f"{seconds / 3600:g} h"


def timeline_rows(ticket) -> list[dict]:
    """The ticket's timeline (its audit rows and its complaints'), labelled for reading."""
    states = {**dict(S.choices), **dict(ComplaintState.choices)}
    rows = []
    for entry in ticket_timeline(ticket):
        rows.append(
            {
                "entry": entry,
                "what": TRANSITION_LABELS.get(entry.transition, entry.transition),
                "source": states.get(entry.source_state, entry.source_state or ""),
                "target": states.get(entry.state, entry.state),
                "actor": entry.actor.get_username() if entry.actor is not None else _("system"),
                "note": entry.payload.get("note", ""),
            }
        )
    return rows


class NoEditsMixin:
    """Records written only by the services or the order system: read, never edited here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(NoEditsMixin, admin.ModelAdmin):
    pass


class ReadOnlyInline(NoEditsMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True


# -- tickets ------------------------------------------------------------------------------


class TicketOverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Past its deadline (sweep pending)")), ("no", _("Within deadline"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return overdue(queryset)
        if self.value() == "no":
            return with_current_deadline(queryset).filter(
                Q(deadline__gt=timezone.now()) | Q(deadline__isnull=True)
            )
        return queryset


class ComplaintInline(ReadOnlyInline):
    model = Complaint
    fields = ("kind", "state", "filed_at", "review_due_at", "assignee", "decided_at")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("complaints (open one to review it)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("assignee", "ticket__order")


class BuyerMessageInline(ReadOnlyInline):
    model = BuyerMessage
    fields = ("created_at", "kind", "text", "delivered_at")
    readonly_fields = fields
    show_change_link = False
    verbose_name_plural = gettext_lazy("messages to the buyer")


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "order_no",
        "shop_code",
        "platform",
        "state_badge",
        "created",
        "deadline_text",
        "reply_plan",
    )
    list_display_links = ("id", "order_no")
    list_filter = (
        "state",
        ("shop__platform", admin.ChoicesFieldListFilter),
        TicketOverdueFilter,
        "reply_plan",
        "second_handling_plan",
    )
    list_select_related = ("order", "shop")
    search_fields = ("order__order_no", "shop__code")
    search_help_text = gettext_lazy("An exact order number or shop code.")
    list_per_page = 50
    show_full_result_count = False
    inlines = (ComplaintInline, BuyerMessageInline)
    fieldsets = (
        (
            gettext_lazy("Ticket"),
            {
                "fields": (
                    "state",
                    "order_link",
                    "shop_link",
                    "buyer_name",
                    "policy_link",
                    "created_at",
                )
            },
        ),
        (
            gettext_lazy("Reply"),
            {
                "fields": (
                    "reply_due_at",
                    "reply_plan",
                    "reply_reason",
                    "reply_note",
                    "replied_at",
                    "replier",
                    "ship_by",
                    "ship_deadline",
                )
            },
        ),
        (
            gettext_lazy("Buyer"),
            {"fields": ("buyer_due_at", "buyer_responded_at", "buyer_accepted")},
        ),
        (
            gettext_lazy("Second handling and settlement"),
            {
                "fields": (
                    "second_handling_plan",
                    "second_handled_at",
                    "second_handling_note",
                    "first_action_at",
                    "settlement",
                    "settled_at",
                    "completed_at",
                )
            },
        ),
        (gettext_lazy("Timeline"), {"fields": ("timeline",)}),
    )
    readonly_fields = (
        "state",
        "order_link",
        "shop_link",
        "buyer_name",
        "policy_link",
        "created_at",
        "reply_due_at",
        "reply_plan",
        "reply_reason",
        "reply_note",
        "replied_at",
        "replier",
        "ship_by",
        "ship_deadline",
        "buyer_due_at",
        "buyer_responded_at",
        "buyer_accepted",
        "second_handling_plan",
        "second_handled_at",
        "second_handling_note",
        "first_action_at",
        "settlement",
        "settled_at",
        "completed_at",
        "timeline",
    )

    def get_queryset(self, request):
        return with_current_deadline(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(order__order_no=term) | Q(shop__code=term)), False

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # one query for the page's facts instead of one per foreign key
            obj = (
                Ticket.objects.select_related(
                    "order", "shop", "buyer", "policy", "reply_reason", "replied_by"
                )
                .filter(pk=obj.pk)
                .first()
            )
        return obj

    @admin.display(description=gettext_lazy("order"), ordering="order__order_no")
    def order_no(self, obj):
        return obj.order.order_no

    @admin.display(description=gettext_lazy("shop"), ordering="shop__code")
    def shop_code(self, obj):
        return obj.shop.code

    @admin.display(description=gettext_lazy("platform"), ordering="shop__platform")
    def platform(self, obj):
        return obj.shop.get_platform_display()

    @admin.display(description=gettext_lazy("state"), ordering="state")
    def state_badge(self, obj):
        return badge(obj.get_state_display(), TICKET_COLOURS.get(obj.state, "#555"))

    @admin.display(description=gettext_lazy("urged at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.display(description=gettext_lazy("current deadline"), ordering="deadline")
    def deadline_text(self, obj):
        deadline = getattr(obj, "deadline", None)
        if deadline is None:
            return "—"
        if deadline <= timezone.now():
            return format_html(
                '{} <span class="rv-badge rv-overdue">{}</span>', local(deadline), _("past")
            )
        return local(deadline)

    @admin.display(description=gettext_lazy("order"))
    def order_link(self, obj):
        return admin_link(obj.order, obj.order.order_no)

    @admin.display(description=gettext_lazy("shop"))
    def shop_link(self, obj):
        return admin_link(obj.shop)

    @admin.display(description=gettext_lazy("buyer"))
    def buyer_name(self, obj):
        return obj.buyer.get_username()

    @admin.display(description=gettext_lazy("by"))
    def replier(self, obj):
        return obj.replied_by.get_username() if obj.replied_by else "—"

    @admin.display(description=gettext_lazy("policy"))
    def policy_link(self, obj):
        return admin_link(obj.policy)

    @admin.display(description=gettext_lazy("timeline"))
    def timeline(self, obj):
        return render_to_string("admin/tickets/_timeline.html", {"timeline": timeline_rows(obj)})


@admin.register(BuyerMessage)
class BuyerMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "ticket_link", "buyer", "kind", "short_text", "created", "delivered")
    list_select_related = ("ticket__order", "buyer")
    list_filter = ("kind", ("delivered_at", admin.EmptyFieldListFilter))
    search_fields = ("=ticket__order__order_no", "=buyer__username")
    list_per_page = 50
    show_full_result_count = False

    @admin.display(description=gettext_lazy("ticket"))
    def ticket_link(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("text"))
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 60 else obj.text[:59] + "…"

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.display(description=gettext_lazy("delivered at"), ordering="delivered_at")
    def delivered(self, obj):
        return local(obj.delivered_at)


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders mirror the order system (PUT /api/v1/orders/…): read here, never edited."""

    list_display = ("order_no", "shop", "buyer", "amount", "is_fresh", "paid", "settled")
    list_select_related = ("shop", "buyer")
    list_filter = (("shop__platform", admin.ChoicesFieldListFilter), "is_fresh")
    search_fields = ("=order_no", "=shop__code", "=buyer__username")
    search_help_text = gettext_lazy("An exact order number, shop code or buyer username.")
    list_per_page = 50
    show_full_result_count = False
    fields = (
        "order_no",
        "shop",
        "buyer",
        "amount",
        "is_fresh",
        "paid_at",
        "shipped_at",
        "refunded_at",
        "tickets_of_order",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("paid at"), ordering="paid_at")
    def paid(self, obj):
        return local(obj.paid_at)

    @admin.display(description=gettext_lazy("settled"))
    def settled(self, obj):
        if obj.shipped_at:
            return _("shipped %(at)s") % {"at": local(obj.shipped_at)}
        if obj.refunded_at:
            return _("refunded %(at)s") % {"at": local(obj.refunded_at)}
        return "—"

    @admin.display(description=gettext_lazy("tickets"))
    def tickets_of_order(self, obj):
        tickets = obj.tickets.order_by("-created_at")
        if not tickets:
            return "—"
        return format_html_join(
            mark_safe("<br>"),
            "{}",
            ((admin_link(t, f"#{t.pk} · {t.get_state_display()}"),) for t in tickets),
        )


# -- shops and the rollout of second handling (§6) -----------------------------------------


class SecondHandlingFilter(admin.SimpleListFilter):
    title = gettext_lazy("second handling")
    parameter_name = "second_handling"

    def lookups(self, request, model_admin):
        return [("yes", _("Rolled out")), ("no", _("Not yet"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(second_handling_since__isnull=False)
        if self.value() == "no":
            return queryset.filter(second_handling_since__isnull=True)
        return queryset


class MembershipInline(admin.TabularInline):
    model = ShopMembership
    extra = 0
    raw_id_fields = ("user",)
    fields = ("user", "created_at")
    readonly_fields = ("created_at",)
    verbose_name_plural = gettext_lazy("merchant staff")


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "platform", "second_handling", "created")
    list_filter = ("platform", SecondHandlingFilter)
    search_fields = ("=code", "name")
    search_help_text = gettext_lazy("An exact shop code, or a part of the name.")
    list_per_page = 50
    show_full_result_count = False
    actions = ("enable_second_handling",)
    inlines = (MembershipInline,)
    change_list_template = "admin/tickets/shop/change_list.html"

    def get_readonly_fields(self, request, obj=None):
        # The rollout instant is set only by the rollout (action, schedule or command).
        if obj is None:
            return ("second_handling_since",)
        return ("code", "platform", "second_handling_since", "created_at", "records")

    @admin.display(description=gettext_lazy("tickets"))
    def records(self, obj):
        tickets = reverse("admin:tickets_ticket_changelist") + f"?shop__id__exact={obj.pk}"
        complaints = reverse("admin:complaints_complaint_changelist") + f"?shop={obj.pk}&queue=all"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            tickets,
            _("tickets"),
            complaints,
            _("all complaints of this shop"),
        )

    @admin.display(
        description=gettext_lazy("second handling since"), ordering="second_handling_since"
    )
    def second_handling(self, obj):
        if obj.second_handling_since is None:
            return format_html('<span class="rv-muted">{}</span>', _("not yet"))
        return local(obj.second_handling_since)

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.action(
        permissions=["change"],
        description=gettext_lazy("Enable second handling now for selected shops"),
    )
    def enable_second_handling(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        changed = shop_enable_second_handling(shops=ids)
        self.message_user(
            request,
            _("Second handling enabled for %(n)d shop(s); %(kept)d already had it.")
            % {"n": changed, "kept": len(ids) - changed},
            messages.SUCCESS,
        )


@admin.register(ShopMembership)
class ShopMembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "shop", "created_at")
    list_select_related = ("user", "shop")
    raw_id_fields = ("user", "shop")
    search_fields = ("=user__username", "=shop__code")
    list_per_page = 50


class RolloutScheduleForm(forms.ModelForm):
    class Meta:
        model = RolloutSchedule
        fields = (
            "platform",
            "starts_at",
            "ends_at",
            "start_percentage",
            "target_percentage",
            "note",
        )

    def clean(self):
        data = super().clean()
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The end must come after the start."))
        elif ends and ends <= timezone.now() and not self.instance.pk:
            self.add_error("ends_at", _("A new schedule must end in the future."))
        low, high = data.get("start_percentage"), data.get("target_percentage")
        if low is not None and high is not None and high < low:
            self.add_error(
                "target_percentage", _("The percentage at the end cannot be below the start.")
            )
        return data


class Counted(Func):
    """COUNT(id) without GROUP BY: a subquery that counts the rows it filters."""

    function = "COUNT"
    output_field = IntegerField()


SHOPS = Shop.objects.order_by().annotate(n=Counted(F("id"))).values("n")
SHOPS_WITH_FEATURE = SHOPS.filter(second_handling_since__isnull=False)


@admin.register(RolloutSchedule)
class RolloutScheduleAdmin(admin.ModelAdmin):
    form = RolloutScheduleForm
    list_display = (
        "scope",
        "starts",
        "ends",
        "percentages",
        "due_now",
        "having_now",
        "last_applied",
    )
    actions = ("apply_now",)
    readonly_fields = ("created_by", "created_at", "last_applied_at", "last_applied_percentage")

    def get_queryset(self, request):
        # How many shops of the schedule's scope have the feature, in the same query.
        of_platform = Q(platform=OuterRef("platform"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                shops_having=Case(
                    When(platform="", then=Subquery(SHOPS_WITH_FEATURE)),
                    default=Subquery(SHOPS_WITH_FEATURE.filter(of_platform)),
                ),
                shops_total=Case(
                    When(platform="", then=Subquery(SHOPS)),
                    default=Subquery(SHOPS.filter(of_platform)),
                ),
            )
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("platform"))
    def scope(self, obj):
        return obj.get_platform_display() if obj.platform else _("all platforms")

    @admin.display(description=gettext_lazy("starts at"), ordering="starts_at")
    def starts(self, obj):
        return local(obj.starts_at)

    @admin.display(description=gettext_lazy("ends at"), ordering="ends_at")
    def ends(self, obj):
        return local(obj.ends_at)

    @admin.display(description=gettext_lazy("share of shops"))
    def percentages(self, obj):
        return f"{obj.start_percentage}% → {obj.target_percentage}%"

    @admin.display(description=gettext_lazy("due now"))
    def due_now(self, obj):
        return f"{obj.percentage_at(timezone.now())}%"

    @admin.display(description=gettext_lazy("shops having it"))
    def having_now(self, obj):
        having, total = obj.shops_having or 0, obj.shops_total or 0
        share = f"{having * 100 / total:.1f}%" if total else "—"
        return f"{having} / {total} ({share})"

    @admin.display(description=gettext_lazy("last applied"), ordering="last_applied_at")
    def last_applied(self, obj):
        if obj.last_applied_at is None:
            return "—"
        return f"{local(obj.last_applied_at)} ({obj.last_applied_percentage}%)"

    @admin.action(permissions=["change"], description=gettext_lazy("Apply selected schedules now"))
    def apply_now(self, request, queryset):
        for schedule_id in queryset.values_list("pk", flat=True):
            result = rollout_schedule_apply(schedule_id=schedule_id)
            self.message_user(
                request,
                _(
                    "%(scope)s: %(percentage)s%% due now; %(enabled)d shop(s) enabled, "
                    "%(having)d of %(total)d have it."
                )
                % result,
                messages.SUCCESS,
            )


# -- policy versions (§8): published, never edited -----------------------------------------


class PolicyPublishForm(forms.ModelForm):
    """A new version: numbers prefilled from the latest version of the platform. The service
    decides the version number and refuses a start in the past or before the latest one."""

    class Meta:
        model = Policy
        fields = ("platform", "effective_from", *POLICY_NUMBERS, "note")
        help_texts = {
            "effective_from": gettext_lazy(
                "Now or later; leave empty for now. Open tickets keep the version they were "
                "created under."
            ),
            **{
                name: gettext_lazy('Days and hours, as "1 00:00:00" for 24 hours.')
                for name in ("reply_window", "buyer_window", "review_target", "appeal_window")
            },
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Empty means "now", so that a form left open a while is not refused as in the past.
        if "effective_from" in self.fields:  # absent on a published (read-only) version
            self.fields["effective_from"].required = False

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # Try the publication and roll it back: the form shows the service's own refusal
        # under the field it names, and save_model publishes for real.
        try:
            with transaction.atomic():
                policy_publish(**self.publish_arguments(actor=None))
                raise _DryRun
        except _DryRun:
            pass
        except DomainValidationError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)
        return data

    def publish_arguments(self, *, actor):
        data = self.cleaned_data
        return {
            "platform": data["platform"],
            "effective_from": data.get("effective_from") or timezone.now(),
            "note": data.get("note", ""),
            "actor": actor,
            **{name: data[name] for name in POLICY_NUMBERS if name in data},
        }


class _DryRun(Exception):
    pass


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = (
        "platform",
        "version",
        "status",
        "effective",
        "until",
        "open_tickets",
        "reply_hours",
        "review_hours",
        "late_terms",
        "points_per_upheld",
    )
    list_filter = ("platform",)
    ordering = ("platform", "-effective_from")
    form = PolicyPublishForm

    def get_queryset(self, request):
        following = Policy.objects.filter(
            platform=OuterRef("platform"), effective_from__gt=OuterRef("effective_from")
        ).order_by("effective_from")
        return (
            super()
            .get_queryset(request)
            .annotate(
                next_from=Subquery(following.values("effective_from")[:1]),
                open_count=Count("tickets", filter=~Q(tickets__state=S.COMPLETED)),
            )
        )

    # A published version is never edited; a new one is published instead.
    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "platforms": Platform.choices}
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        # Publishing is one step; the new version is read-only, so no "continue editing".
        extra_context = {
            **(extra_context or {}),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().add_view(request, form_url, extra_context)

    def get_changeform_initial_data(self, request):
        platform = request.GET.get("platform") or "taobao"
        latest = Policy.objects.filter(platform=platform).order_by("-version").first()
        initial = {"platform": platform}
        if latest is not None:
            initial.update({name: getattr(latest, name) for name in POLICY_NUMBERS})
        return initial

    def save_model(self, request, obj, form, change):
        policy = policy_publish(**form.publish_arguments(actor=request.user))
        obj.pk, obj.version, obj.effective_from = policy.pk, policy.version, policy.effective_from
        obj.created_at, obj.created_by = policy.created_at, policy.created_by

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _("Published %(policy)s, in force from %(at)s.")
            % {"policy": obj, "at": local(obj.effective_from)},
            messages.SUCCESS,
        )
        return self.response_post_save_add(request, obj)

    def response_post_save_add(self, request, obj):
        return HttpResponseRedirect(reverse("admin:tickets_policy_changelist"))

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj):
        now = timezone.now()
        if obj.effective_from > now:
            return badge(_("scheduled"), "#1f5fbf")
        if obj.next_from is None or obj.next_from > now:
            return badge(_("in force"), "#2e7d32")
        return badge(_("superseded"), "#6b6b6b")

    @admin.display(description=gettext_lazy("applies from"), ordering="effective_from")
    def effective(self, obj):
        return local(obj.effective_from)

    @admin.display(description=gettext_lazy("until"))
    def until(self, obj):
        return local(obj.next_from) if obj.next_from else "—"

    @admin.display(description=gettext_lazy("open tickets it governs"), ordering="open_count")
    def open_tickets(self, obj):
        return obj.open_count

    @admin.display(description=gettext_lazy("reply window"), ordering="reply_window")
    def reply_hours(self, obj):
        return hours_text(obj.reply_window)

    @admin.display(description=gettext_lazy("review target"), ordering="review_target")
    def review_hours(self, obj):
        return hours_text(obj.review_target)

    @admin.display(description=gettext_lazy("late-shipment compensation"))
    def late_terms(self, obj):
        rate = f"{float(obj.late_rate) * 100:g}%"
        return f"{rate} · ¥{obj.late_min}–¥{obj.late_max} · {obj.get_payout_display()}"


# -- reply reasons (§5): edited, added, deactivated, never deleted once used ---------------


class InUseFilter(admin.SimpleListFilter):
    title = gettext_lazy("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Deactivated"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_active=self.value() == "yes")
        return queryset


@admin.register(ReplyReason)
class ReplyReasonAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "label",
        "label_en",
        "side",
        "plans",
        "is_active",
        "deactivated",
        "in_use",
        "sort_order",
    )
    list_filter = (InUseFilter, "side")
    search_fields = ("code", "label", "label_en")
    actions = ("deactivate", "reactivate")
    fields = (
        "code",
        "side",
        "label",
        "label_en",
        "buyer_text",
        "allows_ship_later",
        "allows_exchange_agreed",
        "allows_cannot_ship",
        "is_active",
        "deactivated_at",
        "sort_order",
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(used=Exists(Ticket.objects.filter(reply_reason=OuterRef("pk"))))
        )

    def get_readonly_fields(self, request, obj=None):
        # The code is what API clients send: fixed once created.
        return ("deactivated_at",) if obj is None else ("code", "deactivated_at")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # bulk delete would bypass the in-use check
        return actions

    def has_delete_permission(self, request, obj=None):
        if obj is not None and Ticket.objects.filter(reply_reason=obj).exists():
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not obj.is_active and obj.deactivated_at is None:
            obj.deactivated_at = timezone.now()
        elif obj.is_active:
            obj.deactivated_at = None
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("plans"))
    def plans(self, obj):
        return ", ".join(str(p.label) for p in Plan if obj.allows(p))

    @admin.display(description=gettext_lazy("deactivated at"), ordering="deactivated_at")
    def deactivated(self, obj):
        return local(obj.deactivated_at) if obj.deactivated_at else "—"

    @admin.display(description=gettext_lazy("used"), boolean=True, ordering="used")
    def in_use(self, obj):
        return obj.used

    @admin.action(permissions=["change"], description=gettext_lazy("Deactivate selected reasons"))
    def deactivate(self, request, queryset):
        n = reasons_set_active(reasons=queryset, active=False)
        self.message_user(
            request,
            _("%(n)d reason(s) deactivated: merchants no longer see them.") % {"n": n},
            messages.SUCCESS,
        )

    @admin.action(permissions=["change"], description=gettext_lazy("Reactivate selected reasons"))
    def reactivate(self, request, queryset):
        n = reasons_set_active(reasons=queryset, active=True)
        self.message_user(request, _("%(n)d reason(s) reactivated.") % {"n": n}, messages.SUCCESS)


# -- the audit log (django-fsm-log), read-only ---------------------------------------------


# django-fsm-log's model has English-only names; the admin reads better with ours.
StateLog._meta.verbose_name = gettext_lazy("transition")
StateLog._meta.verbose_name_plural = gettext_lazy("timeline")
apps.get_app_config("django_fsm_log").verbose_name = gettext_lazy("Timeline")


class SubjectFilter(admin.SimpleListFilter):
    """Only the two models with a timeline, not every content type of the project."""

    title = gettext_lazy("object")
    parameter_name = "subject"

    def lookups(self, request, model_admin):
        return [("ticket", Ticket._meta.verbose_name), ("complaint", Complaint._meta.verbose_name)]

    def queryset(self, request, queryset):
        model = {"ticket": Ticket, "complaint": Complaint}.get(self.value())
        if model is None:
            return queryset
        return queryset.filter(content_type=ContentType.objects.get_for_model(model))


class TransitionFilter(admin.SimpleListFilter):
    title = gettext_lazy("transition")
    parameter_name = "transition"

    def lookups(self, request, model_admin):
        return list(TRANSITION_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(transition=self.value()) if self.value() else queryset


@admin.register(StateLog)
class StateLogAdmin(ReadOnlyAdmin):
    list_display = ("when", "subject", "what", "states", "actor", "note")
    list_select_related = ("by", "content_type")
    list_filter = (SubjectFilter, TransitionFilter)
    search_fields = ("=object_id", "=by__username")
    search_help_text = gettext_lazy("An object id or a username.")
    ordering = ("-timestamp", "-id")
    list_per_page = 50
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isascii() and term.isdigit() and int(term) < 2**31:  # object ids are int4
            return queryset.filter(Q(object_id=int(term)) | Q(by__username=term)), False
        return queryset.filter(by__username=term), False

    @admin.display(description=gettext_lazy("when"), ordering="timestamp")
    def when(self, obj):
        return local(obj.timestamp)

    @admin.display(description=gettext_lazy("object"))
    def subject(self, obj):
        model = obj.content_type.model_class()
        name = model._meta.verbose_name if model else obj.content_type.model
        if model in (Ticket, Complaint):
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[obj.object_id],
            )
            return format_html('<a href="{}">{} #{}</a>', url, name, obj.object_id)
        return f"{name} #{obj.object_id}"

    @admin.display(description=gettext_lazy("transition"), ordering="transition")
    def what(self, obj):
        return TRANSITION_LABELS.get(obj.transition, obj.transition)

    @admin.display(description=gettext_lazy("state"))
    def states(self, obj):
        labels = {**dict(S.choices), **dict(ComplaintState.choices)}
        target = labels.get(obj.state, obj.state)
        if obj.source_state:
            return f"{labels.get(obj.source_state, obj.source_state)} → {target}"
        return target

    @admin.display(description=gettext_lazy("by"))
    def actor(self, obj):
        return obj.by.get_username() if obj.by else _("system")

    @admin.display(description=gettext_lazy("note"))
    def note(self, obj):
        return load_payload(obj.description).get("note", "")
