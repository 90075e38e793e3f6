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


# -- §17: only buyer accounts are buyers -----------------------------------------------------


@pytest.mark.parametrize(
    "who", ["merchant", "reviewer", "operations", "order_system", "admin staff", "superuser"]
)
def test_only_a_buyer_account_may_be_named_as_the_buyer(
    as_order_system, shop, merchant, reviewer, operations, order_system, who
):
    account = {
        "merchant": merchant,
        "reviewer": reviewer,
        "operations": operations,
        "order_system": order_system,
        "admin staff": factories.UserFactory(username="staff-x", is_staff=True),
        "superuser": factories.UserFactory(username="root-x", is_superuser=True),
    }[who]
    response = put_order(
        as_order_system, "TB-9", shop=shop.code, buyer=account.username, amount="1"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["buyer"]
    assert not Order.objects.filter(order_no="TB-9").exists()


def test_a_merchant_named_as_buyer_cannot_then_urge(as_order_system, merchant):
    """The issue's path: merchant2 as buyer of a taobao-demo-1 order, then urging it."""
    other_shop = factories.ShopFactory(code="taobao-other")
    put_order(as_order_system, "TB-10", shop=other_shop.code, buyer=merchant.username, amount="1")
    from .conftest import client_for

    response = client_for(merchant).post("/api/v1/tickets/", {"order_no": "TB-10"}, format="json")
    assert response.status_code == 404
    assert not Ticket.objects.exists()


def test_buyers_new_and_existing_may_be_named(as_order_system, shop, buyer):
    assert put_order(as_order_system, "TB-11", shop=shop.code, buyer=buyer.username, amount="1")
    response = put_order(as_order_system, "TB-12", shop=shop.code, buyer="brand-new", amount="1")
    assert response.status_code == 201
    new = Order.objects.get(order_no="TB-12").buyer
    assert list(new.groups.values_list("name", flat=True)) == ["buyers"]
    again = put_order(as_order_system, "TB-13", shop=shop.code, buyer="brand-new", amount="2")
    assert again.status_code == 201


# -- §17: an order is settled once -------------------------------------------------------------


def post_event(client, order_no, type_, **extra):
    return client.post(
        f"/api/v1/orders/{order_no}/events/", {"type": type_, **extra}, format="json"
    )


@pytest.mark.parametrize(("first", "second"), [("shipped", "refunded"), ("refunded", "shipped")])
def test_the_other_settlement_after_one_is_a_409_and_changes_nothing(
    as_order_system, first, second
):
    ticket = factories.urged()
    order_no = ticket.order.order_no
    assert post_event(as_order_system, order_no, first).status_code == 200
    order = Order.objects.get(order_no=order_no)
    response = post_event(as_order_system, order_no, second)
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    after = Order.objects.get(order_no=order_no)
    assert (after.shipped_at, after.refunded_at, after.updated_at) == (
        order.shipped_at,
        order.refunded_at,
        order.updated_at,
    )
    assert Ticket.objects.get(pk=ticket.pk).settlement == first


def test_the_same_settlement_again_is_a_200_and_changes_nothing(as_order_system):
    ticket = factories.urged()
    order_no = ticket.order.order_no
    first = post_event(as_order_system, order_no, "shipped").json()
    before = Order.objects.get(order_no=order_no).updated_at
    later = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    again = post_event(as_order_system, order_no, "shipped", at=later)
    assert again.status_code == 200 and again.json()["shipped_at"] == first["shipped_at"]
    assert Order.objects.get(order_no=order_no).updated_at == before


def test_the_other_settlement_of_an_order_without_a_ticket_is_a_409_too(as_order_system):
    order = factories.OrderFactory()
    assert post_event(as_order_system, order.order_no, "refunded").status_code == 200
    assert post_event(as_order_system, order.order_no, "shipped").status_code == 409


# -- amounts and instants: exactly what the schema says ------------------------------------------


@pytest.mark.parametrize(
    "amount",
    [
        "-0.0",
        "-0",
        "-1",
        "１２３",
        "1_000",
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "",
        " 12",
        "12 ",
        "+5",
        "0x10",
        "1.",
        ".5",
        "1.001",
        "12345678901",
        "1,000.00",
        "١٢٣",
        129.9,
        100,
        True,
        None,
        [],
        {"value": "1"},
    ],
)
def test_an_amount_that_is_not_a_plain_decimal_string_is_a_400(
    as_order_system, shop, buyer, amount
):
    response = put_order(
        as_order_system, "TB-20", shop=shop.code, buyer=buyer.username, amount=amount
    )
    assert response.status_code == 400, amount
    assert list(response.json()) == ["amount"]
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    ("amount", "stored"),
    [("0", "0.00"), ("5.5", "5.50"), ("129.90", "129.90"), ("9999999999.99", "9999999999.99")],
)
def test_plain_decimal_strings_are_amounts(as_order_system, shop, buyer, amount, stored):
    response = put_order(
        as_order_system, "TB-21", shop=shop.code, buyer=buyer.username, amount=amount
    )
    assert response.status_code == 201 and response.json()["amount"] == stored


@pytest.mark.parametrize(
    "paid_at",
    [
        "2026-05-08",
        "2026-05-08T09:30:00",
        "2026-05-08T09:30",
        "2026-05-08T09:30+08:00",
        "20260508T093000+0800",
        "2026-W19-5T09:30:00Z",
        "２０２６-05-08T09:30:00Z",
        "2026-05-08T24:00:00Z",
        1778203800,
        True,
    ],
)
def test_paid_at_must_be_a_full_instant_with_an_offset(as_order_system, shop, buyer, paid_at):
    response = put_order(
        as_order_system,
        "TB-22",
        shop=shop.code,
        buyer=buyer.username,
        amount="1.00",
        paid_at=paid_at,
    )
    assert response.status_code == 400, paid_at
    assert list(response.json()) == ["paid_at"]
    assert not Order.objects.exists()


@pytest.mark.parametrize("paid_at", ["2026-05-08T01:30:00Z", "2026-05-08T09:30:00.123+08:00"])
def test_full_instants_are_accepted(as_order_system, shop, buyer, paid_at):
    response = put_order(
        as_order_system, "TB-23", shop=shop.code, buyer=buyer.username, amount="1", paid_at=paid_at
    )
    assert response.status_code == 201
    assert Order.objects.get(order_no="TB-23").paid_at == dt.datetime(
        2026, 5, 8, 1, 30, tzinfo=dt.UTC
    ) + dt.timedelta(milliseconds=123 if "." in paid_at else 0)


@pytest.mark.parametrize("at", ["2026-05-08", "2026-05-08T09:30:00", 1778203800])
def test_an_event_time_must_be_a_full_instant(as_order_system, at):
    ticket = factories.urged()
    response = post_event(as_order_system, ticket.order.order_no, "shipped", at=at)
    assert response.status_code == 400 and list(response.json()) == ["at"]
    assert Order.objects.get(pk=ticket.order_id).shipped_at is None


@pytest.mark.parametrize("field", ["shop", "buyer"])
def test_a_number_is_not_a_name(as_order_system, shop, buyer, field):
    body = {"shop": shop.code, "buyer": buyer.username, "amount": "1"} | {field: 12345}
    response = put_order(as_order_system, "TB-24", **body)
    assert response.status_code == 400 and list(response.json()) == [field]
