"""List filters (django-filter): state, shop, created range, overdue, and a few more."""

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError

from ..models import BuyerMessage, MessageKind, Plan, Ticket, TicketState


class IdFilter(django_filters.NumberFilter):
    """A row id: a positive integer that fits the database's bigint (else 400, never a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", 2**63 - 1)
        super().__init__(*args, **kwargs)


class InstantRangeFilter(django_filters.IsoDateTimeFromToRangeFilter):
    """`<name>_after` / `<name>_before` as ISO 8601 instants, compared in UTC: any offset
    Python accepts (up to ±23:59) is fine here, while PostgreSQL refuses those past ±15:59."""

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
        help_text=_("created_after / created_before: ISO 8601 instants (inclusive)."),
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue",
        help_text=_("true: the current state's deadline has passed; false: it has not or none."),
    )

    class Meta:
        model = Ticket
        fields = ["state", "shop", "shop_code", "order_no", "reply_plan", "created", "overdue"]

    def filter_overdue(self, queryset, name, value):
        # The list queryset carries the `deadline` annotation (selectors.with_current_deadline).
        now = timezone.now()
        if value:
            return queryset.filter(deadline__lte=now)
        return queryset.filter(Q(deadline__isnull=True) | Q(deadline__gt=now))


class BuyerMessageFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=MessageKind.choices)
    ticket = IdFilter(field_name="ticket_id")
    created = InstantRangeFilter(field_name="created_at")

    class Meta:
        model = BuyerMessage
        fields = ["ticket", "kind", "created"]
