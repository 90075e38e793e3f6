"""The operations console (§16): operations land on it, reviewers keep their desk; its figures
are the metrics'; run a sweep now, pause and resume periodic tasks, redeliver dead deliveries;
and the periodic tasks' own admin pages, open to operations and shut to reviewers."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from config.celery import BEAT_SCHEDULE, app
from operations import services
from operations.admin import redeliver_dead
from operations.models import SweepRun
from tickets.models import BuyerMessage

from .conftest import make_dead, scrape
from .test_metrics import NOW, SWEEPS, due_items, value

pytestmark = pytest.mark.django_db

CONSOLE = "/admin/operations/console/"


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def attributes(html: str, element_id: str) -> dict:
    """The data-* attributes of the element with `element_id`."""
    tag = re.search(rf'<[^>]*id="{re.escape(element_id)}"[^>]*>', html).group(0)
    return {k: v for k, v in re.findall(r'data-([a-z-]+)="([^"]*)"', tag)}


# -- who lands where -----------------------------------------------------------------------


def test_operations_land_on_the_console(ops_client):
    page = ops_client.get("/admin/").content.decode()
    assert 'id="ops-console"' in page and "Operations console" in page
    assert 'id="rv-panel"' not in page  # the review desk is the reviewers'


def test_reviewers_keep_their_review_desk(reviewer_client):
    page = reviewer_client.get("/admin/").content.decode()
    assert 'id="rv-panel"' in page and 'id="ops-console"' not in page
    assert reviewer_client.get(CONSOLE).status_code == 403


def test_the_console_asks_for_a_login(client):
    response = client.get(CONSOLE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


# -- the figures are the metrics' ----------------------------------------------------------


def test_the_console_shows_the_figures_of_the_metrics(ops_client, settings):
    make_dead(2, settings=settings)
    due_items()
    services.record_heartbeat(host="celery@w1", at=NOW - dt.timedelta(seconds=40))
    with time_machine.travel(NOW - dt.timedelta(minutes=2), tick=False):
        from tickets import tasks

        tasks.sweep_buyer_silence()  # one sweep has run; the others never did
    with time_machine.travel(NOW, tick=False):
        page = ops_client.get(CONSOLE).content.decode()
        samples = scrape(ops_client)
    for sweep in SWEEPS:
        shown = attributes(page, f"ops-sweep-{sweep}")
        assert int(shown["due"]) == value(samples, "urge_sweep_due", sweep=sweep)
        assert int(shown["lag"]) == round(value(samples, "urge_sweep_lag_seconds", sweep=sweep))
        success = value(samples, "urge_sweep_last_success_timestamp_seconds", sweep=sweep)
        assert int(shown["last-success"]) == round(success)
    assert attributes(page, "ops-sweep-reply_timeouts")["due"] == "4"  # 2 + the 2 dead ones
    assert attributes(page, "ops-sweep-reply_timeouts")["state"] == "stalled"  # never ran
    assert attributes(page, "ops-sweep-buyer_silence")["state"] == "ok"
    outbox = attributes(page, "ops-outbox-buyer_messages")
    assert int(outbox["pending"]) == value(samples, "urge_outbox_pending", outbox="buyer_messages")
    assert int(outbox["dead"]) == value(samples, "urge_outbox_dead", outbox="buyer_messages") == 2
    age = value(samples, "urge_outbox_oldest_pending_age_seconds", outbox="buyer_messages")
    assert int(outbox["oldest-age"]) == round(age) > 0
    past = attributes(page, "ops-complaints")["past-target"]
    assert int(past) == value(samples, "urge_complaints_past_review_target") == 1
    beat = attributes(page, "ops-beat")["heartbeat"]
    assert int(beat) == round(value(samples, "urge_beat_heartbeat_timestamp_seconds"))
    assert "celery@w1" in page


def test_a_sweep_is_late_when_what_is_due_waited_over_5_minutes(ops_client):
    tickets = due_items()["reply_timeouts"]
    services.record_sweep_run(
        sweep="reply_timeouts",
        trigger="beat",
        started_at=tickets[0],
        finished_at=tickets[0] + dt.timedelta(minutes=6),
        moved=0,
        error="",
    )
    with time_machine.travel(tickets[0] + dt.timedelta(minutes=6), tick=False):
        page = ops_client.get(CONSOLE).content.decode()
    assert attributes(page, "ops-sweep-reply_timeouts")["state"] == "late"


# -- run a sweep now -------------------------------------------------------------------------


@pytest.fixture
def eager():
    """Tasks run in the request, as a worker would run them."""
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def test_operations_run_a_sweep_now(ops_client, eager):
    due_items()
    with time_machine.travel(NOW, tick=False):
        response = ops_client.post(f"{CONSOLE}run/reply_timeouts/")
    assert response.status_code == 302 and response["Location"] == CONSOLE
    run = SweepRun.objects.get(sweep="reply_timeouts")
    assert (run.trigger, run.moved) == ("console", 2)
    assert any("queued" in text for text in texts(response))


def test_run_now_says_so_when_the_broker_refuses(ops_client, monkeypatch):
    from tickets import tasks

    def refused(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.sweep_buyer_silence, "apply_async", refused)
    response = ops_client.post(f"{CONSOLE}run/buyer_silence/")
    assert any("sweep --once --only buyer_silence" in text for text in texts(response))
    assert not SweepRun.objects.exists()


def test_run_now_refuses_an_unknown_sweep_and_a_get(ops_client):
    response = ops_client.post(f"{CONSOLE}run/no_such_sweep/")
    assert any("no sweep called" in text for text in texts(response))
    assert ops_client.get(f"{CONSOLE}run/reply_timeouts/").status_code == 405


def test_reviewers_cannot_run_a_sweep(reviewer_client, eager):
    due_items()
    with time_machine.travel(NOW, tick=False):
        assert reviewer_client.post(f"{CONSOLE}run/reply_timeouts/").status_code == 403
    assert not SweepRun.objects.exists()


# -- periodic tasks: listed, paused, resumed -----------------------------------------------


@pytest.fixture
def schedule():
    call_command("setup_beat", stdout=open("/dev/null", "w"))  # noqa: SIM115
    return PeriodicTask.objects.get(name="sweep reply timeouts")


def test_operations_see_every_periodic_task_on_the_console(ops_client, schedule):
    page = ops_client.get(CONSOLE).content.decode()
    for name in BEAT_SCHEDULE:
        assert name in page


def test_operations_pause_and_resume_a_periodic_task(ops_client, schedule):
    before = PeriodicTasks.last_change()
    response = ops_client.post(f"{CONSOLE}periodic/{schedule.pk}/pause/")
    schedule.refresh_from_db()
    assert response.status_code == 302 and not schedule.enabled
    assert PeriodicTasks.last_change() != before  # beat's scheduler reloads its schedule
    row = task_row(ops_client, schedule)
    assert 'class="ops-resume"' in row and 'class="ops-pause"' not in row
    ops_client.post(f"{CONSOLE}periodic/{schedule.pk}/resume/")
    schedule.refresh_from_db()
    assert schedule.enabled


def task_row(client, task) -> str:
    page = client.get(CONSOLE).content.decode()
    return re.search(rf'<tr id="ops-task-{task.pk}">.*?</tr>', page, re.S).group(0)


def test_reviewers_cannot_pause_a_periodic_task(reviewer_client, schedule):
    assert reviewer_client.post(f"{CONSOLE}periodic/{schedule.pk}/pause/").status_code == 403
    schedule.refresh_from_db()
    assert schedule.enabled


def test_pausing_a_missing_task_is_a_message(ops_client):
    response = ops_client.post(f"{CONSOLE}periodic/999999/pause/")
    assert any("no longer exists" in text for text in texts(response))


def test_operations_see_and_pause_the_periodic_tasks_in_their_admin(ops_client, schedule):
    """The admin pages django-celery-beat ships, open to the operations group by migration."""
    page = ops_client.get("/admin/django_celery_beat/periodictask/")
    assert page.status_code == 200
    for name in BEAT_SCHEDULE:
        assert name in page.content.decode()
    assert ops_client.get(f"/admin/django_celery_beat/periodictask/{schedule.pk}/change/")
    response = ops_client.post(
        "/admin/django_celery_beat/periodictask/",
        {"action": "disable_tasks", "_selected_action": [schedule.pk]},
    )
    assert response.status_code == 302
    schedule.refresh_from_db()
    assert not schedule.enabled
    # the schedule itself is declared in code: operations neither add nor delete tasks
    assert ops_client.get("/admin/django_celery_beat/periodictask/add/").status_code == 403


def test_reviewers_do_not_see_the_periodic_tasks(reviewer_client, schedule):
    assert reviewer_client.get("/admin/django_celery_beat/periodictask/").status_code == 403
    assert "django_celery_beat" not in reviewer_client.get("/admin/").content.decode()


# -- redelivery ------------------------------------------------------------------------------


def test_operations_redeliver_every_dead_delivery_at_once(ops_client, settings):
    dead = make_dead(3, settings=settings)
    page = ops_client.get(CONSOLE).content.decode()
    assert page.count('class="ops-dead-row"') == 3
    response = ops_client.post(f"{CONSOLE}redeliver/buyer_messages/", {"all": "1"})
    assert any("3 dead deliveries" in text for text in texts(response))
    assert not BuyerMessage.objects.filter(pk__in=[m.pk for m in dead], dead_at__isnull=False)
    from tickets import tasks

    tasks.deliver_buyer_messages()  # the worker's run: delivered (logged, no URL here)
    assert BuyerMessage.objects.filter(delivered_at__isnull=False).count() == 3


def test_operations_redeliver_the_selected_dead_deliveries(ops_client, settings):
    first, second = make_dead(2, settings=settings)
    response = ops_client.post(f"{CONSOLE}redeliver/buyer_messages/", {"ids": [second.pk]})
    assert any("1 dead delivery" in text for text in texts(response))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.dead_at is not None and second.dead_at is None


def test_redelivery_without_a_selection_changes_nothing(ops_client, settings):
    (message,) = make_dead(settings=settings)
    for data in ({}, {"ids": ["x"]}):
        response = ops_client.post(f"{CONSOLE}redeliver/buyer_messages/", data)
        assert any("Select the deliveries" in text for text in texts(response))
    message.refresh_from_db()
    assert message.dead_at is not None
    response = ops_client.post(f"{CONSOLE}redeliver/no_such_outbox/", {"all": "1"})
    assert any("no outbox called" in text for text in texts(response))


def test_reviewers_cannot_redeliver(reviewer_client, settings):
    (message,) = make_dead(settings=settings)
    response = reviewer_client.post(f"{CONSOLE}redeliver/buyer_messages/", {"all": "1"})
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.dead_at is not None


def test_the_redeliver_action_for_the_message_changelist(ops, rf, settings):
    """`operations.admin.redeliver_dead`, ready for the buyer messages' changelist."""
    from django.contrib import admin
    from django.contrib.messages.storage.fallback import FallbackStorage

    dead = make_dead(2, settings=settings)
    request = rf.post("/admin/tickets/buyermessage/")
    request.user = ops
    request.session = {}
    request._messages = FallbackStorage(request)
    modeladmin = admin.site._registry[BuyerMessage]
    redeliver_dead(modeladmin, request, BuyerMessage.objects.all())
    assert not BuyerMessage.objects.filter(dead_at__isnull=False).exists()
    assert [str(m) for m in request._messages] == ["2 dead deliveries will be sent again."]
    # waiting for their next attempt, their last error kept until then (§15's `failed`)
    assert {BuyerMessage.objects.get(pk=m.pk).delivery_status for m in dead} == {"failed"}


def test_the_console_speaks_chinese_by_default(ops_client, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    page = ops_client.get(CONSOLE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "运营控制台" in page and "超时未回复 → 投诉" in page and "立即运行" in page
