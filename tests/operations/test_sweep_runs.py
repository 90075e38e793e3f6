"""Each sweep's run is recorded (§16): start, end and rows moved, from beat's tasks and from
`manage.py sweep --once` alike; a failed run too; kept a week."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from operations import services
from operations.models import SweepRun
from tickets import sweeps

from .test_metrics import NOW, SWEEPS, due_items

pytestmark = pytest.mark.django_db


def test_sweep_once_records_a_run_of_every_sweep(settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = ""
    due_items()
    with time_machine.travel(NOW, tick=False):
        call_command("sweep", "--once", stdout=StringIO())
    runs = {run.sweep: run for run in SweepRun.objects.all()}
    assert set(runs) == set(SWEEPS)
    assert {name: run.moved for name, run in runs.items()} == {
        "reply_timeouts": 2,
        "buyer_silence": 1,
        "missed_ship_dates": 2,  # the agreed one, and the one just deemed accepted
        "review_overdue": 1,
        "reply_reminders": 0,  # every urge of `due_items` is past its deadline at NOW
    }
    for run in runs.values():
        assert (run.trigger, run.error, run.started_at, run.finished_at) == (
            "command",
            "",
            NOW,
            NOW,
        )


def test_sweep_once_only_records_the_sweeps_it_ran():
    call_command("sweep", "--once", "--only", "buyer_silence", stdout=StringIO())
    assert list(SweepRun.objects.values_list("sweep", "moved")) == [("buyer_silence", 0)]


def test_a_run_takes_its_time(monkeypatch):
    """start and end are the run's own instants, not the `at` the sweep works for."""
    sweep = sweeps.PERIODIC_SWEEPS["reply_timeouts"]
    start = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)

    with time_machine.travel(start, tick=False) as clock:

        def slow(**options):
            clock.shift(dt.timedelta(seconds=7))
            return 5

        monkeypatch.setitem(
            sweeps.PERIODIC_SWEEPS,
            sweep.name,
            sweeps.PeriodicSweep(sweep.name, sweep.label, slow, sweep.due, sweep.deadline),
        )
        sweeps.PERIODIC_SWEEPS[sweep.name].run_recorded(trigger="beat")
    run = SweepRun.objects.get()
    assert (run.started_at, run.finished_at, run.moved, run.seconds) == (
        start,
        start + dt.timedelta(seconds=7),
        5,
        7.0,
    )


def test_a_listener_that_fails_never_fails_the_sweep(monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("recording failed")

    sweeps.sweep_ran.connect(broken, dispatch_uid="test-broken")
    try:
        assert sweeps.PERIODIC_SWEEPS["buyer_silence"].run_recorded(trigger="beat") == 0
    finally:
        sweeps.sweep_ran.disconnect(dispatch_uid="test-broken")
    assert "run not recorded" in caplog.text
    assert SweepRun.objects.count() == 1  # the operations app's own receiver still recorded it


def test_runs_older_than_a_week_are_pruned_as_new_ones_come():
    now = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)

    def record(sweep, at):
        return services.record_sweep_run(
            sweep=sweep, trigger="beat", started_at=at, finished_at=at, moved=0, error=""
        )

    old = record("reply_timeouts", now - services.RETENTION - dt.timedelta(minutes=1))
    kept = record("reply_timeouts", now - services.RETENTION + dt.timedelta(minutes=1))
    other = record("buyer_silence", now - services.RETENTION - dt.timedelta(days=1))
    record("reply_timeouts", now)
    remaining = set(SweepRun.objects.values_list("pk", flat=True))
    assert old.pk not in remaining and kept.pk in remaining
    assert other.pk in remaining  # each sweep prunes its own runs


def test_every_periodic_sweep_has_its_task_on_beats_schedule():
    from config.celery import BEAT_SCHEDULE

    scheduled = {entry["task"] for entry in BEAT_SCHEDULE.values()}
    assert set(services.SWEEP_TASKS) == set(sweeps.PERIODIC_SWEEPS)
    for task in services.SWEEP_TASKS.values():
        assert task.name in scheduled
