"""`/metrics` (§16): who may read it, and every series of the spec with nothing due, with items
due, and after the sweep (or delivery run, or heartbeat) that clears them."""

import datetime as dt

import pytest
import time_machine
from django.test import Client

from complaints import tasks as complaint_tasks
from complaints.models import Complaint, ComplaintKind
from operations import tasks as operation_tasks
from operations.models import SweepRun
from tests import factories
from tickets import delivery
from tickets import tasks as ticket_tasks
from tickets.models import BuyerMessage
from tickets.outbox import BUYER_MESSAGES

from .conftest import T0, parse, scrape

pytestmark = pytest.mark.django_db

SWEEPS = (
    "reply_timeouts",
    "buyer_silence",
    "missed_ship_dates",
    "review_overdue",
    "reply_reminders",
)
NOW = T0 + dt.timedelta(days=10)  # past every deadline of what `due_items` makes at T0


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


# -- who may read it ---------------------------------------------------------------------------


def test_loopback_reads_it_without_a_token(client):
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200


def test_elsewhere_it_needs_the_bearer_token(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    refused = client.get("/metrics", **remote)
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope", **remote)
    assert wrong.status_code == 401
    basic = client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token", **remote)
    assert basic.status_code == 401
    right = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token", **remote)
    assert right.status_code == 200 and b"urge_sweep_due" in right.content


def test_without_a_token_configured_only_loopback_reads_it(client, settings):
    settings.METRICS_TOKEN = ""
    response = client.get("/metrics", REMOTE_ADDR="10.0.0.5", HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403


def test_a_request_relayed_by_a_proxy_on_the_same_host_is_not_loopback(client, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert response.status_code == 401


def test_only_reading_methods_are_allowed(client):
    assert client.post("/metrics").status_code == 405
    assert client.head("/metrics").status_code == 200


# -- every series ------------------------------------------------------------------------------


def due_items():
    """At T0, for every sweep, items whose deadline will have passed at NOW. Returns each
    sweep's deadlines."""
    urged = [factories.urged(at=T0) for _ in range(2)]
    silent = factories.replied(plan="ship_later", at=T0, days=3)
    agreed = factories.agreed(at=T0, days=2)
    refused = factories.replied(plan="cannot_ship", at=T0)
    complaint = refused.complaints.get()
    return {
        "reply_timeouts": [t.reply_due_at for t in urged],
        "buyer_silence": [silent.buyer_due_at],
        "missed_ship_dates": [agreed.ship_deadline],
        "review_overdue": [complaint.review_due_at],
    }


SWEEP_TASKS = {
    "reply_timeouts": ticket_tasks.sweep_reply_timeouts,
    "buyer_silence": ticket_tasks.sweep_buyer_silence,
    "missed_ship_dates": ticket_tasks.sweep_missed_ship_dates,
    "review_overdue": complaint_tasks.sweep_review_overdue,
}


def test_with_nothing_due_every_series_is_zero(client):
    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)
    for sweep in SWEEPS:
        assert value(samples, "urge_sweep_due", sweep=sweep) == 0
        assert value(samples, "urge_sweep_lag_seconds", sweep=sweep) == 0
        assert value(samples, "urge_sweep_last_success_timestamp_seconds", sweep=sweep) == 0
    assert value(samples, "urge_outbox_pending", outbox="buyer_messages") == 0
    assert value(samples, "urge_outbox_oldest_pending_age_seconds", outbox="buyer_messages") == 0
    assert value(samples, "urge_outbox_dead", outbox="buyer_messages") == 0
    for kind in ComplaintKind.values:
        assert value(samples, "urge_complaints_open", kind=kind) == 0
    assert value(samples, "urge_complaints_past_review_target") == 0
    assert value(samples, "urge_beat_heartbeat_timestamp_seconds") == 0


def test_items_not_yet_due_are_not_counted(client):
    due_items()
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        samples = scrape(client)
    for sweep in SWEEPS:
        assert value(samples, "urge_sweep_due", sweep=sweep) == 0
        assert value(samples, "urge_sweep_lag_seconds", sweep=sweep) == 0


# The reply reminders' series: tests/webhooks/test_operations.py.
@pytest.mark.parametrize("sweep", [s for s in SWEEPS if s != "reply_reminders"])
def test_a_sweep_series_counts_what_is_due_and_clears_after_the_sweep(client, sweep):
    deadlines = due_items()[sweep]
    with time_machine.travel(NOW, tick=False):
        before = scrape(client)
        SWEEP_TASKS[sweep]()  # as beat's task runs it
        after = scrape(client)
    assert value(before, "urge_sweep_due", sweep=sweep) == len(deadlines)
    lag = (NOW - min(deadlines)).total_seconds()
    assert value(before, "urge_sweep_lag_seconds", sweep=sweep) == pytest.approx(lag)
    assert value(before, "urge_sweep_last_success_timestamp_seconds", sweep=sweep) == 0
    assert value(after, "urge_sweep_due", sweep=sweep) == 0
    assert value(after, "urge_sweep_lag_seconds", sweep=sweep) == 0
    run = SweepRun.objects.get(sweep=sweep)
    assert (run.trigger, run.moved, run.error) == ("beat", len(deadlines), "")
    assert value(after, "urge_sweep_last_success_timestamp_seconds", sweep=sweep) == (
        NOW.timestamp()
    )


def test_a_failed_sweep_is_no_success(client, monkeypatch):
    from tickets import sweeps

    def broken(**options):
        raise RuntimeError("database went away")

    sweep = sweeps.PERIODIC_SWEEPS["buyer_silence"]
    monkeypatch.setitem(
        sweeps.PERIODIC_SWEEPS,
        "buyer_silence",
        sweeps.PeriodicSweep(sweep.name, sweep.label, broken, sweep.due, sweep.deadline),
    )
    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError):
        ticket_tasks.sweep_buyer_silence()
    run = SweepRun.objects.get(sweep="buyer_silence")
    assert run.error == "RuntimeError: database went away" and not run.succeeded
    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)
    assert value(samples, "urge_sweep_last_success_timestamp_seconds", sweep="buyer_silence") == 0


