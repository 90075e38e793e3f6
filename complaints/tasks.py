"""Celery tasks of complaints: thin and idempotent; beat runs them every minute."""

from celery import shared_task

from tickets.sweeps import PERIODIC_SWEEPS


@shared_task(ignore_result=True)
def sweep_review_overdue(trigger: str = "beat") -> int:
    # Through the periodic-sweep registry, so that the run is recorded like every sweep's.
    return PERIODIC_SWEEPS["review_overdue"].run_recorded(trigger=trigger)
