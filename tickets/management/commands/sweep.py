"""`manage.py sweep [--once] [--batch N]` (§13): run every periodic job (the deadline sweeps,
the review-target flag and the outbox delivery) with the same services the Celery tasks call,
without Celery. Each sweep's run is recorded as the tasks' are (`PeriodicSweep.run_recorded`,
trigger "command"). Without --once it runs them every minute, like beat."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tickets import delivery, sweeps
from tickets.outbox import BUYER_MESSAGES
from webhooks.outbox import MERCHANT_EVENTS

INTERVAL_SECONDS = 60
# The outbox deliveries, by job name (§10 buyer messages, §15 merchant events).
OUTBOXES = {
    "messages": (BUYER_MESSAGES, "buyer messages → delivered"),
    "events": (MERCHANT_EVENTS, "merchant events → delivered"),
}


def _deliver(outbox, *, at, batch_size, on_batch):
    return delivery.deliver_due(
        outbox,
        at=at,
        batch_size=min(batch_size, delivery.BATCH_SIZE * 10),
        on_batch=on_batch,
    ).delivered


JOBS = [*sweeps.PERIODIC_SWEEPS, *OUTBOXES]


class Command(BaseCommand):
    help = "Run the deadline sweeps and the outbox delivery (once, or every minute like beat)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument(
            "--batch", type=int, default=sweeps.BATCH_SIZE, help="rows per transaction"
        )
        parser.add_argument(
            "--only", action="append", choices=sorted(JOBS), help="run only this job (repeatable)"
        )

    def handle(self, *args, once=False, batch=sweeps.BATCH_SIZE, only=None, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        self.verbosity = options.get("verbosity", 1)
        jobs = [name for name in JOBS if not only or name in only]
        while True:
            started = time.monotonic()
            self.run_all(jobs, batch=batch)
            if once:
                return
            pause = INTERVAL_SECONDS - (time.monotonic() - started)
            try:
                time.sleep(max(pause, 0))
            except KeyboardInterrupt:
                return

    def run_all(self, jobs, *, batch):
        at = timezone.now()
        verbose = self.verbosity >= 1
        for name in jobs:
            sweep = sweeps.PERIODIC_SWEEPS.get(name)
            label = sweep.label if sweep else OUTBOXES[name][1]
            due = sweep.due_figures(at)[0] if sweep is not None and verbose else None
            done = 0

            def progress(count, label=label, due=due):
                nonlocal done
                done += count
                if verbose:
                    total = f"/{due}" if due is not None else ""
                    self.stdout.write(f"  {label}: {done}{total}")

            started = time.monotonic()
            options = {"at": at, "batch_size": batch, "on_batch": progress}
            if sweep is None:
                count = _deliver(OUTBOXES[name][0], **options)
            else:
                count = sweep.run_recorded(trigger="command", **options)
            if verbose:
                seconds = time.monotonic() - started
                self.stdout.write(f"{label}: {count} in {seconds:.2f} s")
