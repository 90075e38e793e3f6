"""`GET /api/v1/` is the API's front door: links to its resources, the schema and the docs."""

from urllib.parse import urlsplit

import pytest
from django.urls import resolve

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_index_links_every_resource_and_the_docs(anonymous):
    response = anonymous.get("/api/v1/")
    assert response.status_code == 200
    body = response.json()
    assert body["docs"] == "http://testserver/api/docs/"
    assert body["schema"] == "http://testserver/api/schema/"
    assert body["resources"] == {
        "tickets": "http://testserver/api/v1/tickets/",
        "ticket": "http://testserver/api/v1/tickets/{id}/",
        "ticket_batch_reply": "http://testserver/api/v1/tickets/batch-reply/",
        "complaints": "http://testserver/api/v1/complaints/",
        "complaint": "http://testserver/api/v1/complaints/{id}/",
        "reasons": "http://testserver/api/v1/reasons/",
        "messages": "http://testserver/api/v1/messages/",
        "shops": "http://testserver/api/v1/shops/",
        "shop_metrics": "http://testserver/api/v1/shops/{id}/metrics/",
        "webhooks": "http://testserver/api/v1/shops/{id}/webhooks/",
        "webhook": "http://testserver/api/v1/shops/{id}/webhooks/{webhook_id}/",
        "webhook_deliveries": (
            "http://testserver/api/v1/shops/{id}/webhooks/{webhook_id}/deliveries/"
        ),
        "order": "http://testserver/api/v1/orders/{order_no}/",
        "order_events": "http://testserver/api/v1/orders/{order_no}/events/",
    }


def test_every_link_leads_to_a_route(anonymous):
    body = anonymous.get("/api/v1/").json()
    for url in [*body["resources"].values(), body["docs"], body["schema"]]:
        path = urlsplit(url).path.replace("{id}", "7").replace("{order_no}", "TB-1")
        path = path.replace("{webhook_id}", "8")
        assert resolve(path).url_name  # raises Resolver404 for a link to nowhere


def test_the_docs_and_schema_links_answer(anonymous):
    body = anonymous.get("/api/v1/").json()
    assert anonymous.get(body["docs"]).status_code == 200
    assert anonymous.get(body["schema"], {"format": "json"}).status_code == 200


def test_a_listed_collection_answers_a_caller_with_a_token(anonymous, merchant):
    tickets = anonymous.get("/api/v1/").json()["resources"]["tickets"]
    assert anonymous.get(tickets).status_code == 401  # the index is public, the data is not
    assert client_for(merchant).get(tickets).status_code == 200


def test_a_stale_token_still_gets_the_index(anonymous):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert anonymous.get("/api/v1/").status_code == 200


def test_the_index_is_browsable(anonymous):
    response = anonymous.get("/api/v1/", HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert "/api/docs/" in response.content.decode()


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_the_index_is_read_only(anonymous, method):
    assert getattr(anonymous, method)("/api/v1/").status_code == 405
