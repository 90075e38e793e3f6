"""List filters (django-filter): state, shop, created range, overdue, and a few more."""

import datetime as dt
import re

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from ..models import BuyerMessage, MessageKind, Plan, Ticket, TicketState
from ..selectors import merchant_on_time, merchant_overdue
from .fields import BooleanFilter, InstantRangeFormField


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": 2**63 - 1})
class IdFilter(django_filters.NumberFilter):
    """A row id: a positive integer that fits the database's bigint (else 400, never a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class InstantRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """`<name>_after` / `<name>_before` as RFC 3339 instants with their offset (a date alone or a
    time without an offset is a 400), compared in UTC: any offset Python accepts (up to ±23:59)
    is fine here, while PostgreSQL refuses those past ±15:59."""

    field_class = InstantRangeFormField

    def filter(self, qs, value):
        if value:
            try:
                value = slice(*(v and v.astimezone(dt.UTC) for v in (value.start, value.stop)))
            except OverflowError:
                raise ValidationError({self.field_name: [_("Enter a valid date/time.")]}) from None
        return super().filter(qs, value)


class TicketFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=TicketState.choices)
    shop = IdFilter(field_name="shop_id", help_text=_("The shop's id."))
    shop_code = django_filters.CharFilter(field_name="shop__code", help_text=_("The shop's code."))
    order_no = django_filters.CharFilter(field_name="order__order_no")
    reply_plan = django_filters.ChoiceFilter(choices=Plan.choices)
    created = InstantRangeFilter(
        field_name="created_at",
        help_text=_(
            "created_after / created_before: RFC 3339 instants with their offset, such as "
            "2026-05-08T00:00:00+08:00 (inclusive)."
        ),
    )
    overdue = BooleanFilter(
        method="filter_overdue",
        help_text=_(
            "true: past a deadline the merchant answers for (the reply, the promised ship "
            "date); a buyer's silence past their window is deemed acceptance, never overdue. "
            "false: the others."
        ),
    )

    class Meta:
        model = Ticket
        fields = ["state", "shop", "shop_code", "order_no", "reply_plan", "created", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value:
            return merchant_overdue(queryset)
        return merchant_on_time(queryset)


class BuyerMessageFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=MessageKind.choices)
    ticket = IdFilter(field_name="ticket_id")
    created = InstantRangeFilter(field_name="created_at")

    class Meta:
        model = BuyerMessage
        fields = ["ticket", "kind", "created"]


class StrictOrderingFilter(OrderingFilter):
    """DRF's `ordering`, except that a field the endpoint does not sort by is a 400 naming the
    choices (DRF would silently ignore it and sort by the default)."""

    def get_ordering(self, request, queryset, view):
        raw = request.query_params.get(self.ordering_param)
        if not raw:
            return self.get_default_ordering(view)
        terms = [term.strip() for term in raw.split(",")]
        valid = self.remove_invalid_fields(queryset, terms, view, request)
        if len(valid) != len(terms):
            choices = [name for name, _label in self.get_valid_fields(queryset, view, {})]
            raise ValidationError(
                {
                    self.ordering_param: [
                        _("Order by one of: %(fields)s (prefix - for descending).")
                        % {"fields": ", ".join(choices)}
                    ]
                }
            )
        return valid

    def get_schema_operation_parameters(self, view):
        fields = [name for name, _label in self.get_valid_fields(None, view, {})]
        one = "-?(" + "|".join(re.escape(name) for name in fields) + ")"
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": str(
                    _("Sort by %(fields)s; prefix - for descending; several, comma-separated.")
                    % {"fields": ", ".join(fields)}
                ),
                "schema": {"type": "string", "pattern": f"^{one}(,{one})*$"},
            }
        ]
