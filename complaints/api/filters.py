import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.api.fields import BooleanFilter
from tickets.api.filters import IdFilter, InstantRangeFilter

from ..models import REVIEW_STATES, Complaint, ComplaintKind, ComplaintState


class ComplaintFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=ComplaintState.choices)
    kind = django_filters.MultipleChoiceFilter(choices=ComplaintKind.choices)
    shop = IdFilter(field_name="ticket__shop_id", help_text=_("The shop's id."))
    shop_code = django_filters.CharFilter(field_name="ticket__shop__code")
    ticket = IdFilter(field_name="ticket_id")
    filed = InstantRangeFilter(
        field_name="filed_at",
        help_text=_("filed_after / filed_before: RFC 3339 instants with their offset (inclusive)."),
    )
    overdue = BooleanFilter(
        method="filter_overdue",
        help_text=_(
            "Waiting for a reviewer (a complaint, or an appeal) and past its review target."
        ),
    )

    class Meta:
        model = Complaint
        fields = ["state", "kind", "shop", "shop_code", "ticket", "filed", "overdue"]

    def filter_overdue(self, queryset, name, value):
        past = Q(state__in=REVIEW_STATES, review_due_at__lte=timezone.now())
        return queryset.filter(past) if value else queryset.exclude(past)
