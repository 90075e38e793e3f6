"""Delivering the buyer-message outbox (§10) through the delivery outbox (§15's design): signed
webhook POSTs, backoff on failure, dead after the retry horizon, redelivery, logged delivery
without a URL, and no row delivered twice."""

import datetime as dt
import hashlib
import hmac
import json

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.sweeps.webhook import Webhook
from tickets import delivery
from tickets.models import BuyerMessage
from tickets.outbox import BUYER_MESSAGES

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
SECRET = "test-webhook-secret"

pytestmark = pytest.mark.django_db


@pytest.fixture
def webhook(settings):
    hook = Webhook()
    settings.BUYER_MESSAGE_WEBHOOK_URL = hook.url
    settings.BUYER_MESSAGE_WEBHOOK_SECRET = SECRET
    yield hook
    hook.close()


def messages(n=1):
    """n tickets' first messages (the urge's), written at T0."""
    tickets = [factories.urged(at=T0) for _ in range(n)]
    return list(BuyerMessage.objects.filter(ticket__in=tickets).order_by("pk"))


def test_without_a_url_messages_are_logged_and_marked_delivered(settings, caplog):
    settings.BUYER_MESSAGE_WEBHOOK_URL = ""
    (message,) = messages()
    with time_machine.travel(T0, tick=False), caplog.at_level("INFO", logger="tickets.delivery"):
        report = delivery.deliver_due(BUYER_MESSAGES)
    message.refresh_from_db()
    assert (report.delivered, report.failed) == (1, 0)
    assert message.delivered_at == T0
    assert message.text in caplog.text


def test_each_message_is_posted_signed_with_hmac_sha256(webhook):
    (message,) = messages()
    with time_machine.travel(T0, tick=False):
        delivery.deliver_due(BUYER_MESSAGES)
    (headers, body) = webhook.received[0]
    assert headers["X-Urge-Timestamp"] == str(int(T0.timestamp()))
    signed = f"{headers['X-Urge-Timestamp']}.".encode() + body
    expected = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
    assert headers["X-Urge-Signature"] == f"v1={expected}"
    assert headers["X-Urge-Event-Id"] == str(message.pk)
    assert headers["X-Urge-Event-Type"] == "buyer_message.ticket_opened"
    sent = json.loads(body)
    assert (sent["id"], sent["kind"], sent["text"]) == (message.pk, message.kind, message.text)
    assert sent["buyer"] == message.buyer.username
    message.refresh_from_db()
    assert (message.delivered_at, message.attempts, message.last_error) == (T0, 1, "")


def test_a_failed_delivery_is_retried_with_backoff(webhook):
    (message,) = messages()
    webhook.status = 503
    with time_machine.travel(T0, tick=False):
        report = delivery.deliver_due(BUYER_MESSAGES)
    message.refresh_from_db()
    assert report.failed == 1
    assert message.delivered_at is None
    assert message.attempts == 1
    assert (message.last_error, message.last_status_code) == ("HTTP 503", 503)
    assert message.next_attempt_at == T0 + dt.timedelta(minutes=1)
    assert message.retry_until == T0 + delivery.HORIZON  # the first attempt starts the horizon
    # not before the backoff has passed
    with time_machine.travel(T0 + dt.timedelta(seconds=59), tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).failed == 0
    assert len(webhook.received) == 1
    # the second failure waits twice as long
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        delivery.deliver_due(BUYER_MESSAGES)
    message.refresh_from_db()
    assert message.next_attempt_at == T0 + dt.timedelta(minutes=3)
    webhook.status = 200
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).delivered == 1
    message.refresh_from_db()
    assert (message.attempts, message.last_error, message.last_status_code) == (3, "", 200)
    assert message.delivered_at == T0 + dt.timedelta(minutes=3)


