"""`order_upsert` (PUT /orders/{order_no}/): the order system's mirror of an order. Bad input is
refused with the field named and changes nothing; an order never moves shop or buyer."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests import factories as f
from tickets import services
from tickets.exceptions import ValidationError
from tickets.models import Order

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture
def shop():
    return f.ShopFactory(code="shop-a")


def upsert(**kwargs):
    values = {
        "order_no": "T-0001",
        "shop_code": "shop-a",
        "buyer_username": "buyer-x",
        "amount": "88.50",
        "is_fresh": False,
        "paid_at": timezone.now() - dt.timedelta(hours=1),
    }
    values.update(kwargs)
    return services.order_upsert(**values)


def test_upsert_creates_the_order_and_its_buyer(shop):
    order, created = upsert()
    assert created is True
    assert (order.order_no, order.shop, order.buyer.username) == ("T-0001", shop, "buyer-x")
    assert order.amount == Decimal("88.50") and isinstance(order.amount, Decimal)


def test_upsert_again_updates_amount_freshness_and_payment(shop):
    upsert(paid_at=None)
    paid = timezone.now() - dt.timedelta(minutes=5)
    order, created = upsert(amount=Decimal("90"), is_fresh=True, paid_at=paid)
    assert created is False
    order.refresh_from_db()
    assert (order.amount, order.is_fresh, order.paid_at) == (Decimal("90.00"), True, paid)
    assert Order.objects.count() == 1


def test_upsert_without_paid_at_keeps_the_known_payment(shop):
    paid = timezone.now() - dt.timedelta(hours=2)
    upsert(paid_at=paid)
    order, _ = upsert(paid_at=None)
    assert order.paid_at == paid


@pytest.mark.parametrize("order_no", ["", None, "a b", "x" * 65, "../x", "单号1", "a/b"])
def test_upsert_with_a_bad_order_number_is_refused(shop, order_no):
    with pytest.raises(ValidationError) as error:
        upsert(order_no=order_no)
    assert error.value.field == "order_no"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "amount", ["-0.01", "-1", "1.005", "0.001", "abc", "", None, "NaN", "Infinity", "-Infinity"]
)
def test_upsert_with_a_bad_amount_is_refused(shop, amount):
    with pytest.raises(ValidationError) as error:
        upsert(amount=amount)
    assert error.value.field == "amount"
    assert not Order.objects.exists()
    assert not User.objects.filter(username="buyer-x").exists()


@pytest.mark.parametrize(("amount", "stored"), [("0", "0.00"), ("12.3", "12.30"), ("7", "7.00")])
def test_upsert_amount_is_stored_as_yuan_with_two_places(shop, amount, stored):
    order, _ = upsert(amount=amount)
    order.refresh_from_db()
    assert order.amount == Decimal(stored)


def test_upsert_for_an_unknown_shop_is_refused(shop):
    with pytest.raises(ValidationError) as error:
        upsert(shop_code="no-such-shop")
    assert error.value.field == "shop"
    assert not Order.objects.exists()


@pytest.mark.parametrize("username", ["", None, "has space", "x" * 151])
def test_upsert_with_a_bad_buyer_username_is_refused(shop, username):
    with pytest.raises(ValidationError) as error:
        upsert(buyer_username=username)
    assert error.value.field == "buyer"


def test_upsert_paid_in_the_future_is_refused(shop):
    with pytest.raises(ValidationError) as error:
        upsert(paid_at=timezone.now() + dt.timedelta(hours=1))
    assert error.value.field == "paid_at"


def test_an_order_cannot_move_to_another_shop(shop):
    upsert()
    f.ShopFactory(code="shop-b")
    with pytest.raises(ValidationError) as error:
        upsert(shop_code="shop-b", amount="1.00")
    assert error.value.field == "shop"
    order = Order.objects.get()
    assert (order.shop.code, order.amount) == ("shop-a", Decimal("88.50"))


def test_an_order_cannot_move_to_another_buyer(shop):
    upsert()
    with pytest.raises(ValidationError) as error:
        upsert(buyer_username="someone-else", amount="1.00")
    assert error.value.field == "buyer"
    order = Order.objects.get()
    assert (order.buyer.username, order.amount) == ("buyer-x", Decimal("88.50"))
    # Refused as a whole: the other buyer is not created on the way.
    assert not User.objects.filter(username="someone-else").exists()


@pytest.mark.parametrize("amount", ["10000000000", "10000000000.00", "123456789012"])
def test_upsert_with_an_amount_too_large_for_the_column_is_refused_as_too_large(shop, amount):
    with pytest.raises(ValidationError) as error:
        upsert(amount=amount)
    assert error.value.field == "amount"
    assert "decimal places" not in error.value.message  # the problem is the size, not the cents
    assert not Order.objects.exists()


def test_upsert_accepts_the_largest_amount_the_column_holds(shop):
    order, _ = upsert(amount="9999999999.99")
    order.refresh_from_db()
    assert order.amount == Decimal("9999999999.99")


@pytest.mark.parametrize("is_fresh", [None, "yes", "false", 1, 0])
def test_upsert_with_a_freshness_that_is_not_true_or_false_is_refused(shop, is_fresh):
    # None used to reach the database's NOT NULL, which the service mistook for a concurrent
    # create and answered with Order.DoesNotExist (a 500); strings raised Django's own error.
    with pytest.raises(ValidationError) as error:
        upsert(is_fresh=is_fresh)
    assert error.value.field == "is_fresh"
    assert not Order.objects.exists()


def test_a_buyer_first_seen_through_an_order_gets_the_buyer_role(shop):
    from tickets import roles, services

    order, created = services.order_upsert(
        order_no="NEW-BUYER-1",
        shop_code=shop.code,
        buyer_username="first-seen-buyer",
        amount="12.50",
        is_fresh=False,
        paid_at=None,
    )
    assert created
    assert roles.BUYERS in set(order.buyer.groups.values_list("name", flat=True))
