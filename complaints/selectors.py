"""Reads of the review desk that more than one page needs."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Q, QuerySet

from tickets.roles import REVIEW_LEADS, REVIEWERS

from .models import ComplaintState


def reviewers_with_load() -> QuerySet:
    """Active reviewers (leads too), each with how many complaints they hold in review
    (`in_review`), by username: whom a lead may assign a complaint to (§18). One query."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[REVIEWERS, REVIEW_LEADS])
        .distinct()
        .annotate(
            in_review=Count(
                "assigned_complaints",
                filter=Q(assigned_complaints__state=ComplaintState.IN_REVIEW),
                distinct=True,
            )
        )
        .order_by("username")
    )


def shop_penalty_points(shop_id: int) -> int:
    """§14: the shop's running penalty points, the sum over its liabilities not reversed by a
    granted appeal. One aggregate query."""
    from django.db.models import Sum

    from .models import Liability

    total = Liability.objects.filter(shop_id=shop_id, reversed_at__isnull=True).aggregate(
        points=Sum("points")
    )["points"]
    return total or 0