def test_an_unreachable_webhook_is_an_error_recorded_not_raised(settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = "http://127.0.0.1:9/"  # discard port: refused
    (message,) = messages()
    with time_machine.travel(T0, tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).failed == 1
    message.refresh_from_db()
    assert message.last_error and message.delivered_at is None


def test_backoff_is_one_minute_doubling_to_six_hours():
    assert [delivery.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert delivery.backoff(9) == dt.timedelta(hours=4, minutes=16)
    assert delivery.backoff(10) == delivery.backoff(500) == dt.timedelta(hours=6)


def test_a_redirect_is_not_a_delivery(webhook):
    (message,) = messages()
    webhook.status = 302
    with time_machine.travel(T0, tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).failed == 1
    message.refresh_from_db()
    assert message.delivered_at is None and message.last_status_code == 302


def test_a_claimed_message_is_not_claimed_again_while_leased():
    messages(3)
    with time_machine.travel(T0, tick=False):
        first, _ = delivery.claim(BUYER_MESSAGES, at=timezone.now(), limit=2)
        second, _ = delivery.claim(BUYER_MESSAGES, at=timezone.now(), limit=2)
        third, _ = delivery.claim(BUYER_MESSAGES, at=timezone.now(), limit=2)
    assert len(first) == 2 and len(second) == 1 and third == []
    assert not {m.pk for m in first} & {m.pk for m in second}


def test_a_lease_left_by_a_dead_worker_expires_and_the_message_is_delivered(settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = ""
    (message,) = messages()
    with time_machine.travel(T0, tick=False):
        delivery.claim(BUYER_MESSAGES, at=T0)  # a worker claims it and dies
        assert delivery.deliver_due(BUYER_MESSAGES).delivered == 0
    with time_machine.travel(T0 + delivery.LEASE, tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).delivered == 1
    message.refresh_from_db()
    assert message.delivered_at == T0 + delivery.LEASE


def test_a_delivered_message_is_never_sent_again(webhook):
    messages(2)
    with time_machine.travel(T0, tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).delivered == 2
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).delivered == 0
    ids = [headers["X-Urge-Event-Id"] for headers, _ in webhook.received]
    assert len(ids) == len(set(ids)) == 2


# -- asking for delivery after a commit -----------------------------------------------------


class Clock:
    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def enqueued(monkeypatch):
    """The delivery runs `outbox.request_delivery` enqueues (their countdowns), on a clock the
    test moves."""
    from tickets import outbox, tasks

    calls, clock = [], Clock()
    monkeypatch.setattr(delivery, "_next_enqueue", {})
    monkeypatch.setattr(delivery.time, "monotonic", clock)
    monkeypatch.setattr(
        tasks.deliver_buyer_messages, "apply_async", lambda **kw: calls.append(kw["countdown"])
    )
    return outbox, calls, clock


def test_a_burst_of_commits_enqueues_one_delayed_run(enqueued):
    outbox, calls, clock = enqueued
    outbox.request_delivery()
    assert calls == [delivery.DELIVERY_DEBOUNCE]  # the run waits as long as the burst is held back
    for step in (0.1, 0.5, 0.99):
        clock.now = 1000.0 + step
        outbox.request_delivery()
    assert len(calls) == 1  # held back: the run already enqueued starts after these commits
    clock.now = 1000.0 + delivery.DELIVERY_DEBOUNCE
    outbox.request_delivery()
    assert len(calls) == 2


def test_rows_committed_while_held_back_are_due_when_the_run_starts(enqueued):
    """The rule the debounce rests on: the enqueued run starts no sooner than the end of the
    window in which later commits are held back."""
    outbox, calls, clock = enqueued
    outbox.request_delivery()
    run_starts = clock.now + calls[0]
    clock.now += delivery.DELIVERY_DEBOUNCE * 0.999
    outbox.request_delivery()  # a commit at the last held-back instant
    assert len(calls) == 1 and clock.now <= run_starts


def test_a_broker_failure_is_logged_not_raised(monkeypatch, caplog):
    from tickets import outbox, tasks

    def down(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(delivery, "_next_enqueue", {})
    monkeypatch.setattr(tasks.deliver_buyer_messages, "apply_async", down)
    outbox.request_delivery()
    assert "not enqueued" in caplog.text


# -- dead after the retry horizon, redelivered by operations ---------------------------------


def fail_until_dead(message, webhook) -> list[dt.datetime]:
    """Deliver at each `next_attempt_at` while the receiver answers 500; the instants tried."""
    webhook.status = 500
    tried, at = [], T0
    while at is not None:
        with time_machine.travel(at, tick=False):
            delivery.deliver_due(BUYER_MESSAGES)
        tried.append(at)
        message.refresh_from_db()
        at = message.next_attempt_at
        assert len(tried) < 50
    return tried


def test_a_delivery_failing_for_24_hours_is_dead(webhook):
    (message,) = messages()
    tried = fail_until_dead(message, webhook)
    minutes = [(at - T0).total_seconds() / 60 for at in tried]
    # 1 minute doubling to 6 hours; the last try exactly at the horizon, 24 hours after the first
    assert minutes == [0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 871, 1231, 1440]
    assert message.dead_at == T0 + delivery.HORIZON
    assert message.delivery_status == "dead"
    assert (message.attempts, message.last_status_code) == (13, 500)
    assert len(webhook.received) == 13
    # dead is final: nothing tries it again, however late
    with time_machine.travel(T0 + dt.timedelta(days=3), tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES) == delivery.DeliveryReport()
    assert len(webhook.received) == 13
    assert delivery.backlog(BUYER_MESSAGES) == delivery.Backlog(0, None, 1)


def test_a_redelivered_dead_message_is_sent_once_with_a_fresh_horizon(webhook):
    first, second = messages(2)
    fail_until_dead(first, webhook)  # both fail at the same instants
    second.refresh_from_db()
    assert second.delivery_status == "dead"
    later = T0 + dt.timedelta(days=2)
    alive = BuyerMessage.objects.get(ticket=factories.urged(at=later))
    webhook.received.clear()
    webhook.status = 200
    with time_machine.travel(later, tick=False):
        # the living message is delivered; the dead ones wait for operations
        assert delivery.deliver_due(BUYER_MESSAGES).delivered == 1
        assert delivery.redeliver(BUYER_MESSAGES, ids=[first.pk, second.pk, alive.pk]) == 2
        first.refresh_from_db()
        assert (first.dead_at, first.attempts) == (None, 0)
        assert first.retry_until == later + delivery.HORIZON
        assert delivery.deliver_due(BUYER_MESSAGES).delivered == 2
        assert delivery.redeliver(BUYER_MESSAGES) == 0  # none is dead any more
    ids = sorted(int(headers["X-Urge-Event-Id"]) for headers, _ in webhook.received)
    assert ids == sorted(m.pk for m in (first, second, alive))  # each exactly once


def test_redelivery_asks_for_a_delivery_run_after_commit(
    webhook, monkeypatch, django_capture_on_commit_callbacks
):
    (message,) = messages()
    fail_until_dead(message, webhook)
    asked = []
    monkeypatch.setattr(delivery, "request_delivery", asked.append)
    with django_capture_on_commit_callbacks(execute=True):
        delivery.redeliver(BUYER_MESSAGES)
    assert asked == ["buyer_messages"]
