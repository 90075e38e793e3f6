"""Small presentation filters of the merchant pages."""

import datetime as dt

from django import template
from django.utils.translation import gettext as _

from ..forms import reason_label as _reason_label

register = template.Library()


@register.filter
def duration(value) -> str:
    """Seconds (or a timedelta) as the largest two units: "1 d 3 h", "3 h 12 min", "45 s"."""
    if value is None or value == "":
        return "—"
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    seconds = int(round(abs(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min") % {"m": minutes}
    return _("%(s)d s") % {"s": secs}


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    return f"{float(value) * 100:.1f}%"


@register.filter
def reason_label(reason) -> str:
    return _reason_label(reason) if reason else ""


@register.filter
def until(deadline, now) -> float | None:
    """Seconds from `now` to `deadline` (negative when past)."""
    if deadline is None:
        return None
    return (deadline - now).total_seconds()
