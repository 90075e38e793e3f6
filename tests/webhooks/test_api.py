"""The webhooks API (§15): subscriptions (at most 10 a shop, the secret shown once), ping,
delivery log and redelivery, scoped to the shop's staff (anything else: 404)."""

import pytest

from tests import factories
from tests.api.conftest import client_for
from webhooks.models import Delivery, Subscription

from .conftest import subscribe

pytestmark = pytest.mark.django_db

EVENTS = ["ticket.opened", "complaint.filed"]


def create(api, shop, **data):
    body = {"url": "https://erp.example.com/urge", "events": EVENTS, **data}
    return api.post(f"/api/v1/shops/{shop.pk}/webhooks/", body, format="json")


def test_a_subscription_is_created_with_its_secret_shown_once(as_merchant, shop):
    answer = create(as_merchant, shop)
    assert answer.status_code == 201
    body = answer.json()
    assert set(body) >= {"id", "url", "events", "active", "secret"}
    assert body["events"] == sorted(EVENTS) and body["active"] is True
    assert len(body["secret"]) == 64 and Subscription.objects.get().secret == body["secret"]
    listed = as_merchant.get(f"/api/v1/shops/{shop.pk}/webhooks/").json()
    assert [s["id"] for s in listed] == [body["id"]]
    assert "secret" not in listed[0]
    one = as_merchant.get(f"/api/v1/shops/{shop.pk}/webhooks/{body['id']}/").json()
    assert "secret" not in one and one["url"] == body["url"]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"url": ""}, "url"),
        ({"url": "ftp://erp.example.com/"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["ticket.exploded"]}, "events"),
        ({"events": ["ping"]}, "events"),  # sent on request, not subscribed to
        ({"events": "ticket.opened"}, "events"),
    ],
)
def test_bad_input_is_a_400_and_changes_nothing(as_merchant, shop, data, field):
    answer = create(as_merchant, shop, **data)
    assert answer.status_code == 400 and field in answer.json()
    assert not Subscription.objects.exists()


def test_at_most_10_subscriptions_a_shop(as_merchant, shop):
    for i in range(10):
        assert create(as_merchant, shop, url=f"https://erp.example.com/{i}").status_code == 201
    answer = create(as_merchant, shop)
    assert answer.status_code == 409 and answer.json()["code"] == "conflict"
    assert Subscription.objects.count() == 10


def test_delete_removes_it_with_its_log(merchant, as_merchant, shop, receiver):
    subscription = subscribe(merchant, shop, receiver.url)
    factories.urged(shop=shop)
    answer = as_merchant.delete(f"/api/v1/shops/{shop.pk}/webhooks/{subscription.pk}/")
    assert answer.status_code == 204
    assert not Subscription.objects.exists() and not Delivery.objects.exists()


def test_ping_is_accepted_and_logged(as_merchant, merchant, shop, receiver):
    subscription = subscribe(merchant, shop, receiver.url, events=["ticket.completed"])
    base = f"/api/v1/shops/{shop.pk}/webhooks/{subscription.pk}/"
    answer = as_merchant.post(f"{base}ping/")
    assert answer.status_code == 202
    (row,) = as_merchant.get(f"{base}deliveries/").json()["results"]
    assert row["event_id"] == answer.json()["event_id"]
    assert set(row) >= {
        "id",
        "event_id",
        "event_type",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "created_at",
        "delivered_at",
    }
    assert (row["event_type"], row["status"], row["attempts"]) == ("ping", "pending", 0)


@pytest.fixture
def theirs(other_merchant, receiver):
    shop = other_merchant.shops.get()
    subscription = subscribe(other_merchant, shop, receiver.url)
    factories.urged(shop=shop)
    return shop, subscription, Delivery.objects.get(subscription=subscription)


def paths(shop, subscription, row):
    base = f"/api/v1/shops/{shop.pk}/webhooks/"
    one = f"{base}{subscription.pk}/"
    return [
        ("get", base),
        ("post", base),
        ("get", one),
        ("delete", one),
        ("post", f"{one}ping/"),
        ("post", f"{one}resume/"),
        ("get", f"{one}deliveries/"),
        ("post", f"{one}deliveries/{row.pk}/redeliver/"),
    ]


def test_another_shops_webhooks_are_not_found(as_merchant, shop, theirs):
    for method, path in paths(*theirs):
        answer = getattr(as_merchant, method)(path, {}, format="json")
        assert answer.status_code == 404, (method, path)
    assert Subscription.objects.count() == 1 and Delivery.objects.count() == 1


def test_ids_of_another_shop_under_my_shop_are_not_found(merchant, as_merchant, shop, theirs):
    _, subscription, row = theirs
    mine = subscribe(merchant, shop, "https://erp.example.com/mine")
    base = f"/api/v1/shops/{shop.pk}/webhooks/"
    assert as_merchant.delete(f"{base}{subscription.pk}/").status_code == 404
    redeliver = f"{base}{mine.pk}/deliveries/{row.pk}/redeliver/"
    assert as_merchant.post(redeliver).status_code == 404


def test_only_the_shops_staff(reviewer, buyer, theirs):
    for user in (reviewer, buyer):
        for method, path in paths(*theirs):
            answer = getattr(client_for(user), method)(path, {}, format="json")
            assert answer.status_code == 404, (user, method, path)
    assert client_for(None).get(paths(*theirs)[0][1]).status_code == 401


def test_a_repeated_creation_with_its_idempotency_key_creates_one(as_merchant, shop):
    body = {"url": "https://erp.example.com/urge", "events": EVENTS}
    path, key = f"/api/v1/shops/{shop.pk}/webhooks/", {"HTTP_IDEMPOTENCY_KEY": "create-1"}
    first = as_merchant.post(path, body, format="json", **key)
    again = as_merchant.post(path, body, format="json", **key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Subscription.objects.count() == 1


@pytest.mark.parametrize("body", [b"\x00", b"{not json", b"[]", b'"ping"', b"1"], ids=repr)
def test_the_actions_that_read_no_input_refuse_a_body_that_is_no_object(
    merchant, as_merchant, shop, receiver, other_merchant, body
):
    """Ping, resume and redeliver take {} or nothing; anything else is a 400 that changes
    nothing, and out of scope it is still a 404 first."""
    subscription = subscribe(merchant, shop, receiver.url)
    factories.urged(shop=shop)
    row = Delivery.objects.get(subscription=subscription)
    one = f"/api/v1/shops/{shop.pk}/webhooks/{subscription.pk}/"
    actions = [f"{one}ping/", f"{one}resume/", f"{one}deliveries/{row.pk}/redeliver/"]
    for path in actions:
        answer = as_merchant.post(path, body, content_type="application/json")
        assert answer.status_code == 400, (path, answer.content)
        stranger = client_for(other_merchant).post(path, body, content_type="application/json")
        assert stranger.status_code == 404, path
    assert Delivery.objects.count() == 1  # no ping was sent
    for path in actions[:2]:  # nothing, or {}, is the input
        assert as_merchant.post(path).status_code in (200, 202)
        assert as_merchant.post(path, {}, format="json").status_code in (200, 202)
