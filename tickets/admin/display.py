"""What every page of the back office shares: state colours, transition labels, the
ticket's timeline, small renderings, and the read-only base classes (also used by
`complaints.admin`)."""

from django.contrib import admin
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from complaints.models import ComplaintState

from ..models import PLATFORM_TZ, TicketState
from ..selectors import ticket_timeline

S = TicketState

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


def transition_label(transition: str, payload: dict) -> str:
    """What an audit row says happened; a lead's claim or release (§18) names the reviewer."""
    if transition == "claim" and payload.get("assigned_to"):
        return _("assigned to %(name)s") % {"name": payload["assigned_to"]}
    if transition == "release" and "taken_from" in payload:
        return _("taken back from %(name)s") % {"name": payload["taken_from"]}
    return str(TRANSITION_LABELS.get(transition, transition))


def timeline_rows(ticket) -> list[dict]:
    """The ticket's timeline (its audit rows and its complaints'), labelled for reading."""
    states = {**dict(S.choices), **dict(ComplaintState.choices)}
    rows = []
    for entry in ticket_timeline(ticket):
        rows.append(
            {
                "entry": entry,
                "what": transition_label(entry.transition, entry.payload),
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
