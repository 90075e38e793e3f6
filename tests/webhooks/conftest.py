import pytest

from tests import factories
from tests.api.conftest import client_for
from tests.operations.conftest import ops, ops_client  # noqa: F401 (fixtures)
from webhooks import services
from webhooks.models import SUBSCRIBABLE

from .receiver import Receiver


@pytest.fixture
def receiver():
    hook = Receiver()
    yield hook
    hook.close()


def subscribe(merchant, shop, url, events=None):
    return services.subscription_create(
        actor=merchant, shop_id=shop.pk, url=url, events=events or SUBSCRIBABLE
    )


@pytest.fixture
def subscription(merchant, shop, receiver):
    return subscribe(merchant, shop, receiver.url)


@pytest.fixture
def other_merchant(db):
    return factories.merchant(username="merchant-b")


@pytest.fixture
def as_merchant(merchant):
    return client_for(merchant)
