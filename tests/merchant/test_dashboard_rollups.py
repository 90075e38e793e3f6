"""The dashboard's §9 figures come from the per-day rollups (tickets.rollups): the same number
of queries for a shop of 1 or 60 handled tickets, over 30 and 90 days, whether the percentiles
are exact or read from the buckets (a big shop); and the figures shown are the live ones."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets import rollups, services
from tickets.models import platform_today
from tickets.selectors import shop_metrics_live

pytestmark = pytest.mark.django_db


def handled_tickets(shop, n):
    now = timezone.now()
    for i in range(n):
        created = now - dt.timedelta(days=i % 80, hours=i % 20 + 1)
        ticket = factories.urged(shop=shop, at=created)
        at = created + dt.timedelta(minutes=5 + 7 * i)
        if i % 3:
            services.ticket_reply(
                ticket_id=ticket.pk,
                actor=factories.staff_of(ticket),
                plan="ship_later",
                reason="stock_shortage",
                ship_by=platform_today(at) + dt.timedelta(days=3),
                at=at,
            )


def dashboard_queries(client, days, django_assert_max_num_queries):
    with django_assert_max_num_queries(15) as captured:
        response = client.get(reverse("merchant:dashboard"), {"days": days})
    assert response.status_code == 200
    return len(captured.captured_queries), response


@pytest.mark.parametrize("exact_up_to", [rollups.EXACT_UP_TO, 0])
@pytest.mark.parametrize("days", [30, 90])
def test_the_dashboard_costs_the_same_queries_at_1_and_60_tickets(
    merchant_client, shop, days, exact_up_to, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(rollups, "EXACT_UP_TO", exact_up_to)
    handled_tickets(shop, 1)
    one, _ = dashboard_queries(merchant_client, days, django_assert_max_num_queries)
    handled_tickets(shop, 59)
    sixty, response = dashboard_queries(merchant_client, days, django_assert_max_num_queries)
    assert one == sixty
    metrics = response.context["metrics"]
    live = shop_metrics_live(shop_id=shop.pk, since=metrics["since"], at=response.context["now"])
    assert metrics["count"] == live["count"] > 1
    assert metrics["mean_seconds"] == pytest.approx(live["mean_seconds"], rel=1e-9)
