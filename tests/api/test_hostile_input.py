"""§11: no input, however malformed, gives a 500: deeply nested JSON, NUL bytes in a path,
query, cookie or body, lone surrogates, any method (OPTIONS answers 200 or 405). Each refusal
changes nothing. (Every route with every method and role: tests/test_every_route.py.)"""

import json

import pytest
from django.test import Client

from tests import factories
from tickets.api.parsers import MAX_DEPTH
from tickets.models import Order

from .conftest import client_for, open_second_handling

pytestmark = pytest.mark.django_db


def deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def deep_object(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


@pytest.fixture
def ticket(shop, buyer):
    return factories.urged(shop=shop, buyer=buyer)


def json_writes(ticket, order_no):
    return [
        ("post", "/api/v1/tickets/"),
        ("post", f"/api/v1/tickets/{ticket.pk}/reply/"),
        ("post", f"/api/v1/tickets/{ticket.pk}/buyer-response/"),
        ("post", f"/api/v1/tickets/{ticket.pk}/second-handling/"),
        ("put", f"/api/v1/orders/{order_no}/"),
        ("post", f"/api/v1/orders/{order_no}/events/"),
    ]


@pytest.mark.parametrize("body", [deep(1000), deep_object(1000), deep(5000), deep(MAX_DEPTH + 1)])
def test_deeply_nested_json_is_a_400_parse_error_on_every_json_endpoint(
    ticket, merchant, buyer, order_system, body
):
    for method, path in json_writes(ticket, ticket.order.order_no):
        caller = order_system if "/orders/" in path else merchant
        if path.endswith(("/tickets/", "/buyer-response/")):
            caller = buyer
        response = getattr(client_for(caller), method)(path, body, content_type="application/json")
        assert response.status_code == 400, (path, response.content[:200])
        assert response.json()["code"] == "parse_error", path


def test_json_nested_to_the_limit_is_parsed(as_buyer, ticket):
    nested = json.loads(deep(MAX_DEPTH - 1))
    response = as_buyer.post("/api/v1/tickets/", {"order_no": nested}, format="json")
    assert response.status_code == 400
    assert "order_no" in response.json()  # reached the serializer: a field error, not a parse error


@pytest.mark.parametrize("method", ["get", "put", "post", "options", "delete", "patch"])
@pytest.mark.parametrize("suffix", ["", "events/"])
def test_nul_in_an_order_number_is_a_404(as_order_system, shop, buyer, method, suffix):
    body = {"shop": shop.code, "buyer": buyer.username, "amount": "1.00", "type": "shipped"}
    response = getattr(as_order_system, method)(
        f"/api/v1/orders/A%00B/{suffix}", body, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert not Order.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tickets/?order_no=A%00B",
        "/api/v1/tickets/?shop_code=%00",
        "/api/v1/tickets/?state=awaiting_reply&x%00=1",
        "/api/v1/complaints/?shop_code=%00",
        "/api/v1/reasons/?side=%00",
        "/api/v1/shops/?code=%00",
        "/api/v1/messages/?kind=%00",
        "/api/v1/tickets/?ordering=%00",
    ],
)
def test_nul_in_a_query_parameter_is_a_400_naming_it(as_reviewer, as_buyer, path):
    for client in (as_reviewer, as_buyer):
        response = client.get(path)
        assert response.status_code == 400, path
        (field,) = response.json()
        assert field in path.replace("%00", "\\x00")


