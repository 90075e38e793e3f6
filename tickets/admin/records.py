"""Tickets with their complaints and buyer messages, the buyer messages, and orders (§3,
§11): read here, changed only by the services or the order system."""

from django.contrib import admin
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import Complaint

from ..models import BuyerMessage, Order, Ticket, TicketState
from ..paging import CappedCountPaginator
from ..search import ticket_search_filter
from ..selectors import buyer_window_over, merchant_overdue, with_current_deadline
from .display import (
    TICKET_COLOURS,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_link,
    badge,
    local,
    timeline_rows,
)


class TicketOverdueFilter(admin.SimpleListFilter):
    """ "Overdue" as everywhere (the merchant pages, the API): past a deadline the merchant
    answers for. A buyer who did not answer in time is apart: deemed acceptance, which the
    buyer-silence sweep applies, not anyone's lateness."""

    title = gettext_lazy("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [
            ("yes", _("Merchant past a deadline (reply or promised date)")),
            ("buyer_silent", _("Buyer did not answer in time (deemed acceptance pending)")),
            ("no", _("Within deadline")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return merchant_overdue(queryset, at=now)
        if self.value() == "buyer_silent":
            return buyer_window_over(queryset, at=now)
        if self.value() == "no":
            return with_current_deadline(queryset).filter(
                Q(deadline__gt=now) | Q(deadline__isnull=True)
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
    search_help_text = gettext_lazy(
        "An order number or any part of it (3 characters or more), or a shop's code or name."
    )
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator
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
                    "second_handling_kept",
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
        "second_handling_kept",
        "first_action_at",
        "settlement",
        "settled_at",
        "completed_at",
        "timeline",
    )

    def get_queryset(self, request):
        return with_current_deadline(super().get_queryset(request))

    def get_search_results(self, request, queryset, search_term):
        """An order number or any part of it, or a shop (`tickets.search`: each by its own
        index, never a scan of the tickets)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(ticket_search_filter(term)), False

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
        if deadline > timezone.now():
            return local(deadline)
        if (
            obj.state == TicketState.AWAITING_BUYER
        ):  # the buyer's silence: deemed acceptance, not late
            return format_html("{} {}", local(deadline), badge(_("deemed accepted"), "#6b6b6b"))
        return format_html(
            '{} <span class="rv-badge rv-overdue">{}</span>', local(deadline), _("past")
        )

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
    # Newest first by the primary key's index, whatever the table's size.
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator

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
    paginator = CappedCountPaginator
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
