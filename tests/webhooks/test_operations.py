"""Operations see the webhooks (§16): the `reply_reminders` sweep and the `merchant_events`
outbox in /metrics and the console, beat runs both, and dead events are redelivered there."""

import datetime as dt

import pytest
import time_machine

from config.celery import BEAT_SCHEDULE
from tests import factories
from tests.operations.conftest import scrape
from tickets import delivery
from webhooks import tasks
from webhooks.models import Delivery
from webhooks.outbox import MERCHANT_EVENTS

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def test_the_reminder_series_counts_what_is_due_and_clears(client, shop, subscription):
    ticket = factories.urged(shop=shop, at=T0)
    remind_at = ticket.reply_due_at - ticket.policy.reply_reminder_lead
    now = remind_at + dt.timedelta(minutes=10)
    with time_machine.travel(now, tick=False):
        before = scrape(client)
        tasks.sweep_reply_reminders()
        after = scrape(client)
    assert value(before, "urge_sweep_due", sweep="reply_reminders") == 1
    assert value(before, "urge_sweep_lag_seconds", sweep="reply_reminders") == 600
    assert value(after, "urge_sweep_due", sweep="reply_reminders") == 0
    assert value(after, "urge_sweep_last_success_timestamp_seconds", sweep="reply_reminders") > 0


def test_the_merchant_events_outbox_is_counted(client, shop, subscription, receiver):
    factories.urged(shop=shop, at=T0)
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        samples = scrape(client)
    assert value(samples, "urge_outbox_pending", outbox="merchant_events") == 1
    assert value(samples, "urge_outbox_oldest_pending_age_seconds", outbox="merchant_events") == 30
    Delivery.objects.update(dead_at=T0, next_attempt_at=None)
    samples = scrape(client)
    assert value(samples, "urge_outbox_pending", outbox="merchant_events") == 0
    assert value(samples, "urge_outbox_dead", outbox="merchant_events") == 1


def test_beat_runs_the_reminders_and_the_resend():
    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert tasks.sweep_reply_reminders.name in scheduled
    assert tasks.deliver_merchant_events.name in scheduled


def test_the_resend_task_delivers(shop, subscription, receiver):
    factories.urged(shop=shop)
    assert tasks.deliver_merchant_events() == 1
    assert receiver.types() == ["ticket.opened"]


def test_a_commit_asks_for_a_delivery_run(
    shop, subscription, monkeypatch, django_capture_on_commit_callbacks
):
    asked = []
    monkeypatch.setitem(delivery._enqueuers, MERCHANT_EVENTS.name, asked.append)
    monkeypatch.setitem(delivery._next_enqueue, MERCHANT_EVENTS.name, 0.0)
    with django_capture_on_commit_callbacks(execute=True):
        factories.urged(shop=shop)
    assert asked == [delivery.DELIVERY_DEBOUNCE]


def test_the_console_shows_dead_events_and_redelivers_them(ops_client, shop, subscription):
    factories.urged(shop=shop, at=T0)
    Delivery.objects.update(dead_at=T0, next_attempt_at=None, last_error="HTTP 500")
    page = ops_client.get("/admin/operations/console/").content.decode()
    assert 'id="ops-outbox-merchant_events"' in page and 'data-dead="1"' in page
    ops_client.post("/admin/operations/console/redeliver/merchant_events/", {"all": "1"})
    assert Delivery.objects.get().delivery_status == "failed"  # pending again, error kept
    assert Delivery.objects.get().dead_at is None
