"""Celery tasks of tickets: thin, idempotent, safe to run twice or side by side. Each calls
one service; beat runs them every minute (config/celery.py)."""

from celery import shared_task

from . import delivery, sweeps
from .outbox import BUYER_MESSAGES

# Each sweep's run is recorded (`sweep_ran`); `trigger` says who asked: beat, or operations'
# "run now" in the console.


@shared_task(ignore_result=True)
def sweep_reply_timeouts(trigger: str = "beat") -> int:
    return sweeps.PERIODIC_SWEEPS["reply_timeouts"].run_recorded(trigger=trigger)


@shared_task(ignore_result=True)
def sweep_buyer_silence(trigger: str = "beat") -> int:
    return sweeps.PERIODIC_SWEEPS["buyer_silence"].run_recorded(trigger=trigger)


@shared_task(ignore_result=True)
def sweep_missed_ship_dates(trigger: str = "beat") -> int:
    return sweeps.PERIODIC_SWEEPS["missed_ship_dates"].run_recorded(trigger=trigger)


@shared_task(ignore_result=True)
def deliver_buyer_messages() -> int:
    """Enqueued after each commit that writes messages, and run every minute by beat as the
    re-send of whatever is still undelivered (a broker outage, a failed webhook)."""
    return delivery.deliver_due(BUYER_MESSAGES).delivered


# The seam of the outbox: a commit that writes buyer messages asks `delivery.request_delivery`,
# which enqueues this task the way registered here (the outbox never imports the tasks).
delivery.on_delivery_requested(
    BUYER_MESSAGES.name, lambda countdown: deliver_buyer_messages.apply_async(countdown=countdown)
)
