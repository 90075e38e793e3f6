"""Operations' actions (§16): record each sweep's run and the beat's heartbeat; run a sweep now;
pause and resume a periodic task; redeliver dead deliveries. The console, the tasks and the
signal receiver call these; nothing else writes these rows."""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from complaints import tasks as complaint_tasks
from tickets import delivery
from tickets import tasks as ticket_tasks
from tickets.exceptions import NotFound
from webhooks import tasks as webhook_tasks

from .models import Heartbeat, SweepRun, Trigger

logger = logging.getLogger(__name__)

# Runs are kept a week: enough to read what happened over a weekend; every sweep writes one a
# minute, so each keeps about 10,000 rows.
RETENTION = dt.timedelta(days=7)
BEAT = "beat"

# The task beat runs for each periodic sweep ("run now" enqueues the same).
SWEEP_TASKS = {
    "reply_timeouts": ticket_tasks.sweep_reply_timeouts,
    "buyer_silence": ticket_tasks.sweep_buyer_silence,
    "missed_ship_dates": ticket_tasks.sweep_missed_ship_dates,
    "review_overdue": complaint_tasks.sweep_review_overdue,
    "reply_reminders": webhook_tasks.sweep_reply_reminders,
}


def record_sweep_run(
    *, sweep, trigger, started_at, finished_at, moved, error, **kwargs
) -> SweepRun:
    """Receiver of `tickets.sweeps.sweep_ran`: one row per run; this sweep's rows older than
    `RETENTION` go (one range of its index)."""
    run = SweepRun.objects.create(
        sweep=sweep,
        trigger=trigger,
        started_at=started_at,
        finished_at=finished_at,
        moved=moved,
        error=error[:2000],
    )
    SweepRun.objects.filter(sweep=sweep, finished_at__lt=finished_at - RETENTION).delete()
    return run


def record_heartbeat(*, name: str = BEAT, host: str = "", at=None) -> Heartbeat:
    at = at or timezone.now()
    heartbeat, _ = Heartbeat.objects.update_or_create(
        name=name, defaults={"at": at, "host": host[:200]}
    )
    return heartbeat


def sweep_run_now(*, sweep: str) -> None:
    """Enqueue the sweep's task now, as beat would, marked as run from the console. Raises
    NotFound for an unknown sweep; a broker failure propagates (the caller says so)."""
    task = SWEEP_TASKS.get(sweep)
    if task is None:
        raise NotFound(f"sweep {sweep}")
    task.apply_async(kwargs={"trigger": Trigger.CONSOLE})


@transaction.atomic
def periodic_task_set_enabled(*, task_id: int, enabled: bool) -> PeriodicTask:
    """Pause or resume one periodic task. Saved through the model, so that beat's
    DatabaseScheduler notices the change (django-celery-beat's own change tracking)."""
    try:
        task = PeriodicTask.objects.select_for_update().get(pk=task_id)
    except (PeriodicTask.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"periodic task {task_id}") from None
    if task.enabled != enabled:
        task.enabled = enabled
        task.save()
        logger.info("periodic task %r %s", task.name, "resumed" if enabled else "paused")
    return task


def outbox_redeliver(*, outbox: str, ids=None) -> int:
    """Redeliver dead rows of `outbox` (the given ids, or all); returns how many."""
    box = delivery.OUTBOXES.get(outbox)
    if box is None:
        raise NotFound(f"outbox {outbox}")
    return delivery.redeliver(box, ids=ids)
