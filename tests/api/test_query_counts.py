"""No N+1 (quality.md): every list endpoint, and the ticket detail, costs the same number of
queries at 1 and at 50 rows."""

import pytest

from tests import factories
from tests.api.conftest import client_for
from tickets.models import ReplyReason, ShopMembership

pytestmark = pytest.mark.django_db

# The token with the caller's roles and shops (1), count (1), page (1), prefetches.
LIST_BOUND = 5
SIZES = [1, 50]


def fetch(client, url, rows, django_assert_max_num_queries, bound=LIST_BOUND):
    client.get("/api/v1/reasons/")  # warm the content-type cache like a running server
    with django_assert_max_num_queries(bound):
        response = client.get(url, {"page_size": 50})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) == rows
    return response


@pytest.mark.parametrize("rows", SIZES)
@pytest.mark.parametrize("who", ["merchant", "buyer", "reviewer"])
def test_ticket_list(rows, who, merchant, shop, buyer, reviewer, django_assert_max_num_queries):
    for i in range(rows):
        # A mix of states so that every optional relation is exercised.
        make = [factories.urged, factories.replied, factories.agreed][i % 3]
        make(shop=shop, buyer=buyer)
    user = {"merchant": merchant, "buyer": buyer, "reviewer": reviewer}[who]
    fetch(client_for(user), "/api/v1/tickets/", rows, django_assert_max_num_queries)


@pytest.mark.parametrize("rows", SIZES)
def test_complaint_list(rows, merchant, shop, django_assert_max_num_queries):
    for _ in range(rows):
        factories.replied(plan="cannot_ship", shop=shop)
    fetch(client_for(merchant), "/api/v1/complaints/", rows, django_assert_max_num_queries)


@pytest.mark.parametrize("rows", SIZES)
def test_message_list(rows, buyer, django_assert_max_num_queries):
    for _ in range(rows):
        factories.urged(buyer=buyer)  # one "ticket opened" message each
    fetch(client_for(buyer), "/api/v1/messages/", rows, django_assert_max_num_queries)


@pytest.mark.parametrize("rows", SIZES)
def test_shop_list(rows, merchant, shop, django_assert_max_num_queries):
    for _ in range(rows - 1):
        ShopMembership.objects.create(user=merchant, shop=factories.ShopFactory())
    fetch(client_for(merchant), "/api/v1/shops/", rows, django_assert_max_num_queries)


@pytest.mark.parametrize("rows", SIZES)
def test_reason_list(rows, buyer, django_assert_max_num_queries):
    ReplyReason.objects.all().delete()
    for i in range(rows):
        ReplyReason.objects.create(
            code=f"r{i}",
            side="seller",
            label="l",
            label_en="l",
            buyer_text="t",
            allows_ship_later=True,
        )
    fetch(client_for(buyer), "/api/v1/reasons/", rows, django_assert_max_num_queries)


@pytest.mark.parametrize("complaints", [False, True])
def test_ticket_detail_is_a_fixed_number_of_queries(
    complaints, merchant, shop, django_assert_max_num_queries
):
    ticket = factories.replied(plan="cannot_ship" if complaints else "ship_later", shop=shop)
    client = client_for(merchant)
    client.get("/api/v1/reasons/")
    with django_assert_max_num_queries(9):
        response = client.get(f"/api/v1/tickets/{ticket.pk}/")
    assert response.status_code == 200
