"""A policy's numbers as operations type and read them (§8): windows in hours or in days,
whichever the setting is counted in, rates as percentages, money in yuan. The publish form's
fields, the published version's read-only page, the list and the diff before publishing all
read them here."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import Payout, Policy

HOURS, DAYS = "hours", "days"
SECONDS = {HOURS: 3600, DAYS: 86400}
# Each window in the unit it is thought of in (the publish form's fields say the same):
# replies, answers and reviews in hours, the appeal window in days (eBay's and Amazon's 30).
WINDOW_UNITS = {
    "reply_window": HOURS,
    "buyer_window": HOURS,
    "review_target": HOURS,
    "appeal_window": DAYS,
    "appeal_review_target": HOURS,
    "reply_reminder_lead": HOURS,  # §15: how long before the reply deadline a reminder goes
}
DAY_COUNTS = ("ship_later_cap_days", "fresh_ship_later_cap_days")
RATES = ("late_rate", "stockout_rate")
MONEY = ("late_min", "late_max", "stockout_min", "stockout_max")
# A window is longer than zero (the model's constraint) and at most a year: longer is a typo,
# and deadlines that far out would leave tickets open for good.
LONGEST_WINDOW = dt.timedelta(days=365)
HUNDREDTH = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")  # Policy.late_rate: four decimal places


def plain(number: Decimal) -> str:
    """5 for 5.00, 1.5 for 1.50: a number as people write it."""
    return format(number.normalize(), "f")


def in_unit(duration: dt.timedelta, unit: str) -> Decimal:
    """A window counted in `unit`, to the hundredth."""
    seconds = Decimal(duration.days * 86400 + duration.seconds)
    return (seconds / SECONDS[unit]).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def count_text(number, unit: str) -> str:
    """'24 hours' / '24 小时', '1 day' / '1 天'."""
    number = Decimal(number)
    count = 1 if number == 1 else 2  # the plural form only: the text keeps the number
    if unit == HOURS:
        return ngettext("%(n)s hour", "%(n)s hours", count) % {"n": plain(number)}
    return ngettext("%(n)s day", "%(n)s days", count) % {"n": plain(number)}


def percent_text(rate) -> str:
    return f"{plain(Decimal(rate) * 100)}%"


def value_text(name: str, value) -> str:
    """One number of a version, as the pages show it."""
    if value is None or value == "":
        return "—"
    if name in WINDOW_UNITS:
        return count_text(in_unit(value, WINDOW_UNITS[name]), WINDOW_UNITS[name])
    if name in DAY_COUNTS:
        return count_text(value, DAYS)
    if name in RATES:
        return percent_text(value)
    if name in MONEY:
        return f"¥{Decimal(value).quantize(HUNDREDTH)}"
    if name == "payout":
        return str(Payout(value).label)
    return str(value)


def label(name: str) -> str:
    return capfirst(Policy._meta.get_field(name).verbose_name)


# -- the publish form's fields ---------------------------------------------------------------

# Any number the field's places allow (the browser's own step would refuse 1.5 hours).
NUMBER = forms.NumberInput(attrs={"step": "any", "class": "vIntegerField"})


class WindowField(forms.DecimalField):
    """A window typed as a number of hours or days ("24", "1.5"); cleaned to a timedelta."""

    def __init__(self, unit: str, *, allow_zero: bool = False, **kwargs):
        self.unit = unit
        self.allow_zero = allow_zero  # a lead time may be zero; a window may not
        kwargs.setdefault("widget", NUMBER)
        super().__init__(max_digits=8, decimal_places=2, **kwargs)

    def prepare_value(self, value):
        if isinstance(value, dt.timedelta):  # the version's own value (typed text stays as is)
            return plain(in_unit(value, self.unit))
        return super().prepare_value(value)

    def clean(self, value):
        number = super().clean(value)
        if number is None:
            return None
        if number < 0 and self.allow_zero:
            raise forms.ValidationError(_("It cannot be negative."), code="min_value")
        if number <= 0 and not self.allow_zero:
            raise forms.ValidationError(_("A window must be longer than zero."), code="min_value")
        longest = in_unit(LONGEST_WINDOW, self.unit)
        if number > longest:
            raise forms.ValidationError(
                _("At most %(longest)s (a year).") % {"longest": count_text(longest, self.unit)},
                code="max_value",
            )
        return dt.timedelta(seconds=int(number * SECONDS[self.unit]))


class PercentField(forms.DecimalField):
    """A rate typed as a percentage (5 for 0.05), from 0 to 100 as the model's validators
    allow; cleaned to the fraction the model keeps."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", NUMBER)
        super().__init__(
            max_digits=5, decimal_places=2, min_value=Decimal(0), max_value=Decimal(100), **kwargs
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal):  # the version's own fraction
            return plain(value * 100)
        return super().prepare_value(value)

    def clean(self, value):
        number = super().clean(value)
        if number is None:
            return None
        return (number / 100).quantize(RATE_PLACES)
