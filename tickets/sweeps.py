"""The deadline sweeps (§4 automatic transitions, §12 scale): `sweep_reply_timeouts`,
`sweep_buyer_silence` and `sweep_missed_ship_dates`.

Each sweep writes, for every ticket whose deadline has passed, exactly what the single-ticket
service (`services.ticket_reply_timeout` and friends) writes: the state and fields of the
transition, its audit row, the complaint with its own audit row, and the buyer message. It
does so set-based, in batches that each commit atomically:

1. claim a batch of due tickets, oldest deadline first, through the partial index of the
   deadline (`ticket_reply_due_idx` …), so the cost follows what is due, not what is open. On
   PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`: concurrent sweeps take disjoint batches
   and a ticket locked by a merchant's or buyer's transaction is left for the next run. SQLite
   has a single writer (transactions begin IMMEDIATE), which serialises sweeps instead;
2. one `INSERT ... SELECT` for the batch's audit rows, one `UPDATE` guarded by the
   transition's source state, then one `INSERT ... SELECT` each for complaints, their audit
   rows and the messages.

The source and target states and the fields a transition sets are read from the transition
itself (`Ticket.reply_timeout`), so the rule lives in one place: the state machine."""

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.db import connection, models, transaction
from django.db.models import Count, Min, Q
from django.dispatch import Signal
from django.utils import timezone

from complaints.models import ComplaintKind
from complaints.sweeps import file_complaints, past_review_target, sweep_review_overdue
from webhooks.events import EventType, emit_for
from webhooks.reminders import reminders_due, sweep_reply_reminders

from .bulk import IsoDate, log_transitions, message_buyers, text_template
from .models import MessageKind, Ticket
from .outbox import TEXTS, request_delivery

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
_UNSET = object()


@dataclass(frozen=True)
class AutoTransition:
    """A transition that a deadline triggers (§4: `reply_timeout`, `buyer_silence`,
    `missed_ship_date`)."""

    name: str  # the transition method of Ticket
    deadline: str  # the field holding the instant it falls due
    complaint_kind: str | None = None  # the complaint it files, if any
    message: Callable | None = None  # () → (kind, text expression) of the message it writes
    ready: Q = field(default_factory=Q)  # a further condition of the service, as a filter
    event: str | None = None  # the §15 event of the ticket it writes, if any (complaints: theirs)

    @cached_property
    def _transitions(self):
        return getattr(Ticket, self.name)._django_fsm.transitions

    @property
    def sources(self) -> list[str]:
        return list(self._transitions)

    @property
    def target(self) -> str:
        (target,) = {t.target for t in self._transitions.values()}
        return target

    @cached_property
    def effects(self) -> dict:
        """The fields the transition body sets (besides the state). Transitions are pure and
        these take no arguments, so running the body on a blank ticket shows what it writes:
        the sweep's UPDATE sets the same fields as `ticket.<transition>()` does."""
        (method,) = {t.method for t in self._transitions.values()}
        blank = Ticket()
        names = [f.attname for f in Ticket._meta.concrete_fields if f.name != "state"]
        for name in names:
            blank.__dict__[name] = _UNSET
        method(blank)
        return {name: blank.__dict__[name] for name in names if blank.__dict__[name] is not _UNSET}

    def due(self, at):
        """The tickets in a source state whose deadline has come (`deadline <= at`, as the
        services' `_require_due`), in the shape of the deadline's partial index."""
        sources = self.sources
        state = Q(state=sources[0]) if len(sources) == 1 else Q(state__in=sources)
        return Ticket.objects.filter(state, self.ready, **{f"{self.deadline}__lte": at})


REPLY_TIMEOUT = AutoTransition(
    name="reply_timeout", deadline="reply_due_at", complaint_kind=ComplaintKind.REPLY_TIMEOUT
)
BUYER_SILENCE = AutoTransition(
    name="buyer_silence",
    deadline="buyer_due_at",
    message=lambda: (
        MessageKind.DEEMED_ACCEPTED,
        text_template(TEXTS[MessageKind.DEEMED_ACCEPTED], ship_by=IsoDate("ship_by")),
    ),
    event=EventType.BUYER_RESPONDED,
)
MISSED_SHIP_DATE = AutoTransition(
    name="missed_ship_date",
    deadline="ship_deadline",
    complaint_kind=ComplaintKind.MISSED_SHIP_DATE,
    # The service never files on a settled order (settling would have completed the ticket).
    ready=Q(order__shipped_at__isnull=True, order__refunded_at__isnull=True),
)


def _claim(spec: AutoTransition, at, limit: int) -> list[int]:
    due = spec.due(at).order_by(spec.deadline).values_list("pk", flat=True)
    if connection.features.has_select_for_update_skip_locked:
        due = due.select_for_update(skip_locked=True, of=("self",))
    return list(due[:limit])


def apply_batch(spec: AutoTransition, *, at, batch_size: int = BATCH_SIZE) -> int:
    """Claim up to `batch_size` due tickets and apply the transition to all of them, in one
    transaction. Returns how many tickets moved (0: nothing is due)."""
    with transaction.atomic():
        ids = _claim(spec, at, batch_size)
        if not ids:
            return 0
        claimed = Ticket.objects.filter(pk__in=ids)
        log_transitions(claimed, transition=spec.name, target=spec.target, at=at)
        moved = claimed.filter(state__in=spec.sources).update(
            state=spec.target, updated_at=at, **spec.effects
        )
        if moved != len(ids):  # the claim guarantees it; anything else must not half-apply
            raise RuntimeError(f"{spec.name}: claimed {len(ids)} tickets, moved {moved}")
        if spec.complaint_kind:
            file_complaints(claimed, kind=spec.complaint_kind, at=at)
        if spec.message:
            kind, text = spec.message()
            message_buyers(claimed, ticket="pk", kind=kind, at=at, text=text, payload={})
        if spec.event:
            emit_for(claimed, spec.event, at=at)
        transaction.on_commit(request_delivery, robust=True)
    return moved


