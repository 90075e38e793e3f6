"""The dashboard: the shop's handling-time figures (§9), a chart by day, and what falls due
in the next hours."""

import datetime as dt
import json

from django.db.models import Count
from django.shortcuts import render
from django.utils import timezone

from complaints.selectors import shop_penalty_points
from tickets import selectors
from tickets.models import Ticket, TicketState

from ..forms import DashboardForm
from .common import merchant_required

S = TicketState
DUE_SOON_ROWS = 8
DEFAULT_DAYS, DEFAULT_HOURS = 30, 6


@merchant_required
def dashboard(request):
    now = timezone.now()
    form = DashboardForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    days = data.get("days") or DEFAULT_DAYS
    hours = data.get("hours") or DEFAULT_HOURS
    since = now - dt.timedelta(days=days)
    shop = request.shop
    metrics = selectors.shop_metrics(shop_id=shop.pk, since=since, at=now, by_day=True)
    by_day = metrics.pop("by_day")
    chart = {
        "labels": [row["day"].strftime("%m-%d") for row in by_day],
        "count": [row["count"] for row in by_day],
        # Hours read better than seconds on an axis.
        "mean_hours": [
            None if row["mean_seconds"] is None else round(row["mean_seconds"] / 3600, 2)
            for row in by_day
        ],
    }
    until = now + dt.timedelta(hours=hours)
    shop_tickets = Ticket.objects.filter(shop=shop).select_related("order")
    due_soon = [
        (
            "reply",
            shop_tickets.filter(
                state=S.AWAITING_REPLY, reply_due_at__gt=now, reply_due_at__lte=until
            ).order_by("reply_due_at")[:DUE_SOON_ROWS],
            "reply_due_at",
        ),
        (
            "buyer",
            shop_tickets.filter(
                state=S.AWAITING_BUYER, buyer_due_at__gt=now, buyer_due_at__lte=until
            ).order_by("buyer_due_at")[:DUE_SOON_ROWS],
            "buyer_due_at",
        ),
        (
            "ship",
            shop_tickets.filter(
                state=S.AGREED, ship_deadline__gt=now, ship_deadline__lte=until
            ).order_by("ship_deadline")[:DUE_SOON_ROWS],
            "ship_deadline",
        ),
    ]
    due_lists = [
        {"key": key, "rows": [(t, getattr(t, field)) for t in rows]}
        for key, rows, field in due_soon
    ]
    open_counts = dict(
        Ticket.objects.filter(shop=shop)
        .exclude(state=S.COMPLETED)
        .values_list("state")
        .annotate(n=Count("*"))  # not a column: an index-only scan of ticket_shop_open_idx
        .order_by()
    )
    # §14: every open state, i.e. every state but the terminal one.
    state_cards = [
        (state, S(state).label, open_counts.get(state, 0)) for state in S if state != S.COMPLETED
    ]
    # The merchant's own lateness (reply, promised date), not buyers' silence.
    overdue_count = selectors.merchant_overdue_count(Ticket.objects.filter(shop=shop), at=now)
    return render(
        request,
        "merchant/dashboard.html",
        {
            "nav": "dashboard",
            "form": form,
            "days": days,
            "hours": hours,
            "metrics": metrics,
            "chart": chart,
            # Read by dashboard.js from an attribute: no script element with data in the page.
            "chart_json": json.dumps(chart),
            "due_lists": due_lists,
            "state_cards": state_cards,
            "overdue_count": overdue_count,
            "penalty_points": shop_penalty_points(shop.pk),
            "now": now,
        },
    )
