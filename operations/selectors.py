"""The figures of §16, read from the database at the moment they are asked for, for the metrics
and the console alike (so both always say the same). Every query is a range scan of a partial
index, oldest first, that stops after COUNT_LIMIT rows: a scrape costs the same at 20,000 and
at 2,000,000 tickets, however much is due.

- per sweep: what is due and its oldest deadline (the deadline's partial index alone, e.g.
  `ticket_reply_due_idx`; no join, see `indexed`), the last success and the last run
  (`sweeprun_*_idx`, one probe);
- per outbox: pending rows and the oldest of them (`message_pending_age_idx`), dead rows
  (`message_dead_idx`);
- per complaint kind: open, and past the review target (`complaint_open_kind_due_idx`);
- the beat's heartbeat (one row by primary key).

Counts stop at COUNT_LIMIT (a backlog larger than that reads as COUNT_LIMIT; the console says
"at least"); the oldest deadline, the lag and the oldest pending age are exact at any size, and
they are what the alerts watch."""

import datetime as dt
from dataclasses import dataclass, field, replace

from django.db.models import Count, Q
from django.utils import timezone

from complaints.models import OPEN_STATES, Complaint, ComplaintKind
from tickets import delivery, sweeps

from .models import Heartbeat, SweepRun

COUNT_LIMIT = 10_000

# The console's colours and the alert rules (deploy/prometheus/alerts.yml) use these numbers.
LATE_AFTER = dt.timedelta(minutes=5)  # lag beyond which a sweep is late
STALLED_AFTER = dt.timedelta(minutes=5)  # no success for this long: the sweep is stalled
BEAT_STALE_AFTER = dt.timedelta(minutes=3)  # §16: beat has failed when its heartbeat is older


def _age(at, since) -> float:
    return max((at - since).total_seconds(), 0.0) if since is not None else 0.0


@dataclass
class SweepStatus:
    name: str
    label: str
    due: int
    oldest_due_at: dt.datetime | None
    lag_seconds: float  # now minus the oldest unswept deadline, 0 when none
    last_success: SweepRun | None
    last_run: SweepRun | None = None  # only when asked (the console)
    state: str = "ok"  # ok | late | stalled

    @property
    def last_success_timestamp(self) -> float:
        return self.last_success.finished_at.timestamp() if self.last_success else 0.0


def sweep_state(*, at, lag_seconds: float, last_success: SweepRun | None) -> str:
    """stalled: no success for STALLED_AFTER (or never); late: running, but what is due has
    waited longer than LATE_AFTER; else ok."""
    if last_success is None or at - last_success.finished_at > STALLED_AFTER:
        return "stalled"
    if lag_seconds > LATE_AFTER.total_seconds():
        return "late"
    return "ok"


def _last_run(name: str, *, succeeded: bool) -> SweepRun | None:
    runs = SweepRun.objects.filter(sweep=name)
    if succeeded:
        runs = runs.filter(error="")
    return runs.order_by("-finished_at").first()


def indexed(sweep: sweeps.PeriodicSweep) -> sweeps.PeriodicSweep:
    """The sweep with what is due read from its deadline's partial index alone. A ticket
    sweep's further condition (`ready`: for missed ship dates, the order neither shipped nor
    refunded) holds for every row of that index, since settling an order completes its agreed
    ticket (`services.order_settle`), and checking it would join every due ticket to its
    order: the figures leave it out and equal the sweep's own (tests/operations)."""
    spec = getattr(sweep.due, "__self__", None)
    if not isinstance(spec, sweeps.AutoTransition) or not spec.ready:
        return sweep
    return replace(sweep, due=replace(spec, ready=Q()).due)


def sweep_statuses(at, *, with_last_run: bool = False) -> list[SweepStatus]:
    statuses = []
    for sweep in map(indexed, sweeps.PERIODIC_SWEEPS.values()):
        due, oldest = sweep.due_figures(at, limit=COUNT_LIMIT)
        lag = _age(at, oldest)
        last_success = _last_run(sweep.name, succeeded=True)
        statuses.append(
            SweepStatus(
                name=sweep.name,
                label=sweep.label,
                due=due,
                oldest_due_at=oldest,
                lag_seconds=lag,
                last_success=last_success,
                last_run=_last_run(sweep.name, succeeded=False) if with_last_run else None,
                state=sweep_state(at=at, lag_seconds=lag, last_success=last_success),
            )
        )
    return statuses


@dataclass
class OutboxStatus:
    name: str
    pending: int
    oldest_pending_at: dt.datetime | None
    oldest_pending_age_seconds: float
    dead: int


def outbox_statuses(at) -> list[OutboxStatus]:
    statuses = []
    for name, box in delivery.OUTBOXES.items():
        backlog = delivery.backlog(box, limit=COUNT_LIMIT)
        statuses.append(
            OutboxStatus(
                name=name,
                pending=backlog.pending,
                oldest_pending_at=backlog.oldest_pending_at,
                oldest_pending_age_seconds=backlog.oldest_pending_age(at),
                dead=backlog.dead,
            )
        )
    return statuses


@dataclass
class ComplaintFigures:
    open_by_kind: dict[str, int] = field(default_factory=dict)  # every kind, 0 when none
    past_review_target: int = 0  # open and past their review target, flagged or not


def complaint_figures(at) -> ComplaintFigures:
    """Per kind, one scan of its open complaints oldest target first: the first COUNT_LIMIT of
    them hold every one past its target (up to that many)."""
    figures = ComplaintFigures()
    for kind in ComplaintKind.values:
        oldest_first = (
            Complaint.objects.filter(state__in=OPEN_STATES, kind=kind)
            .order_by("review_due_at")
            .values("review_due_at")[:COUNT_LIMIT]
        )
        counts = oldest_first.aggregate(
            n=Count("*"), past=Count("review_due_at", filter=Q(review_due_at__lte=at))
        )
        figures.open_by_kind[kind] = counts["n"]
        figures.past_review_target += counts["past"]
    return figures


def beat_heartbeat() -> Heartbeat | None:
    return Heartbeat.objects.filter(name="beat").first()


def beat_is_fresh(heartbeat: Heartbeat | None, at) -> bool:
    return heartbeat is not None and at - heartbeat.at <= BEAT_STALE_AFTER


@dataclass
class Overview:
    at: dt.datetime
    sweeps: list[SweepStatus]
    outboxes: list[OutboxStatus]
    complaints: ComplaintFigures
    beat: Heartbeat | None

    @property
    def beat_timestamp(self) -> float:
        return self.beat.at.timestamp() if self.beat else 0.0

    @property
    def beat_fresh(self) -> bool:
        return beat_is_fresh(self.beat, self.at)

    @property
    def beat_age_seconds(self) -> float | None:
        return _age(self.at, self.beat.at) if self.beat else None


def overview(*, at=None, with_last_run: bool = False) -> Overview:
    """Every figure of §16 at one instant."""
    at = at or timezone.now()
    return Overview(
        at=at,
        sweeps=sweep_statuses(at, with_last_run=with_last_run),
        outboxes=outbox_statuses(at),
        complaints=complaint_figures(at),
        beat=beat_heartbeat(),
    )
