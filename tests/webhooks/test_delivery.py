"""Delivering merchant events (§15) to a real local receiver: a timeout, a 500, then recovery;
dead after the 24-hour horizon and redelivered; the receiver's answer in the log; redirects not
followed; private addresses refused under production settings, at subscription and at delivery
after DNS; a subscription paused after 50 dead deliveries."""

import datetime as dt
import socket

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.api.conftest import client_for
from tickets import delivery
from webhooks import services
from webhooks.models import Delivery, Event, Subscription
from webhooks.outbox import MERCHANT_EVENTS, PAUSE_AFTER_DEAD

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def deliver_at(at):
    with time_machine.travel(at, tick=False):
        return delivery.deliver_due(MERCHANT_EVENTS)


def test_a_timeout_then_a_500_then_recovery_is_delivered_once(
    shop, subscription, receiver, monkeypatch
):
    monkeypatch.setattr(delivery, "TIMEOUT_SECONDS", 0.5)
    receiver.plan = [(200, 1.5, b"too late"), (500, 0, b"boom")]
    factories.urged(shop=shop, at=T0)
    (row,) = Delivery.objects.all()

    assert deliver_at(T0).failed == 1
    row.refresh_from_db()
    assert row.delivery_status == "failed" and row.attempts == 1
    assert "timed out" in row.last_error.lower() and row.last_status_code is None
    assert row.next_attempt_at == T0 + dt.timedelta(minutes=1)

    assert deliver_at(T0 + dt.timedelta(seconds=59)) == delivery.DeliveryReport()  # not yet
    assert deliver_at(T0 + dt.timedelta(minutes=1)).failed == 1
    row.refresh_from_db()
    assert (row.last_error, row.last_status_code, row.last_response) == ("HTTP 500", 500, "boom")
    assert row.next_attempt_at == T0 + dt.timedelta(minutes=3)  # 1 minute, doubling

    assert deliver_at(T0 + dt.timedelta(minutes=3)).delivered == 1
    row.refresh_from_db()
    assert row.delivery_status == "delivered" and row.attempts == 3
    assert (row.last_status_code, row.last_error, row.last_response) == (200, "", "ok")
    assert deliver_at(T0 + dt.timedelta(hours=1)) == delivery.DeliveryReport()  # never again
    assert len(receiver.received) == 3


def test_a_long_answer_is_logged_up_to_4_kib(shop, subscription, receiver):
    receiver.plan = [(503, 0, b"x" * 10_000)]
    factories.urged(shop=shop, at=T0)
    deliver_at(T0)
    assert len(Delivery.objects.get().last_response) == delivery.RESPONSE_LENGTH


def test_a_redirect_is_not_followed(shop, subscription, receiver):
    receiver.plan = [(302, 0, b"")]
    factories.urged(shop=shop, at=T0)
    assert deliver_at(T0).failed == 1
    assert Delivery.objects.get().last_error == "HTTP 302"
    assert len(receiver.received) == 1


def fail_until_dead(receiver, at=T0) -> dt.datetime:
    receiver.status = 500
    while Delivery.objects.filter(dead_at__isnull=True).exists():
        row = Delivery.objects.filter(dead_at__isnull=True).first()
        at = max(at, row.next_attempt_at)
        deliver_at(at)
    return at


def test_dead_after_24_hours_then_redelivered_through_the_api(
    merchant, shop, subscription, receiver
):
    factories.urged(shop=shop, at=T0)
    died = fail_until_dead(receiver)
    row = Delivery.objects.get()
    assert row.delivery_status == "dead"
    assert T0 + dt.timedelta(hours=24) <= died < T0 + dt.timedelta(hours=25)
    assert row.attempts == len(receiver.received) == 13  # 1, 2, 4 … 6 h, … until 24 h
    assert deliver_at(died + dt.timedelta(days=1)) == delivery.DeliveryReport()

    api = client_for(merchant)
    base = f"/api/v1/shops/{shop.pk}/webhooks/{subscription.pk}/deliveries/"
    (logged,) = api.get(base).json()["results"]
    assert (logged["status"], logged["attempts"], logged["last_status_code"]) == ("dead", 13, 500)
    assert logged["event_type"] == "ticket.opened"
    assert logged["event_id"] == str(row.event_id)
    receiver.status = 200
    with time_machine.travel(died + dt.timedelta(hours=1), tick=False):
        answer = api.post(f"{base}{row.pk}/redeliver/")
    # Due again now; its last error is kept until the next attempt (so: `failed`).
    assert answer.status_code == 202 and answer.json()["status"] == "failed"
    assert answer.json()["attempts"] == 0
    assert deliver_at(died + dt.timedelta(hours=1)).delivered == 1
    row.refresh_from_db()
    assert row.delivery_status == "delivered" and row.attempts == 1
    assert receiver.received[-1][0]["X-Urge-Event-Id"] == str(row.event_id)  # the same event
    assert Event.objects.count() == 1


