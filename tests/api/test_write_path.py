"""The API's write path stays lean (bench/api.py measures it; these keep its shape): the token
statement brings the caller's roles and shops, a reply costs a fixed handful of statements, and
the refusals keep their contract (401 for a bad or inactive token, 403 for a caller who may see
the ticket, 404 for everyone else, before any field error)."""

import uuid

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories
from tests.api.conftest import client_for, ship_by
from tickets import roles
from tickets.models import ShopMembership, Ticket, TicketState

pytestmark = pytest.mark.django_db
S = TicketState


def reply_body():
    return {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(3)}


def test_the_token_statement_reads_the_roles_and_shops():
    user = factories.UserFactory(groups=[roles.REVIEWERS, roles.BUYERS])
    user.groups.add(Group.objects.create(name="not-a-role,reviewers"))  # a look-alike, ignored
    shops = [factories.ShopFactory(), factories.ShopFactory()]
    for shop in shops:
        ShopMembership.objects.create(user=user, shop=shop)
    key = Token.objects.create(user=user).key
    with CaptureQueriesContext(connection) as queries:
        found = roles.user_with_roles_by_token(key)
        assert roles.group_names(found) == {roles.REVIEWERS, roles.BUYERS}
        assert roles.shop_ids(found) == {s.pk for s in shops}
        assert roles.is_platform_staff(found) and not roles.is_order_system(found)
    assert len(queries) == 1
    assert found.pk == user.pk and found.auth_token_row.key == key


def test_a_user_without_roles_or_shops_reads_as_empty():
    key = Token.objects.create(user=factories.UserFactory()).key
    found = roles.user_with_roles_by_token(key)
    assert roles.group_names(found) == frozenset() and roles.shop_ids(found) == frozenset()
    assert roles.user_with_roles_by_token("no-such-token") is None


def test_an_unknown_or_inactive_token_is_401():
    user = factories.UserFactory()
    client = client_for(user)
    assert client.get("/api/v1/reasons/").status_code == 200
    user.is_active = False
    user.save()
    response = client.get("/api/v1/reasons/")
    assert response.status_code == 401 and response.json()["code"] == "authentication_failed"
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert stranger.get("/api/v1/reasons/").status_code == 401


# Token with roles and shops (1), the request's transaction (2: BEGIN and COMMIT, here a savepoint
# inside the test's own), no savepoint of the service's (the request's transaction is rolled back
# whole on any failure: config.transactions), its lock with the reason asked for (1), the
# ticket's changed fields with their audit row (1 on PostgreSQL, 2 elsewhere), the buyer's
# message (1), and the Idempotency-Key stored with the answer (1). The content type of the audit
# row is cached by the first request.
REPLY_STATEMENTS = 7 if connection.vendor == "postgresql" else 8


def test_a_reply_costs_a_fixed_handful_of_statements(merchant, shop):
    client = client_for(merchant)
    first, second = factories.urged(shop=shop), factories.urged(shop=shop)
    for ticket, check in ((first, False), (second, True)):
        with CaptureQueriesContext(connection) as queries:
            response = client.post(
                f"/api/v1/tickets/{ticket.pk}/reply/",
                reply_body(),
                format="json",
                HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
            )
        assert response.status_code == 200, response.content
        if check:
            statements = [q["sql"] for q in queries.captured_queries]
            assert len(statements) == REPLY_STATEMENTS, "\n".join(statements)
    assert Ticket.objects.get(pk=second.pk).state == S.AWAITING_BUYER


@pytest.mark.parametrize("body", [reply_body(), {"plan": "nonsense"}], ids=["valid", "invalid"])
def test_scope_decides_before_the_body_on_every_refusal(body, merchant, shop, buyer, reviewer):
    ticket = factories.urged(shop=shop, buyer=buyer)
    url = f"/api/v1/tickets/{ticket.pk}/reply/"
    other_merchant = factories.merchant()
    expected = {buyer: 403, reviewer: 403, other_merchant: 404}
    for user, status in expected.items():
        response = client_for(user).post(url, body, format="json")
        assert response.status_code == status, (user, response.content)
        assert "plan" not in response.json()  # no field error before the scope
    response = client_for(merchant).post(url, body, format="json")
    assert response.status_code == (200 if body.get("reason") else 400)
    missing = client_for(merchant).post("/api/v1/tickets/99999999/reply/", body, format="json")
    assert missing.status_code == 404
