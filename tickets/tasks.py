"""Celery tasks of tickets: thin, idempotent, safe to run twice or side by side. Each calls
one service; beat runs them every minute (config/celery.py)."""

from celery import shared_task

from . import delivery, sweeps


@shared_task(ignore_result=True)
def sweep_reply_timeouts() -> int:
    return sweeps.sweep_reply_timeouts()


@shared_task(ignore_result=True)
def sweep_buyer_silence() -> int:
    return sweeps.sweep_buyer_silence()


@shared_task(ignore_result=True)
def sweep_missed_ship_dates() -> int:
    return sweeps.sweep_missed_ship_dates()


@shared_task(ignore_result=True)
def deliver_buyer_messages() -> int:
    """Enqueued after each commit that writes messages, and run every minute by beat as the
    re-send of whatever is still undelivered (a broker outage, a failed webhook)."""
    return delivery.deliver_due_messages().delivered
