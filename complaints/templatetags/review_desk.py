"""The admin index's review panel: what waits for reviewers this morning (§7)."""

import datetime as dt

from django import template
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone

from complaints.models import REVIEW_STATES, Complaint, ComplaintKind, ComplaintState
from tickets.models import PLATFORM_TZ, Shop

register = template.Library()
C = ComplaintState
TO_DO = REVIEW_STATES


@register.inclusion_tag("admin/complaints/_review_panel.html", takes_context=True)
def review_panel(context):
    request = context["request"]
    user = request.user
    if not user.has_perm("complaints.view_complaint"):
        return {"show": False}
    now = timezone.now()
    today = dt.datetime.combine(
        timezone.localtime(now, PLATFORM_TZ).date(), dt.time.min, tzinfo=PLATFORM_TZ
    )
    queue = reverse("admin:complaints_complaint_changelist")
    # Open complaints by state and kind, in one grouped query.
    counts = {
        (row["state"], row["kind"]): row["n"]
        for row in Complaint.objects.filter(state__in=TO_DO)
        .values("state", "kind")
        .annotate(n=Count("id"))
        .order_by()
    }
    rows = [
        {
            "label": label,
            "cells": [
                {
                    "n": counts.get((state, kind), 0),
                    "url": f"{queue}?queue={state}&kind__exact={kind}",
                }
                for state in TO_DO
            ],
            "total": sum(counts.get((state, kind), 0) for state in TO_DO),
        }
        for kind, label in ComplaintKind.choices
    ]
    totals = [sum(counts.get((state, kind), 0) for kind in ComplaintKind.values) for state in TO_DO]
    figures = Complaint.objects.aggregate(
        past_target=Count("id", filter=Q(state__in=REVIEW_STATES, review_due_at__lte=now)),
        mine=Count("id", filter=Q(state=C.IN_REVIEW, assignee=user)),
        decided_today=Count(
            "id",
            filter=Q(decided_at__gte=today) | Q(appeal_decided_at__gte=today),
        ),
        decided_today_by_me=Count(
            "id",
            filter=Q(decided_at__gte=today, decided_by=user)
            | Q(appeal_decided_at__gte=today, appeal_decided_by=user),
        ),
        oldest_filed=Min("filed_at", filter=Q(state=C.PENDING)),
    )
    oldest = None
    if figures["oldest_filed"] is not None:
        oldest = (
            Complaint.objects.filter(state=C.PENDING)
            .select_related("ticket__shop", "ticket__order")
            .order_by("filed_at", "id")
            .first()
        )
    shops = Shop.objects.aggregate(
        total=Count("id"), having=Count("id", filter=Q(second_handling_since__isnull=False))
    )
    return {
        "show": True,
        "request": request,
        "states": [C(state).label for state in TO_DO],
        "rows": rows,
        "totals": totals,
        "grand_total": sum(totals),
        "figures": figures,
        "oldest": oldest,
        "shops": shops,
        "queue_url": queue,
        "can_review": user.has_perm("complaints.change_complaint"),
    }
