"""Input fields that take exactly what the schema says and nothing Python would also parse.

DRF's fields convert generously: a JSON number becomes text, `Decimal()` reads "-0.0", "1_000",
"1e3" and full-width "１２３", and Django's date parsing (`fromisoformat`) reads a date alone
as midnight, a time without an offset as local time, ISO week dates ("2026-W20-5"), compact
forms ("20260508T0930") and full-width digits. Each would be stored as something the caller did
not mean, so each is a 400 here (§11):

- an amount is a decimal string of ASCII digits (`services.AMOUNT_PATTERN`);
- an instant is an RFC 3339 date-time with its offset or Z (`2026-05-08T09:30:00+08:00`);
- a date is an RFC 3339 full-date (`2026-05-15`);
- text is a JSON string, not a number or a boolean;
- a boolean is true or false (JSON's, or the words "true" / "false" in a form or a query),
  not 1, "yes", "on" or, in a list filter, anything else silently read as "no filter"."""

import re

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..services import AMOUNT_PATTERN

INSTANT_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
INSTANT = re.compile(INSTANT_PATTERN)
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
INSTANT_MESSAGE = _(
    "Enter a full instant with its offset, such as 2026-05-08T09:30:00+08:00 or "
    "2026-05-08T01:30:00Z (RFC 3339)."
)
DATE_MESSAGE = _("Enter a date as YYYY-MM-DD, such as 2026-05-15.")
AMOUNT_MESSAGE = _('Enter the amount as a decimal string in yuan, such as "129.90".')


BOOLEAN_MESSAGE = _("Enter true or false.")
BOOLEANS = {True: True, False: False, "true": True, "false": False}


class BooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": BOOLEAN_MESSAGE}

    def to_internal_value(self, data):
        if isinstance(data, bool | str) and data in BOOLEANS:
            return BOOLEANS[data]
        self.fail("invalid", input=data)


class TextField(serializers.CharField):
    """A JSON string (DRF's CharField also takes numbers and turns them into text)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(
    {"type": "string", "pattern": AMOUNT_PATTERN, "example": "129.90", "maxLength": 13}
)
class AmountField(TextField):
    """Yuan as a decimal string: "129.90", "0", "5.5"; never "", "-1", "1e3" or "１２３"."""

    default_error_messages = {"invalid": AMOUNT_MESSAGE}

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 13)
        kwargs.setdefault("trim_whitespace", False)  # " 12" is not the pattern either
        super().__init__(**kwargs)
        self.validators.append(RegexValidator(AMOUNT_PATTERN, message=AMOUNT_MESSAGE))


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": AMOUNT_PATTERN, "example": "129.90"}
)
class AmountOutputField(serializers.DecimalField):
    """An amount as answers show it (documented with the same pattern as the input)."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=12, decimal_places=2, coerce_to_string=True, **kwargs)


class InstantField(serializers.DateTimeField):
    """An RFC 3339 date-time with its offset (the schema's `date-time`)."""

    default_error_messages = {"invalid": INSTANT_MESSAGE}

    def to_internal_value(self, value):
        if not isinstance(value, str) or not INSTANT.match(value):
            self.fail("invalid", format="")
        return super().to_internal_value(value)


class DateField(serializers.DateField):
    """An RFC 3339 full-date (the schema's `date`)."""

    default_error_messages = {"invalid": DATE_MESSAGE}

    def to_internal_value(self, value):
        if not isinstance(value, str) or not DATE.match(value):
            self.fail("invalid", format="")
        return super().to_internal_value(value)


# -- the same for list filters (django-filter) -----------------------------------------------


class InstantFormField(django_filters.fields.IsoDateTimeField):
    def to_python(self, value):
        if value not in self.empty_values and not INSTANT.match(str(value)):
            raise forms.ValidationError(INSTANT_MESSAGE, code="invalid")
        return super().to_python(value)


class InstantRangeFormField(django_filters.fields.RangeField):
    """`<name>_after` / `<name>_before`, each an RFC 3339 instant."""

    widget = django_filters.widgets.DateRangeWidget

    def __init__(self, *args, **kwargs):
        super().__init__((InstantFormField(), InstantFormField()), *args, **kwargs)


class BooleanFormField(forms.Field):
    """`true` or `false` in a query (django-filter's own field reads anything else as None,
    which means "no filter": `?overdue=maybe` would list everything)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value not in ("true", "false"):
            raise forms.ValidationError(BOOLEAN_MESSAGE, code="invalid")
        return value == "true"


class BooleanFilter(django_filters.BooleanFilter):
    field_class = BooleanFormField
