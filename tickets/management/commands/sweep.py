"""`manage.py sweep [--once] [--batch N]` (§13): run every periodic job (the deadline sweeps,
the review-target flag and the outbox delivery) with the same services the Celery tasks call,
without Celery. Without --once it runs them every minute, like beat."""

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from complaints.sweeps import sweep_review_overdue
from tickets import delivery, sweeps

INTERVAL_SECONDS = 60


def _deliver(*, at, batch_size, on_batch):
    return delivery.deliver_due_messages(
        at=at, batch_size=min(batch_size, delivery.BATCH_SIZE * 10), on_batch=on_batch
    ).delivered


JOBS = {
    "reply_timeouts": (
        "reply timeouts → complaints",
        sweeps.REPLY_TIMEOUT,
        sweeps.sweep_reply_timeouts,
    ),
    "buyer_silence": (
        "buyer silence → deemed accepted",
        sweeps.BUYER_SILENCE,
        sweeps.sweep_buyer_silence,
    ),
    "missed_ship_dates": (
        "missed ship dates → complaints",
        sweeps.MISSED_SHIP_DATE,
        sweeps.sweep_missed_ship_dates,
    ),
    "review_overdue": ("complaints past review target → flagged", None, sweep_review_overdue),
    "messages": ("buyer messages → delivered", None, _deliver),
}


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
        jobs = [JOBS[name] for name in (only or JOBS)]
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
        for label, spec, run in jobs:
            due = spec.due(at).count() if spec is not None and verbose else None
            done = 0

            def progress(count, label=label, due=due):
                nonlocal done
                done += count
                if verbose:
                    total = f"/{due}" if due is not None else ""
                    self.stdout.write(f"  {label}: {done}{total}")

            started = time.monotonic()
            count = run(at=at, batch_size=batch, on_batch=progress)
            if verbose:
                seconds = time.monotonic() - started
                self.stdout.write(f"{label}: {count} in {seconds:.2f} s")