def run_sweep(
    spec: AutoTransition,
    *,
    at=None,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Apply `spec` to every ticket due at `at` (now), batch after batch, until none is left
    (or `max_batches`). Each batch commits on its own; a failure loses only its own batch,
    which the next run takes again. Returns how many tickets moved."""
    at = at or timezone.now()
    total = batches = 0
    while max_batches is None or batches < max_batches:
        moved = apply_batch(spec, at=at, batch_size=batch_size)
        if not moved:
            break
        total += moved
        batches += 1
        if on_batch:
            on_batch(moved)
    if total:
        logger.info("%s: %d tickets", spec.name, total)
    return total


def sweep_reply_timeouts(**options) -> int:
    """`reply_timeout`: `awaiting_reply` past `reply_due_at` → `platform_review` with a
    `reply_timeout` complaint (超时未回复) and a message to the buyer."""
    return run_sweep(REPLY_TIMEOUT, **options)


def sweep_buyer_silence(**options) -> int:
    """`buyer_silence`: `awaiting_buyer` past `buyer_due_at` → `agreed`, deemed accepted
    (消费者不操作视为认可), with a message to the buyer."""
    return run_sweep(BUYER_SILENCE, **options)


def sweep_missed_ship_dates(**options) -> int:
    """`missed_ship_date`: `agreed` past `ship_deadline`, order neither shipped nor refunded →
    `platform_review` with a `missed_ship_date` complaint (约定时间未发货)."""
    return run_sweep(MISSED_SHIP_DATE, **options)


SWEEPS = {
    "reply_timeouts": REPLY_TIMEOUT,
    "buyer_silence": BUYER_SILENCE,
    "missed_ship_dates": MISSED_SHIP_DATE,
}


# -- the periodic sweeps as operations see them (§16) ------------------------------------------

# Sent after every run of a periodic sweep, by the Celery tasks and `manage.py sweep` alike, with
# `sweep` (its name), `trigger` (beat, command or console), `started_at`, `finished_at`,
# `moved` (rows it moved) and `error` ("" for a success). The operations app records it; the
# sweeps know nothing of who listens.
sweep_ran = Signal()


@dataclass(frozen=True)
class PeriodicSweep:
    """A sweep run every minute: its name (the `sweep` label of the metrics), how it runs, and
    what is due for it (items whose deadline has passed and that it has not swept yet), as a
    queryset in the shape of the deadline's partial index."""

    name: str
    label: str
    run: Callable[..., int]  # (at=, batch_size=, on_batch=) → rows moved
    due: Callable[[dt.datetime], models.QuerySet]
    deadline: str  # the field of `due`'s rows holding the instant each fell due

    def due_figures(self, at, *, limit: int | None = None) -> tuple[int, dt.datetime | None]:
        """How many items are due at `at` (at most `limit`) and the oldest deadline among them:
        one range scan of the deadline's partial index in deadline order, so the oldest is
        exact whatever the limit and the cost is that of the items counted."""
        due = self.due(at).order_by(self.deadline).values(self.deadline)
        if limit is not None:
            due = due[:limit]
        figures = due.aggregate(n=Count("*"), oldest=Min(self.deadline))
        return figures["n"], figures["oldest"]

    def run_recorded(self, *, trigger: str, **options) -> int:
        """Run the sweep and announce the run (`sweep_ran`), a failed one too (then re-raised).
        A listener's failure is logged, never the sweep's."""
        started_at = timezone.now()
        try:
            moved = self.run(**options)
        except Exception as exc:
            self._announce(trigger, started_at, moved=0, error=f"{type(exc).__name__}: {exc}")
            raise
        self._announce(trigger, started_at, moved=moved, error="")
        return moved

    def _announce(self, trigger, started_at, *, moved, error):
        answers = sweep_ran.send_robust(
            sender=PeriodicSweep,
            sweep=self.name,
            trigger=trigger,
            started_at=started_at,
            finished_at=timezone.now(),
            moved=moved,
            error=error,
        )
        for receiver, answer in answers:
            if isinstance(answer, Exception):
                logger.warning("%s: run not recorded by %s: %r", self.name, receiver, answer)


PERIODIC_SWEEPS = {
    sweep.name: sweep
    for sweep in (
        PeriodicSweep(
            "reply_timeouts",
            "reply timeouts → complaints",
            sweep_reply_timeouts,
            REPLY_TIMEOUT.due,
            REPLY_TIMEOUT.deadline,
        ),
        PeriodicSweep(
            "buyer_silence",
            "buyer silence → deemed accepted",
            sweep_buyer_silence,
            BUYER_SILENCE.due,
            BUYER_SILENCE.deadline,
        ),
        PeriodicSweep(
            "missed_ship_dates",
            "missed ship dates → complaints",
            sweep_missed_ship_dates,
            MISSED_SHIP_DATE.due,
            MISSED_SHIP_DATE.deadline,
        ),
        PeriodicSweep(
            "review_overdue",
            "complaints past review target → flagged",
            sweep_review_overdue,
            past_review_target,
            "review_due_at",
        ),
        PeriodicSweep(
            "reply_reminders",
            "replies due soon → merchant events",
            sweep_reply_reminders,
            reminders_due,
            "remind_at",
        ),
    )
}
