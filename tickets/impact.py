"""§19 policy what-if: what a draft policy would have done to the platform's tickets of the
last N days, beside the version in force. One selector (`policy_impact`) for the command
`manage.py policy_impact` and the publish form's "preview impact".

Everything is counted and summed in the database, set-based, over the window's tickets (found
through the index on `created_at`, so the cost follows the window, not the table), in a few
slices of the window so that a caller can show progress. The compensation formula is the one
of `tickets/policy.py`, evaluated here on database expressions (`DATABASE`); the penalty-point
rule is `complaints.services.stockouts_before`. It runs in a read-only transaction that is
rolled back, optionally time-bounded, and changes nothing.

What is replayed, per ticket of the window, from the facts every ticket keeps:

- a dated reply (`ship_later`, `exchange_agreed`) is over the cap when its `ship_by` is more
  than the cap's days after the reply's day (Asia/Shanghai), fresh orders by the fresh cap:
  `ship_by_problem`'s rule;
- a first reply is late when no reply came before creation + the reply window and the order
  was not settled before then either, and that instant has passed: the ticket would have
  timed out (a `reply_timeout` complaint);
- the window's upheld complaints (upheld, appealed, upheld after appeal) pay the late-shipment
  compensation of the paid amount and, unless the merchant compensated before the judgment,
  the penalty points; its proactive compensations pay the stock-out compensation.

Under the version in force these reproduce the recorded outcomes of tickets created under it.
"""

import datetime as dt
import functools
import time
from collections import defaultdict
from contextlib import contextmanager

from django.db import OperationalError, connection, transaction
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Greatest, Least, Round, TruncDate
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual, IsNull, LessThanOrEqual
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.models import Compensation, CompensationKind, Complaint
from complaints.services import stockouts_before

from .bulk import Typed
from .exceptions import TimedOut, ValidationError
from .models import PLANS_WITH_DATE, PLATFORM_TZ, Platform, Policy, Shop, Ticket
from .policy import (
    CENTS_PER_YUAN,
    LATE_SHIPMENT,
    STOCKOUT,
    Arithmetic,
    compensation_cents,
    payout_points,
    policy_in_force,
    yuan,
)
from .selectors import UPHELD_STATES

MIN_DAYS, MAX_DAYS, DEFAULT_DAYS = 7, 90, 30
SLICES = 10  # the window is read in this many parts (progress steps)
TOP_SHOPS = 10


# -- the formula's operations on database expressions --------------------------------------


def _bigint(value):
    if hasattr(value, "resolve_expression"):
        return value
    return Typed(Value(int(value)), output_field=BigIntegerField())


DATABASE = Arithmetic(
    least=lambda a, b: Least(_bigint(a), _bigint(b), output_field=BigIntegerField()),
    greatest=lambda a, b: Greatest(_bigint(a), _bigint(b), output_field=BigIntegerField()),
    # Both operands are non-negative integers: the databases' integer division rounds down.
    div=lambda a, b: ExpressionWrapper(_bigint(a) / _bigint(b), output_field=BigIntegerField()),
)


def paid_cents(path: str):
    """A money column in whole cents (exact on SQLite too, whose decimals are floats)."""
    return Cast(Round(F(path) * Value(CENTS_PER_YUAN)), BigIntegerField())


class DaysAfter(Func):
    """later − earlier in whole days, for two dates."""

    arity = 2
    output_field = IntegerField()
    template = "(%(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
            **extra,
        )


# -- the per-ticket conditions -------------------------------------------------------------

DATED = Q(reply_plan__in=PLANS_WITH_DATE)
# How many days after the reply's day (Asia/Shanghai) the promised date is.
LEAD_DAYS = DaysAfter(F("ship_by"), TruncDate("replied_at", tzinfo=PLATFORM_TZ))


def over_cap(policy: Policy) -> Q:
    """§5 `ship_by_problem`: a dated reply whose ship-by is past today + the cap."""
    cap = Case(
        When(order__is_fresh=True, then=Value(policy.ship_later_cap(is_fresh=True))),
        default=Value(policy.ship_later_cap(is_fresh=False)),
        output_field=IntegerField(),
    )
    return DATED & Q(GreaterThan(LEAD_DAYS, cap))