def test_outbox_series_count_pending_then_nothing_after_delivery(client, settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = ""
    due_items()
    pending = BuyerMessage.objects.count()
    with time_machine.travel(NOW, tick=False):
        before = scrape(client)
        ticket_tasks.deliver_buyer_messages()
        after = scrape(client)
    assert value(before, "urge_outbox_pending", outbox="buyer_messages") == pending > 0
    age = (NOW - T0).total_seconds()
    assert value(before, "urge_outbox_oldest_pending_age_seconds", outbox="buyer_messages") == age
    assert value(after, "urge_outbox_pending", outbox="buyer_messages") == 0
    assert value(after, "urge_outbox_oldest_pending_age_seconds", outbox="buyer_messages") == 0
    assert value(after, "urge_outbox_dead", outbox="buyer_messages") == 0


def test_outbox_dead_counts_deliveries_past_the_horizon_until_redelivered(client, settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = "http://127.0.0.1:9/"  # refused: every attempt fails
    factories.urged(at=T0)
    with time_machine.travel(T0, tick=False):
        delivery.deliver_due(BUYER_MESSAGES)
        assert value(scrape(client), "urge_outbox_dead", outbox="buyer_messages") == 0
    late = T0 + delivery.HORIZON + dt.timedelta(minutes=1)
    with time_machine.travel(late, tick=False):
        assert delivery.deliver_due(BUYER_MESSAGES).dead == 1
        dead = scrape(client)
        delivery.redeliver(BUYER_MESSAGES)
        redelivered = scrape(client)
    assert value(dead, "urge_outbox_dead", outbox="buyer_messages") == 1
    assert value(dead, "urge_outbox_pending", outbox="buyer_messages") == 0
    assert value(redelivered, "urge_outbox_dead", outbox="buyer_messages") == 0
    assert value(redelivered, "urge_outbox_pending", outbox="buyer_messages") == 1


def test_complaint_series_count_open_complaints_by_kind_and_past_target(client):
    due_items()
    with time_machine.travel(NOW, tick=False):
        complaint_tasks.sweep_review_overdue()  # flagged complaints stay past their target
        ticket_tasks.sweep_reply_timeouts()
        samples = scrape(client)
    open_by_kind = {
        kind: Complaint.objects.filter(kind=kind, state__in=("pending", "in_review")).count()
        for kind in ComplaintKind.values
    }
    assert open_by_kind["reply_timeout"] == 2 and open_by_kind["cannot_ship"] == 1
    for kind, count in open_by_kind.items():
        assert value(samples, "urge_complaints_open", kind=kind) == count
    # filed at NOW by the sweep, the two reply-timeout complaints are not past target yet
    assert value(samples, "urge_complaints_past_review_target") == 1
    later = NOW + dt.timedelta(hours=48)
    with time_machine.travel(later, tick=False):
        assert value(scrape(client), "urge_complaints_past_review_target") == 3


def test_beat_heartbeat_is_when_the_heartbeat_task_last_ran(client):
    with time_machine.travel(NOW, tick=False):
        operation_tasks.beat_heartbeat()
        samples = scrape(client)
    assert value(samples, "urge_beat_heartbeat_timestamp_seconds") == NOW.timestamp()


def test_request_counts_and_latencies_are_exported(client):
    client.get("/healthz")
    samples = parse(client.get("/metrics").content.decode())
    names = {name for name, _ in samples}
    assert "django_http_requests_total_by_method_total" in names
    latency = [
        labels
        for name, labels in samples
        if name == "django_http_requests_latency_seconds_by_view_method_count"
    ]
    assert (("method", "GET"), ("view", "healthz")) in latency


def test_a_scrape_asks_a_bounded_number_of_queries(client, django_assert_max_num_queries):
    """Per sweep: what is due and its last success (the reply reminders read the longest lead
    of the policies first); per outbox: pending and dead; per complaint kind: open and past
    target; the heartbeat. However many rows there are."""
    due_items()
    with django_assert_max_num_queries(5 * 2 + 1 + 2 * 2 + 5 + 1):
        assert client.get("/metrics").status_code == 200


def test_counts_stop_at_the_limit_and_the_oldest_stays_exact(client, monkeypatch, settings):
    """A backlog beyond COUNT_LIMIT reads as the limit (so a scrape costs the same at any size);
    the lag and the oldest pending age, which the alerts watch, stay exact."""
    from operations import selectors

    monkeypatch.setattr(selectors, "COUNT_LIMIT", 2)
    urged = [factories.urged(at=T0 + dt.timedelta(minutes=m)) for m in range(3)]
    for _ in range(3):
        factories.replied(plan="cannot_ship", at=T0)  # three open cannot_ship complaints
    with time_machine.travel(NOW, tick=False):
        samples = scrape(client)
    assert value(samples, "urge_sweep_due", sweep="reply_timeouts") == 2
    lag = (NOW - urged[0].reply_due_at).total_seconds()
    assert value(samples, "urge_sweep_lag_seconds", sweep="reply_timeouts") == lag
    assert value(samples, "urge_outbox_pending", outbox="buyer_messages") == 2
    age = (NOW - T0).total_seconds()
    assert value(samples, "urge_outbox_oldest_pending_age_seconds", outbox="buyer_messages") == age
    assert value(samples, "urge_complaints_open", kind="cannot_ship") == 2
    assert value(samples, "urge_complaints_past_review_target") == 2
