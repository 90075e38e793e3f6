"""§11 reasons, messages, shops and shop metrics."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.api.conftest import client_for
from tickets.models import ReplyReason

pytestmark = pytest.mark.django_db


def test_reasons_are_the_active_catalogue(as_buyer):
    ReplyReason.objects.filter(code="force_majeure").update(is_active=False)
    body = as_buyer.get("/api/v1/reasons/").json()
    codes = [r["code"] for r in body["results"]]
    assert "force_majeure" not in codes and "stock_shortage" in codes
    assert body["count"] == ReplyReason.objects.active().count()
    stock = next(r for r in body["results"] if r["code"] == "stock_shortage")
    assert stock["allowed_plans"] == ["ship_later", "cannot_ship"] and stock["buyer_text"]
    buyer_side = as_buyer.get("/api/v1/reasons/", {"side": "buyer"}).json()["results"]
    assert {r["side"] for r in buyer_side} == {"buyer"}


def test_messages_are_the_buyers_own(buyer, as_buyer):
    mine = factories.replied(buyer=buyer)
    factories.replied()  # another buyer's
    body = as_buyer.get("/api/v1/messages/").json()
    assert {m["ticket"] for m in body["results"]} == {mine.pk}
    assert [m["kind"] for m in body["results"]] == ["reply", "ticket_opened"]
    assert body["results"][0]["order_no"] == mine.order.order_no
    only = as_buyer.get("/api/v1/messages/", {"kind": "reply"}).json()["results"]
    assert [m["kind"] for m in only] == ["reply"]


def test_shops_are_the_callers_own(merchant, shop, as_reviewer):
    other = factories.ShopFactory()
    assert [s["id"] for s in client_for(merchant).get("/api/v1/shops/").json()["results"]] == [
        shop.pk
    ]
    assert {s["id"] for s in as_reviewer.get("/api/v1/shops/").json()["results"]} >= {
        shop.pk,
        other.pk,
    }


def test_metrics_for_the_shops_staff_and_reviewers(as_merchant, as_reviewer, shop):
    factories.replied(shop=shop)
    factories.urged(shop=shop)
    for client in (as_merchant, as_reviewer):
        response = client.get(f"/api/v1/shops/{shop.pk}/metrics/")
        assert response.status_code == 200
        body = response.json()
        assert body["count"] == 2 and body["shop"] == shop.code
        assert body["complaints"] == 0 and body["upheld_rate"] is None
        assert body["mean_seconds"] is not None and len(body["by_day"]) == 31


def test_metrics_window_is_validated(as_merchant, shop):
    now = timezone.now()
    response = as_merchant.get(
        f"/api/v1/shops/{shop.pk}/metrics/",
        {"since": now.isoformat(), "until": (now - dt.timedelta(days=1)).isoformat()},
    )
    assert response.status_code == 400 and "until" in response.json()
    for since in ("soon", "2001-01-01T00:00:00Z", "0261-10-27T06:17:15Z"):
        bad = as_merchant.get(f"/api/v1/shops/{shop.pk}/metrics/", {"since": since})
        assert bad.status_code == 400 and "since" in bad.json(), since


def test_metrics_of_another_shop_is_a_404(as_merchant):
    other = factories.ShopFactory()
    assert as_merchant.get(f"/api/v1/shops/{other.pk}/metrics/").status_code == 404
