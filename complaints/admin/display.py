"""Renderings of the review desk: state colours, waiting times, evidence links, ids from
user input. Badges, times and links are those of `tickets.admin.display`."""

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince
from django.utils.translation import gettext as _

from ..models import ComplaintState

C = ComplaintState


STATE_COLOURS = {
    C.PENDING: "#b26a00",
    C.IN_REVIEW: "#1f5fbf",
    C.UPHELD: "#a61b1b",
    C.DISMISSED: "#2e7d32",
    C.APPEALED: "#7b3fa0",
    C.OVERTURNED: "#2e7d32",
    C.UPHELD_FINAL: "#a61b1b",
}


def overdue_badge():
    return format_html('<span class="rv-badge rv-overdue">{}</span>', _("past target"))


def duration_text(delta) -> str:
    """A span of time, short: '2 d 5 h', '3 h 20 min', '15 min' (whole minutes, rounded down)."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def time_left_text(due, now) -> str:
    """Time left to a target, negative (with a minus sign) once it has passed."""
    left = due - now
    return duration_text(left) if left.total_seconds() > 0 else f"−{duration_text(left)}"


def time_left(due, now):
    """The queue's cell: the time left to the target, in red and negative once past it."""
    text = time_left_text(due, now)
    if due <= now:
        return format_html('<span class="rv-late">{}</span>', text)
    return format_html('<span class="rv-left">{}</span>', text)


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
