"""The dashboard: §9 figures for a window, the chart by day, and what falls due soon."""

import datetime as dt
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def test_dashboard_shows_the_shop_figures_and_chart(merchant_client, shop):
    now = timezone.now()
    factories.replied(shop=shop, at=now - dt.timedelta(hours=3))  # handled at once
    factories.urged(shop=shop, at=now - dt.timedelta(hours=2))  # still waiting
    factories.urged()  # another shop's: not counted
    response = merchant_client.get(reverse("merchant:dashboard"))
    assert response.status_code == 200
    metrics = response.context["metrics"]
    assert metrics["count"] == 2
    chart = json.loads(response.context["chart"] and json.dumps(response.context["chart"]))
    assert len(chart["labels"]) == 31  # the 30-day window, both ends included
    assert sum(chart["count"]) == 2
    # The chart's data rides on the canvas (no script element with a body: CSP-ready).
    assert b"data-chart=" in response.content and b"<script>" not in response.content
    assert b"vendor/chartjs/chart.umd.min.js" in response.content


def test_window_is_chosen(merchant_client, shop):
    factories.urged(shop=shop, at=timezone.now() - dt.timedelta(days=20))
    seven = merchant_client.get(reverse("merchant:dashboard"), {"days": 7})
    thirty = merchant_client.get(reverse("merchant:dashboard"), {"days": 30})
    assert seven.context["metrics"]["count"] == 0
    assert thirty.context["metrics"]["count"] == 1
    assert len(seven.context["chart"]["labels"]) == 8


def test_bad_window_falls_back_to_default(merchant_client):
    response = merchant_client.get(reverse("merchant:dashboard"), {"days": "abc", "hours": "-5"})
    assert response.status_code == 200
    assert response.context["days"] == 30
    assert response.context["hours"] == 6


def test_due_soon_lists_each_deadline(merchant_client, shop):
    now = timezone.now()
    reply_soon = factories.urged(shop=shop, at=now - dt.timedelta(hours=22))
    factories.urged(shop=shop, at=now)  # due in 24 h: outside 6 h
    buyer_soon = factories.replied(shop=shop, at=now - dt.timedelta(hours=21))
    ship_soon = factories.agreed(shop=shop, days=0)  # ship by end of today
    response = merchant_client.get(reverse("merchant:dashboard"), {"hours": 24 * 3})
    due = {g["key"]: [t.pk for t, _ in g["rows"]] for g in response.context["due_lists"]}
    assert reply_soon.pk in due["reply"]
    assert buyer_soon.pk in due["buyer"]
    assert ship_soon.pk in due["ship"]
    narrow = merchant_client.get(reverse("merchant:dashboard"), {"hours": 6})
    due = {g["key"]: [t.pk for t, _ in g["rows"]] for g in narrow.context["due_lists"]}
    assert due["reply"] == [reply_soon.pk]
    assert buyer_soon.pk in due["buyer"]


def test_overdue_count_and_state_cards(merchant_client, shop):
    now = timezone.now()
    factories.urged(shop=shop, at=now - dt.timedelta(hours=25))  # sweep not yet run
    factories.urged(shop=shop)
    response = merchant_client.get(reverse("merchant:dashboard"))
    assert response.context["overdue_count"] == 1
    cards = {state: count for state, _label, count in response.context["state_cards"]}
    assert cards["awaiting_reply"] == 2


@pytest.mark.parametrize("rows", [1, 50])
def test_dashboard_query_count_is_bounded(
    merchant_client, shop, rows, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(rows):
        factories.urged(shop=shop, at=now - dt.timedelta(hours=i % 23, days=i % 20))
    with django_assert_max_num_queries(15):
        response = merchant_client.get(reverse("merchant:dashboard"), {"hours": 24})
    assert response.context["metrics"]["count"] == rows
