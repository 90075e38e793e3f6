"""Inputs that DRF or django-filter would have taken as something else (silently ignored, or
converted to what the caller did not write) are a 400 naming the parameter (§11: bad input gets
a clear error and changes nothing). Amounts and instants of orders: test_orders.py."""

import pytest

from tests import factories

from .conftest import ship_by

pytestmark = pytest.mark.django_db

LISTS = ("/api/v1/tickets/", "/api/v1/complaints/", "/api/v1/messages/")


@pytest.mark.parametrize("page_size", ["abc", "0", "-1", "201", "10000", "1.5", " 5", "５"])
def test_a_page_size_outside_1_to_200_is_a_400(as_reviewer, as_buyer, page_size):
    for path in LISTS:
        client = as_buyer if "messages" in path else as_reviewer
        response = client.get(path, {"page_size": page_size})
        assert response.status_code == 400, (path, page_size)
        assert list(response.json()) == ["page_size"]
        assert "200" in response.json()["page_size"][0]


@pytest.mark.parametrize("page_size", ["1", "50", "200"])
def test_page_sizes_from_1_to_200_are_used(as_reviewer, page_size):
    for _ in range(3):
        factories.urged()
    response = as_reviewer.get("/api/v1/tickets/", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()["results"]) == min(3, int(page_size))


@pytest.mark.parametrize("number", ["abc", "0", "-1", "1.0", "１"])
def test_a_malformed_page_is_a_400_and_a_page_past_the_end_a_404(as_reviewer, number):
    response = as_reviewer.get("/api/v1/tickets/", {"page": number})
    assert response.status_code == 400 and list(response.json()) == ["page"]
    assert as_reviewer.get("/api/v1/tickets/", {"page": "99"}).status_code == 404
    assert as_reviewer.get("/api/v1/tickets/", {"page": "1"}).status_code == 200


@pytest.mark.parametrize("ordering", ["buyer__password", "nope", "created_at,nope", ",", "-"])
def test_an_unknown_ordering_is_a_400_naming_the_choices(as_reviewer, ordering):
    response = as_reviewer.get("/api/v1/tickets/", {"ordering": ordering})
    assert response.status_code == 400 and list(response.json()) == ["ordering"]
    assert "reply_due_at" in response.json()["ordering"][0]


@pytest.mark.parametrize("value", ["maybe", "1", "yes", "True", "TRUE"])
def test_a_boolean_filter_is_true_or_false(as_reviewer, value):
    for path in ("/api/v1/tickets/", "/api/v1/complaints/"):
        response = as_reviewer.get(path, {"overdue": value})
        assert response.status_code == 400 and list(response.json()) == ["overdue"], value


@pytest.mark.parametrize(
    "query",
    [
        "/api/v1/tickets/?shop=",
        "/api/v1/tickets/?overdue=",
        "/api/v1/tickets/?created_after=",
        "/api/v1/tickets/?reply_plan=",
        "/api/v1/tickets/?ordering=",
        "/api/v1/tickets/?page_size=",
        "/api/v1/tickets/?page=",
        "/api/v1/complaints/?ticket=",
        "/api/v1/reasons/?side=",
        "/api/v1/shops/?platform=",
        "/api/v1/messages/?kind=",
        "/api/v1/shops/{shop}/metrics/?since=",
    ],
)
def test_an_empty_query_parameter_is_a_400_naming_it(as_merchant, as_buyer, shop, query):
    """`?since=` is not a date-time: refused rather than read as "not given" (schemathesis's
    check that schema-violating requests are refused)."""
    client = as_buyer if "messages" in query else as_merchant
    response = client.get(query.replace("{shop}", str(shop.pk)))
    name = query.rsplit("?", 1)[1].rstrip("=")
    assert response.status_code == 400 and list(response.json()) == [name]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/tickets/", "created_after"),
        ("/api/v1/tickets/", "created_before"),
        ("/api/v1/complaints/", "filed_after"),
        ("/api/v1/messages/", "created_after"),
    ],
)
@pytest.mark.parametrize("value", ["2026-05-08", "2026-05-08T09:30:00", "2026-W19-5T09:30:00Z"])
def test_an_instant_filter_needs_a_full_instant(as_reviewer, as_buyer, path, param, value):
    client = as_buyer if "messages" in path else as_reviewer
    response = client.get(path, {param: value})
    assert response.status_code == 400, (path, param, value)
    ok = client.get(path, {param: "2026-05-08T09:30:00+08:00"})
    assert ok.status_code == 200


@pytest.mark.parametrize("since", ["2026-05-08", "2026-05-08T00:00:00", "1778169600"])
def test_a_metrics_window_needs_full_instants(as_merchant, shop, since):
    response = as_merchant.get(f"/api/v1/shops/{shop.pk}/metrics/", {"since": since})
    assert response.status_code == 400 and list(response.json()) == ["since"]


@pytest.mark.parametrize(
    "value", ["2026-W20-5", "20260515", "２０２６-05-15", "2026-05-15T00:00:00Z"]
)
def test_a_ship_by_date_is_yyyy_mm_dd(as_merchant, shop, value):
    ticket = factories.urged(shop=shop)
    body = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": value}
    response = as_merchant.post(f"/api/v1/tickets/{ticket.pk}/reply/", body, format="json")
    assert response.status_code == 400 and list(response.json()) == ["ship_by"], value
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply"
    body["ship_by"] = ship_by(3)
    ok = as_merchant.post(f"/api/v1/tickets/{ticket.pk}/reply/", body, format="json")
    assert ok.status_code == 200


@pytest.mark.parametrize("accept", ["yes", "no", 1, 0, "True", "false ", None, [True]])
def test_a_buyers_answer_is_true_or_false(as_buyer, buyer, accept):
    ticket = factories.replied(buyer=buyer)
    response = as_buyer.post(
        f"/api/v1/tickets/{ticket.pk}/buyer-response/", {"accept": accept}, format="json"
    )
    assert response.status_code == 400 and list(response.json()) == ["accept"], accept
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_buyer" and not ticket.complaints.exists()


def test_a_buyers_answer_in_a_form_is_the_word_true_or_false(as_buyer, buyer):
    ticket = factories.replied(buyer=buyer)
    response = as_buyer.post(
        f"/api/v1/tickets/{ticket.pk}/buyer-response/",
        "accept=true",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200 and response.json()["state"] == "agreed"


@pytest.mark.parametrize(
    ("path_of", "body"),
    [
        (lambda t: "/api/v1/tickets/", {"order_no": 12345}),
        (
            lambda t: f"/api/v1/tickets/{t.pk}/reply/",
            {"plan": "cannot_ship", "reason": "stock_shortage", "note": 42},
        ),
    ],
)
def test_a_number_is_not_text(as_buyer, as_merchant, buyer, shop, path_of, body):
    ticket = factories.urged(shop=shop, buyer=buyer)
    client = as_buyer if "order_no" in body else as_merchant
    response = client.post(path_of(ticket), body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == [next(k for k in body if k in ("order_no", "note"))]
