"""§11 order endpoints, as the order system calls them."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tickets.models import Order, Policy, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db


def put_order(client, order_no, **body):
    return client.put(f"/api/v1/orders/{order_no}/", body, format="json")


def test_put_creates_the_order_then_updates_it(as_order_system, shop, buyer):
    paid = (timezone.now() - dt.timedelta(hours=2)).isoformat()
    body = {"shop": shop.code, "buyer": buyer.username, "amount": "129.90", "paid_at": paid}
    created = put_order(as_order_system, "TB-1", **body)
    assert created.status_code == 201
    assert created.json() | {"created_at": None, "updated_at": None, "paid_at": None} == {
        "order_no": "TB-1",
        "shop": shop.code,
        "buyer": buyer.username,
        "amount": "129.90",
        "is_fresh": False,
        "paid_at": None,
        "shipped_at": None,
        "refunded_at": None,
        "created_at": None,
        "updated_at": None,
    }
    updated = put_order(as_order_system, "TB-1", **(body | {"amount": "99.00", "is_fresh": True}))
    assert updated.status_code == 200
    order = Order.objects.get(order_no="TB-1")
    assert (str(order.amount), order.is_fresh) == ("99.00", True)
    assert as_order_system.get("/api/v1/orders/TB-1/").json()["amount"] == "99.00"


def test_put_creates_an_unknown_buyer(as_order_system, shop):
    response = put_order(as_order_system, "TB-2", shop=shop.code, buyer="new-buyer", amount="1")
    assert response.status_code == 201
    assert Order.objects.get(order_no="TB-2").buyer.username == "new-buyer"


@pytest.mark.parametrize(
    ("order_no", "change", "field"),
    [
        ("TB-3", {"shop": "no-such-shop"}, "shop"),
        ("TB-3", {"amount": "-1"}, "amount"),
        ("TB-3", {"amount": "1.001"}, "amount"),
        ("TB-3", {"amount": "abc"}, "amount"),
        ("TB-3", {"buyer": "has space"}, "buyer"),
        ("TB-3", {"paid_at": "2999-01-01T00:00:00Z"}, "paid_at"),
        ("TB-3", {"paid_at": "yesterday"}, "paid_at"),
        ("TB-3", {"paid_at": "0261-10-27T06:17:15Z"}, "paid_at"),
        ("bad%20no", {}, "order_no"),
    ],
)
def test_bad_order_input_is_a_400_on_the_field_and_stores_nothing(
    as_order_system, shop, buyer, order_no, change, field
):
    body = {"shop": shop.code, "buyer": buyer.username, "amount": "10.00"} | change
    response = put_order(as_order_system, order_no, **body)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field], list)
    assert not Order.objects.exists()


def test_an_order_never_moves_to_another_shop(as_order_system, shop, buyer):
    put_order(as_order_system, "TB-4", shop=shop.code, buyer=buyer.username, amount="1")
    other = factories.ShopFactory()
    response = put_order(as_order_system, "TB-4", shop=other.code, buyer=buyer.username, amount="1")
    assert response.status_code == 400 and "shop" in response.json()
    assert Order.objects.get(order_no="TB-4").shop == shop


def test_shipped_event_completes_the_open_ticket(as_order_system):
    ticket = factories.urged()
    response = as_order_system.post(
        f"/api/v1/orders/{ticket.order.order_no}/events/", {"type": "shipped"}, format="json"
    )
    assert response.status_code == 200 and response.json()["shipped_at"]
    ticket.refresh_from_db()
    assert (ticket.state, ticket.settlement) == (S.COMPLETED, "shipped")


def test_event_repeated_changes_nothing(as_order_system):
    ticket = factories.urged()
    url = f"/api/v1/orders/{ticket.order.order_no}/events/"
    first = as_order_system.post(url, {"type": "refunded"}, format="json").json()
    second = as_order_system.post(url, {"type": "refunded"}, format="json")
    assert second.status_code == 200 and second.json()["refunded_at"] == first["refunded_at"]


def test_settlement_during_review_is_recorded_and_the_ticket_waits(as_order_system):
    ticket = factories.replied(plan="cannot_ship")
    response = as_order_system.post(
        f"/api/v1/orders/{ticket.order.order_no}/events/", {"type": "shipped"}, format="json"
    )
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.state, ticket.settlement) == (S.PLATFORM_REVIEW, "shipped")


@pytest.mark.parametrize(
    "body",
    [
        {"type": "lost"},
        {},
        {"type": "shipped", "at": "2999-01-01T00:00:00Z"},
        {"type": "shipped", "at": "0261-10-27T06:17:15Z"},
    ],
)
def test_bad_event_is_a_400(as_order_system, body):
    ticket = factories.urged()
    response = as_order_system.post(
        f"/api/v1/orders/{ticket.order.order_no}/events/", body, format="json"
    )
    assert response.status_code == 400
    assert Ticket.objects.get(pk=ticket.pk).state == S.AWAITING_REPLY


def test_event_for_an_unknown_order_is_a_404(as_order_system):
    response = as_order_system.post("/api/v1/orders/NOPE/events/", {"type": "shipped"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_get_unknown_order_is_a_404(as_order_system):
    assert as_order_system.get("/api/v1/orders/NOPE/").status_code == 404


def test_no_policy_in_force_is_a_409_conflict(as_buyer, buyer):
    shop = factories.ShopFactory(platform="tmall")
    order = factories.OrderFactory(shop=shop, buyer=buyer)
    Policy.objects.filter(platform="tmall").delete()
    response = as_buyer.post("/api/v1/tickets/", {"order_no": order.order_no}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert not Ticket.objects.exists()