def test_a_delivered_event_can_be_sent_again_but_a_pending_one_not_hurried(
    merchant, shop, subscription, receiver
):
    factories.urged(shop=shop, at=T0)
    row = Delivery.objects.get()
    url = f"/api/v1/shops/{shop.pk}/webhooks/{subscription.pk}/deliveries/{row.pk}/redeliver/"
    api = client_for(merchant)
    assert api.post(url).status_code == 409  # still pending
    deliver_at(T0)
    assert api.post(url).status_code == 202
    deliver_at(timezone.now())
    ids = [headers["X-Urge-Event-Id"] for headers, _ in receiver.received]
    assert ids == [str(row.event_id)] * 2


@pytest.fixture
def production(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False


def fake_dns(monkeypatch, answers: dict):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "url",
    [
        "http://erp.example.com/hook",  # not https
        "https://127.0.0.1/hook",
        "https://10.1.2.3/hook",
        "https://192.168.0.9/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://224.0.0.1/hook",
        "https://internal.example.com/hook",  # resolves to a private address
    ],
)
def test_production_refuses_a_private_or_plain_http_url(
    production, merchant, shop, monkeypatch, url
):
    fake_dns(monkeypatch, {"internal.example.com": "10.0.0.7", "erp.example.com": "93.184.1.1"})
    answer = client_for(merchant).post(
        f"/api/v1/shops/{shop.pk}/webhooks/",
        {"url": url, "events": ["ticket.opened"]},
        format="json",
    )
    assert answer.status_code == 400 and "url" in answer.json()
    assert not Subscription.objects.exists()


def test_production_accepts_a_public_https_url(production, merchant, shop, monkeypatch):
    fake_dns(monkeypatch, {"erp.example.com": "93.184.1.1"})
    answer = client_for(merchant).post(
        f"/api/v1/shops/{shop.pk}/webhooks/",
        {"url": "https://erp.example.com/hook", "events": ["ticket.opened"]},
        format="json",
    )
    assert answer.status_code == 201


def test_a_name_resolving_to_a_private_address_is_refused_at_delivery(
    production, merchant, shop, monkeypatch, receiver
):
    fake_dns(monkeypatch, {"erp.example.com": "93.184.1.1"})
    subscription = services.subscription_create(
        actor=merchant,
        shop_id=shop.pk,
        url="https://erp.example.com/hook",
        events=["ticket.opened"],
    )
    fake_dns(monkeypatch, {"erp.example.com": "127.0.0.1"})  # rebound since
    services.subscription_ping(actor=merchant, shop_id=shop.pk, subscription_id=subscription.pk)
    assert delivery.deliver_due(MERCHANT_EVENTS).failed == 1
    row = Delivery.objects.get()
    assert row.delivery_status == "failed" and "127.0.0.1" in row.last_error
    assert receiver.received == []


def test_development_allows_a_local_receiver(merchant, shop, receiver):
    services.subscription_create(
        actor=merchant, shop_id=shop.pk, url=receiver.url, events=["ticket.opened"]
    )
    factories.urged(shop=shop)
    assert delivery.deliver_due(MERCHANT_EVENTS).delivered == 1


def test_paused_after_the_last_50_deliveries_died(merchant, shop, subscription, receiver):
    receiver.status = 500
    for _ in range(PAUSE_AFTER_DEAD):
        services.subscription_ping(
            actor=merchant, shop_id=shop.pk, subscription_id=subscription.pk, at=T0
        )
    # Each has tried until its horizon: the next failure makes it dead.
    Delivery.objects.update(retry_until=T0, attempts=12)
    last = Delivery.objects.order_by("created_at", "id").last()
    Delivery.objects.filter(pk=last.pk).update(next_attempt_at=T0 + dt.timedelta(hours=1))
    deliver_at(T0)
    subscription.refresh_from_db()
    assert Delivery.objects.filter(dead_at__isnull=False).count() == PAUSE_AFTER_DEAD - 1
    assert subscription.active  # 49 dead: not yet

    deliver_at(T0 + dt.timedelta(hours=1))
    subscription.refresh_from_db()
    assert not subscription.active and subscription.paused_reason == "HTTP 500"
    assert subscription.paused_at is not None
    listed = client_for(merchant).get(f"/api/v1/shops/{shop.pk}/webhooks/").json()
    assert (listed[0]["active"], listed[0]["paused_reason"]) == (False, "HTTP 500")
    factories.urged(shop=shop)  # no new events while paused
    assert Delivery.objects.count() == PAUSE_AFTER_DEAD

    services.subscription_resume(actor=merchant, shop_id=shop.pk, subscription_id=subscription.pk)
    factories.urged(shop=shop)
    assert Delivery.objects.count() == PAUSE_AFTER_DEAD + 1


def test_one_delivered_among_the_last_50_keeps_it_active(merchant, shop, subscription, receiver):
    receiver.status = 500
    for _ in range(PAUSE_AFTER_DEAD + 5):
        services.subscription_ping(
            actor=merchant, shop_id=shop.pk, subscription_id=subscription.pk, at=T0
        )
    newest = Delivery.objects.order_by("created_at", "id").last()
    Delivery.objects.exclude(pk=newest.pk).update(retry_until=T0, attempts=12)
    Delivery.objects.filter(pk=newest.pk).update(delivered_at=T0, next_attempt_at=None)
    deliver_at(T0)
    assert Delivery.objects.filter(dead_at__isnull=False).count() == PAUSE_AFTER_DEAD + 4
    subscription.refresh_from_db()
    assert subscription.active
