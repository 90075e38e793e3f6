import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories


def client_for(user=None) -> APIClient:
    """An API client authenticated by the user's DRF token, as real callers are."""
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def order_system(db):
    return factories.UserFactory(username="ordersys-a", groups=["order_system"])


@pytest.fixture
def operations(db):
    return factories.UserFactory(username="ops-a", groups=["operations"])


@pytest.fixture
def anonymous():
    return APIClient()


@pytest.fixture
def as_merchant(merchant):
    return client_for(merchant)


@pytest.fixture
def as_buyer(buyer):
    return client_for(buyer)


@pytest.fixture
def as_reviewer(reviewer):
    return client_for(reviewer)


@pytest.fixture
def as_order_system(order_system):
    return client_for(order_system)


def ship_by(days: int = 5) -> str:
    from django.utils import timezone

    from tickets.models import platform_today

    return (platform_today(timezone.now()) + dt.timedelta(days=days)).isoformat()


def open_second_handling(shop, *, since=None):
    from django.utils import timezone

    shop.second_handling_since = since or timezone.now() - dt.timedelta(days=1)
    shop.save(update_fields=["second_handling_since"])
