"""The Celery app: settings from Django under the CELERY_ namespace, tasks autodiscovered, and
the beat schedule of the periodic jobs (§4 sweeps, §7 review target, §10 re-send).

The schedule is declared here, in code. Beat runs django-celery-beat's DatabaseScheduler, which
copies these entries into PeriodicTask rows (so does `manage.py setup_beat`, run at deploy
time): operations see them in the admin and can pause one there; a pause survives restarts
and deploys, because the copy never touches `enabled`.

Run exactly ONE beat process per deployment (Procfile `beat`, or `worker -B` on one machine).
Two beats would enqueue every job twice; the jobs are safe against that (concurrent sweeps
skip each other's rows), but it doubles the work for nothing."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("urge_tickets")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every minute by default; tests and demos may run them more often.
SWEEP_INTERVAL_SECONDS = float(os.environ.get("SWEEP_INTERVAL_SECONDS", "60"))


def _periodic(task: str, every: float = SWEEP_INTERVAL_SECONDS) -> dict:
    return {
        "task": task,
        "schedule": every,
        # A run left queued past the next one is dropped (a worker down for an hour then runs
        # each job once, not sixty times): every run sweeps everything that is due anyway.
        "options": {"expire_seconds": max(every - 5, 1)},
    }


BEAT_SCHEDULE = {
    "sweep reply timeouts": _periodic("tickets.tasks.sweep_reply_timeouts"),
    "sweep buyer silence": _periodic("tickets.tasks.sweep_buyer_silence"),
    "sweep missed ship dates": _periodic("tickets.tasks.sweep_missed_ship_dates"),
    "flag complaints past review target": _periodic("complaints.tasks.sweep_review_overdue"),
    "re-send undelivered buyer messages": _periodic("tickets.tasks.deliver_buyer_messages"),
    # §15: merchants' webhooks: replies due soon, and the re-send of undelivered events.
    "sweep reply reminders": _periodic("webhooks.tasks.sweep_reply_reminders"),
    "re-send undelivered merchant events": _periodic("webhooks.tasks.deliver_merchant_events"),
    # §16: proves every minute that beat schedules and a worker runs (GET /readyz, the alerts).
    "beat heartbeat": _periodic("operations.tasks.beat_heartbeat", every=60),
    # API idempotency keys live 24 hours; removing the expired ones hourly is plenty.
    "purge expired idempotency keys": _periodic(
        "idempotency.purge_expired_idempotency_keys", every=3600
    ),
}
app.conf.beat_schedule = BEAT_SCHEDULE
