"""What operations need to know that the domain tables do not say (§16): each sweep's runs and
the beat's heartbeat. The figures themselves (what is due, the outbox backlog) are read from
the domain tables at the moment they are asked for."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    BEAT = "beat", _("beat")
    COMMAND = "command", _("sweep command")
    CONSOLE = "console", _("run now (console)")


class SweepRun(models.Model):
    """One run of a periodic sweep: by beat's task, `manage.py sweep` or the console's "run
    now". `error` is empty for a success. Kept `RETENTION` long (services.record_sweep_run)."""

    sweep = models.CharField(_("sweep"), max_length=40)
    trigger = models.CharField(_("run by"), max_length=16, choices=Trigger.choices)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"))
    moved = models.PositiveIntegerField(_("rows moved"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("sweep run")
        verbose_name_plural = _("sweep runs")
        ordering = ["-finished_at", "-id"]
        indexes = [
            # the last run and the last success of each sweep, and pruning: one probe each
            models.Index(fields=["sweep", "finished_at"], name="sweeprun_sweep_finished_idx"),
            models.Index(
                fields=["sweep", "finished_at"],
                condition=Q(error=""),
                name="sweeprun_success_idx",
            ),
        ]

    def __str__(self):
        return f"{self.sweep} {timezone.localtime(self.finished_at):%Y-%m-%d %H:%M:%S}"

    @property
    def succeeded(self) -> bool:
        return not self.error

    @property
    def seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


class Heartbeat(models.Model):
    """The last beat of a periodic heartbeat: `beat` is written every minute by a task that
    beat schedules and a worker runs (so it shows both are alive), `host` being that worker."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    at = models.DateTimeField(_("at"))
    host = models.CharField(_("host"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return self.name


class Console(models.Model):
    """No table: the operations console's permissions (§16), granted to the operations group
    by migration (reviewers land on their desk instead)."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_console", "Can see the operations console"),
            ("run_sweep", "Can run a sweep now"),
            ("redeliver", "Can redeliver dead deliveries"),
        ]

    def __str__(self):
        return "operations console"
