"""Reply reasons (§5): edited, added, deactivated, never deleted once used."""

from django.contrib import admin, messages
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..models import Plan, ReplyReason, Ticket
from ..services import reasons_set_active
from .display import local


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

    # Whether any ticket used it (so it can no longer be deleted), not how often.
    @admin.display(description=gettext_lazy("in use"), boolean=True, ordering="used")
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
