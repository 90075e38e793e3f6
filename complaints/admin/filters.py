"""The queue's filters: what waits for a reviewer, past target, who holds it, which shop."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.models import Shop, ShopOpenComplaints

from ..models import REVIEW_STATES, ComplaintState
from .display import as_id

C = ComplaintState

# What waits for a reviewer: new cases, cases being judged, and appeals to decide.
TO_DO_STATES = REVIEW_STATES


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
    """Complaints and appeals waiting for a reviewer, past their target or within it."""

    title = gettext_lazy("review target")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Past target")), ("no", _("Within target"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "yes":
            return queryset.filter(state__in=REVIEW_STATES, review_due_at__lte=now)
        if self.value() == "no":
            return queryset.filter(state__in=REVIEW_STATES, review_due_at__gt=now)
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
        if value == "me":  # held now: a decided complaint keeps its assignee, not its hold
            return queryset.filter(state=C.IN_REVIEW, assignee=request.user)
        if value == "nobody":
            return queryset.filter(state=C.PENDING)
        if value == "others":
            return queryset.filter(state=C.IN_REVIEW).exclude(assignee=request.user)
        return queryset


class ShopFilter(admin.SimpleListFilter):
    """Tens of thousands of shops cannot be listed: offer the shops with the most open
    complaints (`OPEN_STATES`), plus the one chosen (the shop column of the queue links here).
    Read from the per-shop counter the database triggers keep (`ShopOpenComplaints`): one
    index scan with a LIMIT, the same cost whatever the number of tickets and complaints."""

    title = gettext_lazy("shop")
    parameter_name = "shop"
    shown = 10

    def lookups(self, request, model_admin):
        rows = (
            ShopOpenComplaints.objects.filter(open__gt=0)
            .order_by("-open", "shop__code")
            .values_list("shop_id", "shop__code", "open")[: self.shown]
        )
        choices = [(str(shop_id), f"{code} ({n})") for shop_id, code, n in rows]
        chosen = self.value()
        if chosen and chosen not in {c[0] for c in choices}:
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