def late_first_reply(policy: Policy, at: dt.datetime) -> Q:
    """No reply, and no settlement, before creation + the reply window, which has passed: the
    ticket would have timed out (§4 `reply_timeout`)."""
    due = ExpressionWrapper(
        F("created_at") + Value(policy.reply_window, output_field=DurationField()),
        output_field=DateTimeField(),
    )
    return (
        (Q(replied_at__isnull=True) | Q(GreaterThanOrEqual(F("replied_at"), due)))
        & (Q(settled_at__isnull=True) | Q(GreaterThanOrEqual(F("settled_at"), due)))
        & Q(LessThanOrEqual(due, Value(at, output_field=DateTimeField())))
    )


def _sum(expression):
    """Sum of a per-row figure that may be a constant (0 points when paid in cash)."""
    if hasattr(expression, "resolve_expression"):
        return Sum(expression)
    return Sum(_bigint(expression))


# -- running it read-only, time-bounded ----------------------------------------------------


class _RolledBack(Exception):
    pass


@contextmanager
def read_only(*, deadline: float | None = None):
    """A transaction (a savepoint inside another) that refuses every write and is rolled back
    at the end. With a `deadline` (time.monotonic()), a statement still running then is
    cancelled: PostgreSQL's statement_timeout, SQLite's progress handler."""
    try:
        with transaction.atomic():
            connection.ensure_connection()
            raw = connection.connection
            sqlite = connection.vendor == "sqlite"
            if sqlite:
                # On the driver's connection: the mode is undone below even after an error,
                # when Django refuses queries until the block ends.
                raw.execute("PRAGMA query_only = ON")
                if deadline is not None:
                    raw.set_progress_handler(lambda: int(time.monotonic() >= deadline), 10_000)
            else:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL transaction_read_only = on")
            try:
                yield
            finally:
                if sqlite:
                    raw.set_progress_handler(None, 0)
                    raw.execute("PRAGMA query_only = OFF")
            raise _RolledBack
    except _RolledBack:
        pass


def _bound_statements(deadline: float | None):
    """Before each slice: stop if the time is up; on PostgreSQL, let no statement outlive it."""
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimedOut(_("The preview took too long and was stopped; nothing changed."))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {max(1, int(remaining * 1000))}")


def _cancelled(error: OperationalError) -> bool:
    cause = error.__cause__
    name = type(cause).__name__ if cause is not None else ""
    return name == "QueryCanceled" or "interrupted" in str(error)


# -- the selector --------------------------------------------------------------------------


def policy_impact(
    *,
    platform: str,
    draft: Policy,
    days: int = DEFAULT_DAYS,
    at: dt.datetime | None = None,
    timeout: float | None = None,
    progress=None,
) -> dict:
    """§19: the figures of the platform's tickets created in the last `days` days (7–90) under
    `draft` (an unsaved version, `services.policy_draft`) and, under `current`, under the
    version in force at `at`. `progress` wraps the iterable of the window's slices (tqdm);
    `timeout` (seconds) bounds the whole run (`TimedOut`). `by_shop`: the shops most affected
    by the draft (most replies past its cap, then most would-be timeouts), at most ten; under
    `current`, the same shops. JSON-ready but for Decimals."""
    if platform not in Platform.values:
        raise ValidationError(_("Unknown platform."), field="platform")
    try:
        days = int(days)
    except (TypeError, ValueError):
        days = 0
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationError(
            _("Choose from %(min)d to %(max)d days.") % {"min": MIN_DAYS, "max": MAX_DAYS},
            field="days",
        )
    at = at or timezone.now()
    current = policy_in_force(platform=platform, at=at)
    deadline = time.monotonic() + timeout if timeout else None
    since = at - dt.timedelta(days=days)
    step = (at - since) / SLICES
    slices = [
        (since + step * i, at if i == SLICES - 1 else since + step * (i + 1)) for i in range(SLICES)
    ]
    policies = {"draft": draft, "current": current}
    try:
        with read_only(deadline=deadline):
            tally = _Tally(platform=platform, at=at, policies=policies)
            for start, end in progress(slices) if progress else slices:
                _bound_statements(deadline)
                tally.add_slice(start, end)
            # The shops most affected by the draft, and the same shops under the version in
            # force.
            top = tally.most_affected("draft")
            shops = Shop.objects.only("code", "name").in_bulk(top)
    except OperationalError as error:
        if deadline is not None and _cancelled(error):
            raise TimedOut(
                _("The preview took too long and was stopped; nothing changed.")
            ) from None
        raise
    figures = {name: tally.figures(name, p, shops, top) for name, p in policies.items()}
    return {
        "platform": platform,
        "days": days,
        "tickets": tally.tickets,
        **figures["draft"],
        "current": {"version": current.version, **figures["current"]},
    }


