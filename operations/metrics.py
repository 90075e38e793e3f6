"""`/metrics` (§16): the series of the spec, computed at scrape time by a custom collector from
the same selectors as the console, so every web process answers the same and the numbers are
facts of the database; request counts and latencies come from django-prometheus's middleware
(prometheus-client's default registry)."""

import contextlib
import os

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from . import selectors


def _families(overview: selectors.Overview | None) -> list[GaugeMetricFamily]:
    """The families of §16, with their samples from `overview` (none: only their names)."""
    sweep_due = GaugeMetricFamily(
        "urge_sweep_due", "Items due and not yet swept (counted up to 10,000).", labels=["sweep"]
    )
    sweep_lag = GaugeMetricFamily(
        "urge_sweep_lag_seconds",
        "Now minus the oldest unswept deadline; 0 when none is due.",
        labels=["sweep"],
    )
    sweep_success = GaugeMetricFamily(
        "urge_sweep_last_success_timestamp_seconds",
        "When the sweep last finished without error (Unix seconds; 0: never).",
        labels=["sweep"],
    )
    outbox_pending = GaugeMetricFamily(
        "urge_outbox_pending",
        "Deliveries waiting, neither delivered nor dead (counted up to 10,000).",
        labels=["outbox"],
    )
    outbox_age = GaugeMetricFamily(
        "urge_outbox_oldest_pending_age_seconds",
        "Age of the oldest waiting delivery; 0 when none waits.",
        labels=["outbox"],
    )
    outbox_dead = GaugeMetricFamily(
        "urge_outbox_dead",
        "Deliveries past their retry horizon, waiting for a redelivery (up to 10,000).",
        labels=["outbox"],
    )
    complaints_open = GaugeMetricFamily(
        "urge_complaints_open",
        "Complaints pending or in review (up to 10,000 a kind).",
        labels=["kind"],
    )
    past_target = GaugeMetricFamily(
        "urge_complaints_past_review_target",
        "Open complaints past their review target (up to 10,000 a kind).",
    )
    heartbeat = GaugeMetricFamily(
        "urge_beat_heartbeat_timestamp_seconds",
        "When beat's heartbeat task last ran (Unix seconds; 0: never).",
    )
    families = [
        sweep_due,
        sweep_lag,
        sweep_success,
        outbox_pending,
        outbox_age,
        outbox_dead,
        complaints_open,
        past_target,
        heartbeat,
    ]
    if overview is None:
        return families
    for sweep in overview.sweeps:
        sweep_due.add_metric([sweep.name], sweep.due)
        sweep_lag.add_metric([sweep.name], sweep.lag_seconds)
        sweep_success.add_metric([sweep.name], sweep.last_success_timestamp)
    for box in overview.outboxes:
        outbox_pending.add_metric([box.name], box.pending)
        outbox_age.add_metric([box.name], box.oldest_pending_age_seconds)
        outbox_dead.add_metric([box.name], box.dead)
    for kind, count in overview.complaints.open_by_kind.items():
        complaints_open.add_metric([kind], count)
    past_target.add_metric([], overview.complaints.past_review_target)
    heartbeat.add_metric([], overview.beat_timestamp)
    return families


class UrgeCollector(Collector):
    def describe(self):
        # Names only: registering the collector must not query the database.
        return _families(None)

    def collect(self):
        return _families(selectors.overview())


COLLECTOR = UrgeCollector()


def register(registry) -> None:
    """Add the collector to `registry` once (the app's ready() calls it for the default one)."""
    with contextlib.suppress(ValueError):  # already registered (ready() run again)
        registry.register(COLLECTOR)


def exposition() -> bytes:
    """The text format of every series: ours and the default registry's (django-prometheus's
    request metrics, the process). With PROMETHEUS_MULTIPROC_DIR set (gunicorn with several
    workers), the request metrics are summed over the workers' files, as prometheus-client
    documents it; ours are computed from the database either way."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        registry.register(COLLECTOR)
        return generate_latest(registry)
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY)
