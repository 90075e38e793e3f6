"""Delivering the buyer-message outbox (§10): signed webhook POSTs, backoff on failure, logged
delivery without a URL, and no row delivered twice."""

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
        report = delivery.deliver_due_messages()
    message.refresh_from_db()
    assert (report.delivered, report.failed) == (1, 0)
    assert message.delivered_at == T0
    assert message.text in caplog.text


def test_each_message_is_posted_signed_with_hmac_sha256(webhook):
    (message,) = messages()
    with time_machine.travel(T0, tick=False):
        delivery.deliver_due_messages()
    (headers, body) = webhook.received[0]
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == f"sha256={expected}"
    assert headers["X-Message-Id"] == str(message.pk)
    sent = json.loads(body)
    assert (sent["id"], sent["kind"], sent["text"]) == (message.pk, message.kind, message.text)
    assert sent["buyer"] == message.buyer.username
    message.refresh_from_db()
    assert (message.delivered_at, message.attempts, message.last_error) == (T0, 1, "")


def test_a_failed_delivery_is_retried_with_backoff(webhook):
    (message,) = messages()
    webhook.status = 503
    with time_machine.travel(T0, tick=False):
        report = delivery.deliver_due_messages()
    message.refresh_from_db()
    assert report.failed == 1
    assert message.delivered_at is None
    assert message.attempts == 1
    assert "503" in message.last_error
    assert message.next_attempt_at == T0 + dt.timedelta(seconds=30)
    # not before the backoff has passed
    with time_machine.travel(T0 + dt.timedelta(seconds=29), tick=False):
        assert delivery.deliver_due_messages().failed == 0
    assert len(webhook.received) == 1
    # the second failure waits twice as long
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        delivery.deliver_due_messages()
    message.refresh_from_db()
    assert message.next_attempt_at == T0 + dt.timedelta(seconds=90)
    webhook.status = 200
    with time_machine.travel(T0 + dt.timedelta(seconds=90), tick=False):
        assert delivery.deliver_due_messages().delivered == 1
    message.refresh_from_db()
    assert (message.attempts, message.last_error) == (3, "")
    assert message.delivered_at == T0 + dt.timedelta(seconds=90)


def test_an_unreachable_webhook_is_an_error_recorded_not_raised(settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = "http://127.0.0.1:9/"  # discard port: refused
    (message,) = messages()
    with time_machine.travel(T0, tick=False):
        assert delivery.deliver_due_messages().failed == 1
    message.refresh_from_db()
    assert message.last_error and message.delivered_at is None


def test_backoff_doubles_up_to_an_hour():
    assert [delivery.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert delivery.backoff(30) == dt.timedelta(hours=1)


def test_a_claimed_message_is_not_claimed_again_while_leased():
    messages(3)
    with time_machine.travel(T0, tick=False):
        first, _ = delivery.claim(at=timezone.now(), limit=2)
        second, _ = delivery.claim(at=timezone.now(), limit=2)
        third, _ = delivery.claim(at=timezone.now(), limit=2)
    assert len(first) == 2 and len(second) == 1 and third == []
    assert not {m.pk for m in first} & {m.pk for m in second}


def test_a_lease_left_by_a_dead_worker_expires_and_the_message_is_delivered(settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = ""
    (message,) = messages()
    with time_machine.travel(T0, tick=False):
        delivery.claim(at=T0)  # a worker claims it and dies
        assert delivery.deliver_due_messages().delivered == 0
    with time_machine.travel(T0 + delivery.LEASE, tick=False):
        assert delivery.deliver_due_messages().delivered == 1
    message.refresh_from_db()
    assert message.delivered_at == T0 + delivery.LEASE


def test_a_delivered_message_is_never_sent_again(webhook):
    messages(2)
    with time_machine.travel(T0, tick=False):
        assert delivery.deliver_due_messages().delivered == 2
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        assert delivery.deliver_due_messages().delivered == 0
    ids = [headers["X-Message-Id"] for headers, _ in webhook.received]
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
    monkeypatch.setattr(outbox, "_next_enqueue", 0.0)
    monkeypatch.setattr(outbox.time, "monotonic", clock)
    monkeypatch.setattr(
        tasks.deliver_buyer_messages, "apply_async", lambda **kw: calls.append(kw["countdown"])
    )
    return outbox, calls, clock


def test_a_burst_of_commits_enqueues_one_delayed_run(enqueued):
    outbox, calls, clock = enqueued
    outbox.request_delivery()
    assert calls == [outbox.DELIVERY_DEBOUNCE]  # the run waits as long as the burst is held back
    for step in (0.1, 0.5, 0.99):
        clock.now = 1000.0 + step
        outbox.request_delivery()
    assert len(calls) == 1  # held back: the run already enqueued starts after these commits
    clock.now = 1000.0 + outbox.DELIVERY_DEBOUNCE
    outbox.request_delivery()
    assert len(calls) == 2


def test_rows_committed_while_held_back_are_due_when_the_run_starts(enqueued):
    """The rule the debounce rests on: the enqueued run starts no sooner than the end of the
    window in which later commits are held back."""
    outbox, calls, clock = enqueued
    outbox.request_delivery()
    run_starts = clock.now + calls[0]
    clock.now += outbox.DELIVERY_DEBOUNCE * 0.999
    outbox.request_delivery()  # a commit at the last held-back instant
    assert len(calls) == 1 and clock.now <= run_starts


def test_a_broker_failure_is_logged_not_raised(monkeypatch, caplog):
    from tickets import outbox, tasks

    def down(**kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(outbox, "_next_enqueue", 0.0)
    monkeypatch.setattr(tasks.deliver_buyer_messages, "apply_async", down)
    outbox.request_delivery()
    assert "not enqueued" in caplog.text
