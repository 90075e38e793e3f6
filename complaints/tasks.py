"""Celery tasks of complaints: thin and idempotent; beat runs them every minute."""

from celery import shared_task

from . import sweeps


@shared_task(ignore_result=True)
def sweep_review_overdue() -> int:
    return sweeps.sweep_review_overdue()