def test_nul_in_a_json_string_is_a_400(as_buyer, as_merchant, ticket):
    response = as_buyer.post("/api/v1/tickets/", {"order_no": "A\x00B"}, format="json")
    assert response.status_code == 400
    response = as_merchant.post(
        f"/api/v1/tickets/{ticket.pk}/reply/",
        '{"plan": "cannot_ship", "reason": "stock_shortage", "note": "a\\u0000b"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply"


def test_nul_in_a_json_key_is_a_400(as_buyer):
    response = as_buyer.post(
        "/api/v1/tickets/", '{"order_no\\u0000": "x"}', content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"


def test_a_lone_surrogate_is_a_400(as_buyer, as_merchant, ticket):
    response = as_buyer.post(
        "/api/v1/tickets/", '{"order_no": "\\ud800"}', content_type="application/json"
    )
    assert response.status_code == 400
    response = as_merchant.post(
        f"/api/v1/tickets/{ticket.pk}/reply/",
        '{"plan": "cannot_ship", "reason": "stock_shortage", "note": "\\udfff"}',
        content_type="application/json",
    )
    assert response.status_code == 400


def test_nul_in_a_form_body_is_a_400_naming_the_field(as_buyer, as_order_system, ticket):
    response = as_buyer.post(
        "/api/v1/tickets/", "order_no=A%00B", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400 and list(response.json()) == ["order_no"]
    response = as_order_system.put(
        "/api/v1/orders/TB-1/",
        "shop=s%00&buyer=b&amount=1.00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and list(response.json()) == ["shop"]
    assert not Order.objects.filter(order_no="TB-1").exists()


def test_nul_in_a_multipart_field_is_a_400_and_stores_nothing(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    response = as_merchant.post(
        f"/api/v1/tickets/{ticket.pk}/second-handling/",
        {"plan": "buyer_fault", "note": "the buyer\x00 moved", "evidence": [factories.upload()]},
        format="multipart",
    )
    assert response.status_code == 400
    ticket.refresh_from_db()
    assert ticket.state == "agreed" and not ticket.complaints.exists()


def test_a_session_cookie_with_nul_is_dropped_not_a_database_error():
    """Python's cookie parser unquotes the octal escape \\000 of a quoted value to NUL; the
    session lookup then failed on PostgreSQL. The cookie is dropped: the caller is anonymous."""
    client = Client(HTTP_COOKIE='sessionid="abcdefgh\\000ijk"; csrftoken="\\000"')
    assert client.get("/merchant/").status_code == 302  # to the login page
    assert client.get("/admin/").status_code == 302
    assert client.get("/api/v1/tickets/").status_code == 401
    assert client.get("/merchant/login/").status_code == 200


@pytest.mark.parametrize("path", ["/merchant/tickets/%00/", "/admin/tickets/ticket/%00/change/"])
def test_nul_in_a_page_path_is_a_404(client, reviewer, path):
    reviewer.is_staff = True
    reviewer.save(update_fields=["is_staff"])
    client.force_login(reviewer)
    assert client.get(path).status_code == 404


def test_nul_in_a_page_query_is_a_400(client, reviewer):
    reviewer.is_staff = True
    reviewer.save(update_fields=["is_staff"])
    client.force_login(reviewer)
    assert client.get("/admin/tickets/ticket/?q=A%00B").status_code == 400
    assert client.get("/merchant/tickets/?order_no=%00").status_code == 400


def test_nul_in_a_page_form_is_a_400(client):
    response = client.post(
        "/merchant/login/",
        "username=a%00b&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    # multipart fields go to the form, whose text fields refuse NUL: a form error
    response = client.post("/merchant/login/", {"username": "a\x00b", "password": "x"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_a_token_with_nul_or_of_the_wrong_shape_is_a_401():
    for key in ("abc\x00def", "x" * 300, "'; --"):
        client = Client(HTTP_AUTHORIZATION=f"Token {key}")
        response = client.get("/api/v1/reasons/")
        assert response.status_code == 401, key


@pytest.mark.parametrize("suffix", ["", "events/"])
def test_options_on_an_order_answers_200(as_order_system, ticket, suffix):
    response = as_order_system.options(f"/api/v1/orders/{ticket.order.order_no}/{suffix}")
    assert response.status_code == 200
    response = as_order_system.options(f"/api/v1/orders/NO-SUCH-ORDER/{suffix}")
    assert response.status_code == 200


def test_huge_numbers_and_wrong_types_are_a_400(as_buyer, as_merchant, ticket, buyer):
    replied = factories.replied(buyer=buyer)
    for body in ({"accept": 1e999}, {"accept": [True]}, {"accept": {"a": 1}}, {"accept": None}):
        response = as_buyer.post(
            f"/api/v1/tickets/{replied.pk}/buyer-response/",
            json.dumps(body),
            content_type="application/json",
        )
        assert response.status_code == 400, body
    for body in ({"order_no": 10**400}, {"order_no": 1e308}, {"order_no": []}):
        response = as_buyer.post(
            "/api/v1/tickets/", json.dumps(body), content_type="application/json"
        )
        assert response.status_code in (400, 404), body
    for page in ("99999999999999999999999", "-1", "0", "x"):
        assert as_merchant.get(f"/api/v1/tickets/?page={page}").status_code in (400, 404)


@pytest.mark.parametrize("path", ["/api/docs/", "/api/schema/", "/api/v1/reasons/"])
def test_options_on_the_docs_and_schema_answers_200(as_buyer, path):
    response = as_buyer.options(path)
    assert response.status_code == 200 and "GET" in response["Allow"]
