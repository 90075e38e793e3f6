"""The operations app in the admin: the sweep runs and heartbeats, read-only (the console at
/admin/operations/console/ is where operations act), and `redeliver_dead`, the admin action
that every outbox's changelist lists (the buyer messages' among them), for those who may
redeliver."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy, ngettext

import tickets.admin  # noqa: F401 (registers the outboxes' changelists first)
from tickets import delivery

from .models import Heartbeat, SweepRun
from .services import outbox_redeliver


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnly):
    list_display = ("sweep", "trigger", "started_at", "finished_at", "moved", "succeeded_flag")
    list_filter = ("sweep", "trigger")
    show_full_result_count = False
    list_per_page = 50

    @admin.display(description=gettext_lazy("succeeded"), boolean=True)
    def succeeded_flag(self, obj):
        return obj.succeeded


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnly):
    list_display = ("name", "at", "host")


REDELIVER = "operations.redeliver"


@admin.action(
    permissions=["redeliver"], description=gettext_lazy("Redeliver the selected dead deliveries")
)
def redeliver_dead(modeladmin, request, queryset):
    """For an outbox's changelist: the selected rows that are dead are sent again (one
    statement for all of them); the others are left as they are."""
    if not request.user.has_perm(REDELIVER):
        modeladmin.message_user(
            request, gettext_lazy("You may not redeliver deliveries."), messages.ERROR
        )
        return
    (name,) = [n for n, box in delivery.OUTBOXES.items() if box.model is queryset.model]
    count = outbox_redeliver(outbox=name, ids=queryset.values_list("pk", flat=True))
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d dead delivery will be sent again.",
            "%(count)d dead deliveries will be sent again.",
            count,
        )
        % {"count": count},
        messages.SUCCESS if count else messages.WARNING,
    )


def offer_redelivery(model_admin):
    """List `redeliver_dead` on an outbox's changelist, to those who may redeliver. The
    outboxes live in `tickets`, which does not know this app: it is added from here."""
    model_admin.actions = (*(model_admin.actions or ()), redeliver_dead)
    model_admin.has_redeliver_permission = lambda request: request.user.has_perm(REDELIVER)


for _outbox in delivery.OUTBOXES.values():
    if admin.site.is_registered(_outbox.model):
        offer_redelivery(admin.site.get_model_admin(_outbox.model))
