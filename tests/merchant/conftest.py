import pytest

from tests import factories


@pytest.fixture
def en_client(client, settings):
    """A client that chose English with the switch, so assertions read like the source."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def merchant_client(en_client, merchant):
    en_client.force_login(merchant)
    return en_client


@pytest.fixture
def other_shop_ticket(db):
    """A ticket of a shop the `merchant` does not staff."""
    return factories.urged()


@pytest.fixture
def rolled_out(shop):
    """Second handling opened for the merchant's shop a day ago."""
    import datetime as dt

    from django.utils import timezone

    shop.second_handling_since = timezone.now() - dt.timedelta(days=1)
    shop.save(update_fields=["second_handling_since"])
    return shop
