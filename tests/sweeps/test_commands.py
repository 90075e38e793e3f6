"""`manage.py sweep` (§13) and `manage.py setup_beat`: the same services without Celery, and
the beat schedule declared in code loaded into django-celery-beat for operations."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from complaints.models import Complaint
from config.celery import BEAT_SCHEDULE
from tests import factories
from tickets.models import BuyerMessage

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_sweep_once_runs_every_job_with_progress(settings):
    settings.BUYER_MESSAGE_WEBHOOK_URL = ""
    tickets = [factories.urged(at=T0) for _ in range(3)]
    with time_machine.travel(tickets[0].reply_due_at, tick=False):
        out = run("sweep", "--once", "--batch", "2")
    assert Complaint.objects.count() == 3
    assert not BuyerMessage.objects.filter(delivered_at__isnull=True).exists()
    assert "reply timeouts → complaints: 2/3" in out
    assert "reply timeouts → complaints: 3/3" in out
    assert "reply timeouts → complaints: 3 in" in out
    assert "buyer messages → delivered: 6 in" in out  # 3 urges and 3 complaints


def test_sweep_only_runs_the_named_job():
    tickets = [factories.urged(at=T0)]
    with time_machine.travel(tickets[0].reply_due_at, tick=False):
        out = run("sweep", "--once", "--only", "buyer_silence")
    assert Complaint.objects.count() == 0
    assert "buyer silence" in out and "reply timeouts" not in out


def test_sweep_refuses_a_batch_below_one():
    with pytest.raises(CommandError):
        run("sweep", "--once", "--batch", "0")


def test_sweep_without_once_loops_every_minute(monkeypatch):
    from tickets.management.commands import sweep as command

    naps = []

    def sleep(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt  # Ctrl-C ends the loop quietly

    monkeypatch.setattr(command.time, "sleep", sleep)
    out = run("sweep")
    assert len(naps) == 2 and all(50 < s <= 60 for s in naps)
    assert out.count("reply timeouts → complaints: 0") == 2


def test_setup_beat_loads_the_schedule_declared_in_code_idempotently():
    run("setup_beat")
    run("setup_beat")
    tasks = {t.name: t for t in PeriodicTask.objects.all()}
    assert set(BEAT_SCHEDULE) <= set(tasks)
    for name, entry in BEAT_SCHEDULE.items():
        assert tasks[name].task == entry["task"]
        assert tasks[name].interval.every == entry["schedule"]
        assert tasks[name].enabled
    assert tasks["sweep reply timeouts"].interval.every == 60  # the sweeps run every minute
    assert PeriodicTask.objects.filter(name__in=BEAT_SCHEDULE).count() == len(BEAT_SCHEDULE)


def test_setup_beat_keeps_a_job_paused_by_operations():
    run("setup_beat")
    PeriodicTask.objects.filter(name="sweep reply timeouts").update(enabled=False)
    out = run("setup_beat")
    assert not PeriodicTask.objects.get(name="sweep reply timeouts").enabled
    assert "PAUSED" in out


def test_operations_see_and_can_pause_the_jobs_in_the_admin(client):
    run("setup_beat")
    admin = factories.UserFactory(username="root-admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    page = client.get("/admin/django_celery_beat/periodictask/")
    assert page.status_code == 200
    for name in BEAT_SCHEDULE:
        assert name in page.content.decode()
    task = PeriodicTask.objects.get(name="sweep missed ship dates")
    response = client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": "disable_tasks", "_selected_action": [task.pk]},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert not task.enabled
