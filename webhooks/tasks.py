"""Celery tasks of the webhooks (§15): thin and idempotent like the tickets' (beat runs them
every minute, config/celery.py)."""

from celery import shared_task

from tickets import delivery, sweeps

from .outbox import MERCHANT_EVENTS


@shared_task(ignore_result=True)
def sweep_reply_reminders(trigger: str = "beat") -> int:
    return sweeps.PERIODIC_SWEEPS["reply_reminders"].run_recorded(trigger=trigger)


@shared_task(ignore_result=True)
def deliver_merchant_events() -> int:
    """Enqueued after each commit that writes events, and run every minute by beat as the
    re-send of whatever is still undelivered."""
    return delivery.deliver_due(MERCHANT_EVENTS).delivered


delivery.on_delivery_requested(
    MERCHANT_EVENTS.name,
    lambda countdown: deliver_merchant_events.apply_async(countdown=countdown),
)
