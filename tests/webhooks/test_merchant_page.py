"""The merchant's webhook site (§15): add (the secret shown once), delete, ping, resume a paused
subscription with its reason, the delivery log and redelivery; only the current shop's."""

import pytest
from django.test import Client

from tests import factories
from tickets import delivery
from webhooks.models import Delivery, Subscription
from webhooks.outbox import MERCHANT_EVENTS

from .conftest import subscribe

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(merchant):
    client = Client()
    client.force_login(merchant)
    return client


def test_adding_shows_the_secret_once(site, shop, receiver):
    answer = site.post(
        "/merchant/webhooks/",
        {"url": receiver.url, "events": ["ticket.opened", "complaint.filed"]},
        follow=True,
    )
    subscription = Subscription.objects.get()
    assert subscription.shop == shop and subscription.event_types == [
        "complaint.filed",
        "ticket.opened",
    ]
    assert subscription.secret in answer.content.decode()
    assert subscription.secret not in site.get("/merchant/webhooks/").content.decode()


@pytest.mark.parametrize(
    "data",
    [{"url": "", "events": ["ticket.opened"]}, {"url": "https://e.example.com/", "events": []}],
)
def test_bad_input_is_shown_on_the_form(site, data):
    answer = site.post("/merchant/webhooks/", data)
    assert answer.status_code == 200 and 'role="alert"' in answer.content.decode()
    assert not Subscription.objects.exists()


def test_ping_log_redeliver_and_delete(site, merchant, shop, receiver):
    subscription = subscribe(merchant, shop, receiver.url)
    answer = site.post(f"/merchant/webhooks/{subscription.pk}/ping/", follow=True)
    assert answer.redirect_chain[-1][0] == f"/merchant/webhooks/{subscription.pk}/deliveries/"
    assert 'data-status="pending"' in answer.content.decode()
    delivery.deliver_due(MERCHANT_EVENTS)
    row = Delivery.objects.get()
    log = site.get(f"/merchant/webhooks/{subscription.pk}/deliveries/").content.decode()
    assert 'data-status="delivered"' in log and "HTTP 200" in log
    site.post(f"/merchant/webhooks/{subscription.pk}/deliveries/{row.pk}/redeliver/")
    row.refresh_from_db()
    assert row.delivery_status == "pending"
    site.post(f"/merchant/webhooks/{subscription.pk}/delete/")
    assert not Subscription.objects.exists()


def test_a_paused_subscription_says_why_and_resumes(site, merchant, shop):
    subscription = subscribe(merchant, shop, "https://erp.example.com/")
    Subscription.objects.filter(pk=subscription.pk).update(
        active=False, paused_reason="HTTP 503", paused_at=subscription.created_at
    )
    html = site.get("/merchant/webhooks/").content.decode()
    assert "data-paused" in html and "HTTP 503" in html
    site.post(f"/merchant/webhooks/{subscription.pk}/resume/")
    subscription.refresh_from_db()
    assert subscription.active and subscription.paused_reason == ""


def test_another_shops_webhook_is_not_found(site, other_merchant):
    theirs = subscribe(other_merchant, other_merchant.shops.get(), "https://theirs.example.com/")
    assert site.get(f"/merchant/webhooks/{theirs.pk}/deliveries/").status_code == 404
    for action in ("ping", "resume", "delete"):
        assert site.post(f"/merchant/webhooks/{theirs.pk}/{action}/").status_code == 404
    assert Subscription.objects.filter(pk=theirs.pk).exists()
    assert theirs.url not in site.get("/merchant/webhooks/").content.decode()


def test_the_nav_links_the_page(site, shop):
    factories.urged(shop=shop)
    assert 'href="/merchant/webhooks/"' in site.get("/merchant/").content.decode()
