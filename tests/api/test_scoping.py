"""§3: every endpoint × {another shop's merchant, another order's buyer, the order system,
anonymous}. Out of scope is 404 (never 403, so ids cannot be probed), a role's closed endpoint
is 403, no credentials is 401; lists never show a field of a foreign object."""

import pytest

from complaints import services as complaint_services
from complaints.models import Complaint
from tests import factories
from tests.api.conftest import client_for, open_second_handling, ship_by
from tickets.models import Order, Ticket

pytestmark = pytest.mark.django_db

SECRETS = ("secret-shop", "SECRET-ORDER-1", "secret-buyer", "secret merchant note")


@pytest.fixture
def world(reviewer):
    """The object everyone probes (shop `secret-shop`, its buyer, ticket, upheld complaint),
    and the outsiders, each with objects of their own so that their lists are not empty."""
    shop = factories.ShopFactory(code="secret-shop")
    open_second_handling(shop)
    owner = factories.merchant(shop=shop)
    buyer = factories.UserFactory(username="secret-buyer")
    ticket, complaint = factories.in_review(
        reviewer=reviewer, shop=shop, buyer=buyer, order_no="SECRET-ORDER-1"
    )
    Ticket.objects.filter(pk=ticket.pk).update(reply_note="secret merchant note")
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="n")
    other_merchant = factories.merchant()
    other_buyer = factories.UserFactory(username="other-buyer")
    factories.replied(plan="cannot_ship", shop=other_merchant.shops.get(), buyer=other_buyer)
    return {
        "ticket": ticket,
        "complaint": complaint,
        "shop": shop,
        "owner": owner,
        "buyer": buyer,
        "actors": {
            "other_merchant": client_for(other_merchant),
            "other_buyer": client_for(other_buyer),
            "order_system": client_for(
                factories.UserFactory(username="ordersys-x", groups=["order_system"])
            ),
            "anonymous": client_for(None),
        },
    }


def endpoints(w):
    t, c, shop = w["ticket"], w["complaint"], w["shop"]
    order_no = t.order.order_no
    reply = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(3)}
    upsert = {"shop": shop.code, "buyer": "secret-buyer", "amount": "1.00"}
    return [
        # (name, method, url, body, kind): kind "list" is scoped, "object" is one foreign object,
        # "orders" is the order system's own.
        ("ticket list", "get", "/api/v1/tickets/", None, "list"),
        ("ticket detail", "get", f"/api/v1/tickets/{t.pk}/", None, "object"),
        ("urge", "post", "/api/v1/tickets/", {"order_no": order_no}, "object"),
        ("reply", "post", f"/api/v1/tickets/{t.pk}/reply/", reply, "object"),
        (
            "buyer response",
            "post",
            f"/api/v1/tickets/{t.pk}/buyer-response/",
            {"accept": True},
            "object",
        ),
        (
            "second handling",
            "post",
            f"/api/v1/tickets/{t.pk}/second-handling/",
            {"plan": "compensate"},
            "object",
        ),
        ("complaint list", "get", "/api/v1/complaints/", None, "list"),
        ("complaint detail", "get", f"/api/v1/complaints/{c.pk}/", None, "object"),
        ("appeal", "post", f"/api/v1/complaints/{c.pk}/appeal/", {"note": "x"}, "object"),
        ("reasons", "get", "/api/v1/reasons/", None, "catalogue"),
        ("messages", "get", "/api/v1/messages/", None, "list"),
        ("shops", "get", "/api/v1/shops/", None, "list"),
        ("metrics", "get", f"/api/v1/shops/{shop.pk}/metrics/", None, "object"),
        ("order read", "get", f"/api/v1/orders/{order_no}/", None, "orders"),
        ("order upsert", "put", f"/api/v1/orders/{order_no}/", upsert, "orders"),
        (
            "order event",
            "post",
            f"/api/v1/orders/{order_no}/events/",
            {"type": "shipped"},
            "orders",
        ),
    ]


EXPECTED = {
    # actor: {kind: status}
    # §11: the reason catalogue is for anyone authenticated, the order system included.
    "other_merchant": {"list": 200, "object": 404, "orders": 403, "catalogue": 200},
    "other_buyer": {"list": 200, "object": 404, "orders": 403, "catalogue": 200},
    "order_system": {"list": 403, "object": 403, "orders": 200, "catalogue": 200},
    "anonymous": {"list": 401, "object": 401, "orders": 401, "catalogue": 401},
}


@pytest.mark.parametrize("actor", sorted(EXPECTED))
def test_scoping_matrix(world, actor):
    client = world["actors"][actor]
    ticket, complaint = world["ticket"], world["complaint"]
    before = (Ticket.objects.get(pk=ticket.pk).state, Complaint.objects.get(pk=complaint.pk).state)
    seen = []
    for name, method, url, body, kind in endpoints(world):
        response = getattr(client, method)(url, body, format="json")
        expected = EXPECTED[actor][kind]
        seen.append((name, response.status_code))
        assert response.status_code == expected, (
            actor,
            name,
            response.status_code,
            response.content,
        )
        if expected == 401:
            assert response.headers["WWW-Authenticate"] == "Token"
        if expected != 200:
            code = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}
            assert response.json()["code"] == code[expected], (actor, name, response.json())
        if expected != 200 or kind in ("orders", "catalogue"):
            body_text = response.content.decode()
            assert "secret merchant note" not in body_text, (actor, name)
            continue
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text, (actor, name, secret)
    # Probing changed nothing of the foreign objects (the order system's own event aside).
    after = (Ticket.objects.get(pk=ticket.pk).state, Complaint.objects.get(pk=complaint.pk).state)
    if actor != "order_system":  # whose "shipped" event rightly completes the ticket
        assert after == before
    assert Order.objects.get(pk=ticket.order_id).shop == world["shop"]
    assert len(seen) == len(endpoints(world))


def test_outsiders_lists_are_not_empty(world):
    """The matrix above is not vacuous: outsiders do see their own rows in the lists."""
    merchant, buyer = world["actors"]["other_merchant"], world["actors"]["other_buyer"]
    assert merchant.get("/api/v1/tickets/").json()["count"] == 1
    assert merchant.get("/api/v1/complaints/").json()["count"] == 1
    assert merchant.get("/api/v1/shops/").json()["count"] == 1
    assert buyer.get("/api/v1/tickets/").json()["count"] == 1
    assert buyer.get("/api/v1/messages/").json()["count"] >= 2


def test_the_owner_and_the_buyer_do_see_the_object(world):
    """And the same requests succeed for those in scope (the 404s above are about scope)."""
    owner, buyer = client_for(world["owner"]), client_for(world["buyer"])
    ticket, complaint = world["ticket"], world["complaint"]
    assert owner.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert owner.get(f"/api/v1/complaints/{complaint.pk}/").status_code == 200
    assert owner.get(f"/api/v1/shops/{world['shop'].pk}/metrics/").status_code == 200
    assert buyer.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    assert "secret-shop" in owner.get("/api/v1/tickets/").content.decode()