# Placeholders for a slice's bounds: the statement is compiled once with these and run for
# every slice with the slice's bounds in their place (compiling it costs as much as running
# it over a small window, and the slices' statements differ only in the bounds).
_START = dt.datetime(1901, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
_END = dt.datetime(1901, 1, 1, 0, 0, 2, tzinfo=dt.UTC)


class _Statement:
    """A queryset compiled once; `rows(start, end)` runs it for one slice of the window."""

    def __init__(self, queryset):
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        self.sql, self.params = sql, list(params)
        adapt = connection.ops.adapt_datetimefield_value
        marks = {"start": adapt(_START), "end": adapt(_END)}
        self.slots = {
            i: bound
            for i, value in enumerate(self.params)
            for bound, mark in marks.items()
            if value == mark
        }
        if sorted(self.slots.values()) != ["end", "start"]:
            raise RuntimeError("the window's bounds must each appear once in the statement")

    def rows(self, start, end) -> list[dict]:
        adapt = connection.ops.adapt_datetimefield_value
        bounds = {"start": adapt(start), "end": adapt(end)}
        params = [
            bounds[self.slots[i]] if i in self.slots else p for i, p in enumerate(self.params)
        ]
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _found(rows):
    """Whether the ticket has such a row: a scalar subquery (its first id, IS NOT NULL), run
    per ticket through the row's (ticket, kind) index. An EXISTS here PostgreSQL may turn
    into a hash of every such row of the table, built for each slice: the cost of the table,
    not of the window."""
    return IsNull(Subquery(rows.order_by().values("pk")[:1]), False)


class _Tally:
    """The sums of the slices, per (shop, fresh) group of tickets and in all."""

    def __init__(self, *, platform, at, policies):
        self.tickets = 0
        self.groups = defaultdict(lambda: defaultdict(int))  # (shop_id, is_fresh) → counts
        self.money = defaultdict(int)  # "<policy>_<kind>_cents|points", "<kind>_count", ...
        self.statement = _Statement(self._statement(platform, at, policies))
        self.policies = policies

    @staticmethod
    def _statement(platform, at, policies):
        """One statement, driven by the window's tickets (the `created_at` index), grouped by
        shop, fresh or not, and three facts of each ticket looked up through its own indexes:
        an upheld complaint (at most one: one late-shipment compensation per ticket), one
        upheld with no proactive compensation before its judgment (penalty points), a
        proactive compensation. Each ticket's compensations are summed under each policy;
        the groups without the fact are left out of its sums in Python."""
        upheld = Complaint.objects.filter(ticket=OuterRef("pk"), state__in=UPHELD_STATES)
        facts = {
            "upheld": _found(upheld),
            "pointed": _found(
                upheld.filter(
                    ~Exists(
                        stockouts_before(ticket=OuterRef("ticket_id"), at=OuterRef("decided_at"))
                    )
                )
            ),
            "stockout": _found(
                Compensation.objects.filter(
                    ticket=OuterRef("pk"),
                    kind=CompensationKind.STOCKOUT,
                    reversed_at__isnull=True,
                )
            ),
        }
        figures = {"tickets": Count("pk"), "replies": Count("pk", filter=DATED)}
        amount = paid_cents("order__amount")
        for name, policy in policies.items():
            figures[f"{name}_over"] = Count("pk", filter=over_cap(policy))
            figures[f"{name}_late"] = Count("pk", filter=late_first_reply(policy, at))
            for kind, numbers in (("late", LATE_SHIPMENT), ("stockout", STOCKOUT)):
                cents = compensation_cents(policy, numbers, amount, arithmetic=DATABASE)
                figures[f"{name}_{kind}_cents"] = _sum(cents)
                figures[f"{name}_{kind}_points"] = _sum(
                    payout_points(policy, cents, arithmetic=DATABASE)
                )
        return (
            Ticket.objects.filter(
                shop__platform=platform, created_at__gte=_START, created_at__lt=_END
            )
            .values("shop_id", "order__is_fresh", **facts)
            .annotate(**figures)
            .order_by()
        )

    def add_slice(self, start, end):
        for row in self.statement.rows(start, end):
            tickets = row["tickets"]
            self.tickets += tickets
            group = self.groups[(row["shop_id"], bool(row["order__is_fresh"]))]
            group["replies"] += row["replies"]
            for name in self.policies:
                for key in (f"{name}_over", f"{name}_late"):
                    group[key] += row[key]
            for kind, fact in (("late", "upheld"), ("stockout", "stockout")):
                if not row[fact]:
                    continue
                self.money[f"{kind}_count"] += tickets
                for name in self.policies:
                    for unit in ("cents", "points"):
                        key = f"{name}_{kind}_{unit}"
                        self.money[key] += int(row[key] or 0)
            if row["pointed"]:
                self.money["late_pointed"] += tickets

    @functools.cached_property
    def by_shop(self) -> dict:
        """shop id → its counts, summed over fresh and ordinary (once all slices are in)."""
        shops = defaultdict(lambda: defaultdict(int))
        for (shop_id, _fresh), group in self.groups.items():
            for key, value in group.items():
                shops[shop_id][key] += value
        return shops

    def most_affected(self, name: str) -> list[int]:
        """The shops with the most replies past the cap under policy `name` (then the most
        would-be timeouts, then the oldest), those with neither left out."""
        return [
            shop_id
            for *_, shop_id in sorted(
                (-counts[f"{name}_over"], -counts[f"{name}_late"], shop_id)
                for shop_id, counts in self.by_shop.items()
                if counts[f"{name}_over"] or counts[f"{name}_late"]
            )[:TOP_SHOPS]
        ]

    def figures(self, name: str, policy: Policy, shops: dict, top: list[int]) -> dict:
        split = {True: defaultdict(int), False: defaultdict(int)}
        for (_shop_id, fresh), group in self.groups.items():
            for key in ("replies", f"{name}_over", f"{name}_late"):
                split[fresh][key] += group[key]
        by_shop = self.by_shop
        over = sum(split[f][f"{name}_over"] for f in split)
        replies = sum(split[f]["replies"] for f in split)
        late_cents = self.money[f"{name}_late_cents"]
        stockout_cents = self.money[f"{name}_stockout_cents"]
        return {
            "replies_over_cap": {
                "count": over,
                "replies": replies,
                "share": _share(over, replies),
                "fresh": _part(split[True], name),
                "ordinary": _part(split[False], name),
            },
            "late_first_replies": sum(split[f][f"{name}_late"] for f in split),
            "compensation_total": {
                "yuan": yuan(late_cents + stockout_cents),
                "payout": policy.payout,
                "late_shipment": {
                    "count": self.money["late_count"],
                    "yuan": yuan(late_cents),
                },
                "stockout": {"count": self.money["stockout_count"], "yuan": yuan(stockout_cents)},
            },
            "points_total": {
                "penalty": self.money["late_pointed"] * policy.points_per_upheld,
                "tmall": self.money[f"{name}_late_points"] + self.money[f"{name}_stockout_points"],
            },
            "by_shop": [
                {
                    "shop": shops[shop_id].code,
                    "name": shops[shop_id].name,
                    "replies": by_shop[shop_id]["replies"],
                    "replies_over_cap": by_shop[shop_id][f"{name}_over"],
                    "late_first_replies": by_shop[shop_id][f"{name}_late"],
                }
                for shop_id in top
            ],
        }


def _share(part: int, whole: int):
    return round(part / whole, 4) if whole else None


def _part(counts, name) -> dict:
    return {
        "count": counts[f"{name}_over"],
        "replies": counts["replies"],
        "share": _share(counts[f"{name}_over"], counts["replies"]),
    }
