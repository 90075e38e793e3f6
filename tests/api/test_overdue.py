"""`?overdue=` and `is_overdue` (§11): "overdue" is the merchant late, as on the merchant pages
and in the admin: a reply or a promised ship date past, not yet swept. A buyer who let their
window pass is not overdue: their silence is deemed acceptance (§4 `buyer_silence`)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(db):
    """One ticket per case, all of the same shop, none swept yet."""
    now = timezone.now()
    shop = factories.ShopFactory()
    return {
        "late_reply": factories.urged(shop=shop, at=now - dt.timedelta(hours=25)),
        "missed_date": factories.agreed(shop=shop, days=1, at=now - dt.timedelta(days=3)),
        "silent_buyer": factories.replied(shop=shop, at=now - dt.timedelta(hours=25)),
        "waiting_reply": factories.urged(shop=shop),
        "waiting_buyer": factories.replied(shop=shop),
    }


def listed(client, **params) -> dict:
    response = client.get("/api/v1/tickets/", {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return {t["id"]: t for t in response.json()["results"]}


def names(cases, ids) -> set:
    return {name for name, ticket in cases.items() if ticket.pk in ids}


@pytest.mark.parametrize("caller", ["as_reviewer", "merchant_of_shop"])
def test_overdue_is_the_merchant_late_never_the_buyers_silence(cases, caller, request):
    if caller == "merchant_of_shop":
        from tests.api.conftest import client_for

        client = client_for(factories.staff_of(cases["late_reply"]))
    else:
        client = request.getfixturevalue(caller)
    assert names(cases, listed(client, overdue="true")) == {"late_reply", "missed_date"}
    assert names(cases, listed(client, overdue="false")) == {
        "silent_buyer",
        "waiting_reply",
        "waiting_buyer",
    }
    flags = {name: listed(client)[t.pk]["is_overdue"] for name, t in cases.items()}
    assert flags == {
        "late_reply": True,
        "missed_date": True,
        "silent_buyer": False,
        "waiting_reply": False,
        "waiting_buyer": False,
    }
