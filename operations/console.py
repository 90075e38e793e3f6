"""The operations console in the admin (§16): each sweep's last run, due count, lag and state
(ok / late / stalled), each outbox's backlog and dead deliveries with redelivery, beat and
worker liveness, "run this sweep now", and the periodic tasks with pause and resume. Thin: the
figures come from `selectors`, every button calls one of `services`."""

import logging

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django_celery_beat.models import PeriodicTask

from config.celery import app
from tickets import delivery
from tickets.exceptions import NotFound

from . import selectors, services

logger = logging.getLogger(__name__)

DEAD_SHOWN = 20  # dead rows listed per outbox (all can be redelivered at once)

SWEEP_NAMES = {
    "reply_timeouts": gettext_lazy("Reply timeouts → complaints"),
    "buyer_silence": gettext_lazy("Buyer silence → deemed accepted"),
    "missed_ship_dates": gettext_lazy("Missed ship dates → complaints"),
    "review_overdue": gettext_lazy("Complaints past review target → flagged"),
    "reply_reminders": gettext_lazy("Reply reminders"),
}
OUTBOX_NAMES = {
    "buyer_messages": gettext_lazy("Buyer messages"),
    "merchant_events": gettext_lazy("Merchant events"),
}
STATES = {
    "ok": gettext_lazy("ok"),
    "late": gettext_lazy("late"),
    "stalled": gettext_lazy("stalled"),
}


def console_context(request, *, at=None, ping_workers: bool = False) -> dict:
    """Everything the console shows; the admin index's operations panel shows the same."""
    user = request.user
    figures = selectors.overview(at=at, with_last_run=True)
    sweeps = [
        {"status": s, "title": SWEEP_NAMES.get(s.name, s.name), "state_label": STATES[s.state]}
        for s in figures.sweeps
    ]
    outboxes = []
    for status in figures.outboxes:
        box = delivery.OUTBOXES[status.name]
        dead = list(box.dead().order_by("-dead_at", "-pk")[:DEAD_SHOWN]) if status.dead else []
        outboxes.append(
            {"status": status, "title": OUTBOX_NAMES.get(status.name, status.name), "dead": dead}
        )
    tasks = []
    if user.has_perm("django_celery_beat.view_periodictask"):
        tasks = list(
            PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked")
            .exclude(name__startswith="celery.")
            .order_by("name")
        )
    return {
        "figures": figures,
        "sweeps": sweeps,
        "outboxes": outboxes,
        "complaint_kinds": [
            (label, figures.complaints.open_by_kind.get(kind, 0))
            for kind, label in _complaint_kinds()
        ],
        "workers": _workers() if ping_workers else None,
        "pinged": ping_workers,
        "tasks": tasks,
        "can_run": user.has_perm("operations.run_sweep"),
        "can_redeliver": user.has_perm("operations.redeliver"),
        "can_pause": user.has_perm("django_celery_beat.change_periodictask"),
        "count_limit": selectors.COUNT_LIMIT,
        "late_after_minutes": int(selectors.LATE_AFTER.total_seconds() // 60),
        "stalled_after_minutes": int(selectors.STALLED_AFTER.total_seconds() // 60),
    }


def _complaint_kinds():
    from complaints.models import ComplaintKind

    return ComplaintKind.choices


def _workers() -> list[str] | None:
    """The Celery workers answering a ping now (None: the broker could not be asked)."""
    try:
        answers = app.control.inspect(timeout=settings.OPERATIONS_WORKER_PING_TIMEOUT).ping()
    except Exception:  # the broker is down, or its transport cannot broadcast
        logger.warning("workers could not be pinged", exc_info=True)
        return None
    return sorted(answers or {})


def _require(request, perm: str):
    if not request.user.has_perm(perm):
        raise PermissionDenied


def console(request):
    """The figures at once; the workers are asked by the page's script afterwards (`workers`),
    since a ping waits up to OPERATIONS_WORKER_PING_TIMEOUT for every answer. `?workers=now`
    asks them before answering (a browser without scripts)."""
    _require(request, "operations.view_console")
    ping = request.GET.get("workers") == "now"
    context = {
        **admin.site.each_context(request),
        "title": _("Operations console"),
        **console_context(request, ping_workers=ping),
        "ask_workers_url": None if ping else reverse("operations:workers"),
    }
    return TemplateResponse(request, "admin/operations/console.html", context)


def workers(request):
    """The console's workers card, asked now (fetched by the console's script)."""
    _require(request, "operations.view_console")
    context = {"workers": _workers(), "pinged": True}
    return TemplateResponse(request, "admin/operations/_workers.html", context)


def _back(request):
    return HttpResponseRedirect(reverse("operations:console"))


@require_POST
def run_now(request, sweep: str):
    _require(request, "operations.run_sweep")
    title = SWEEP_NAMES.get(sweep, sweep)
    try:
        services.sweep_run_now(sweep=sweep)
    except NotFound:
        messages.error(request, _("There is no sweep called %(name)s.") % {"name": sweep})
    except Exception:  # the broker refused the task
        logger.exception("run now: %s not enqueued", sweep)
        messages.error(
            request,
            _(
                "%(sweep)s could not be queued: the broker does not answer. Run "
                "“manage.py sweep --once --only %(name)s” on a server instead."
            )
            % {"sweep": title, "name": sweep},
        )
    else:
        messages.success(
            request, _("%(sweep)s was queued; a worker runs it now.") % {"sweep": title}
        )
    return _back(request)


@require_POST
def set_enabled(request, task_id: int, enabled: bool):
    _require(request, "django_celery_beat.change_periodictask")
    try:
        task = services.periodic_task_set_enabled(task_id=task_id, enabled=enabled)
    except NotFound:
        messages.error(request, _("That periodic task no longer exists."))
    else:
        text = _("“%(name)s” resumed.") if enabled else _("“%(name)s” paused.")
        messages.success(request, text % {"name": task.name})
    return _back(request)


@require_POST
def redeliver(request, outbox: str):
    _require(request, "operations.redeliver")
    if request.POST.get("all"):
        ids = None
    else:
        try:
            ids = [int(value) for value in request.POST.getlist("ids")]
        except ValueError:
            ids = []
        if not ids:
            messages.warning(request, _("Select the deliveries to redeliver."))
            return _back(request)
    try:
        count = services.outbox_redeliver(outbox=outbox, ids=ids)
    except NotFound:
        messages.error(request, _("There is no outbox called %(name)s.") % {"name": outbox})
        return _back(request)
    title = OUTBOX_NAMES.get(outbox, outbox)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d dead delivery of %(outbox)s will be sent again.",
                "%(count)d dead deliveries of %(outbox)s will be sent again.",
                count,
            )
            % {"count": count, "outbox": title},
        )
    else:
        messages.warning(request, _("None of them was dead any more."))
    return _back(request)


urlpatterns = [
    path("", admin.site.admin_view(console), name="console"),
    path("workers/", admin.site.admin_view(workers), name="workers"),
    path("run/<str:sweep>/", admin.site.admin_view(run_now), name="run_now"),
    path(
        "periodic/<int:task_id>/pause/",
        admin.site.admin_view(set_enabled),
        {"enabled": False},
        name="pause",
    ),
    path(
        "periodic/<int:task_id>/resume/",
        admin.site.admin_view(set_enabled),
        {"enabled": True},
        name="resume",
    ),
    path("redeliver/<str:outbox>/", admin.site.admin_view(redeliver), name="redeliver"),
]
