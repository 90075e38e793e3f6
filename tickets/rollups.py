"""§9 figures per shop and day, the way the platform's 新灯塔 computes them: a big shop's
dashboard reads its days, not its tickets.

Kept in the transactions that change them, by one-line hooks:
- `ticket_handled` after a ticket is saved: its first merchant action (reply, second handling,
  settlement) adds it to `ShopDay.handled` / `handled_seconds` and to its `ShopDayBucket`;
- `complaint_filed` / `complaints_filed` (the sweeps' batches): complaints and timeouts;
- `complaint_upheld_changed`: upheld (+1 on uphold, −1 when an appeal overturns it).
Every figure belongs to the day (Asia/Shanghai) the ticket was created on. `rebuild` computes
the rows again from the tickets (the migration that adds them; after bulk loads).

Read by `figures` (and so `selectors.shop_metrics`, `selectors.handling_time_by_day`): the
whole days of the window from the rollup; what no rollup can hold from the tickets: tickets
not handled yet (their time grows until `at`; partial index `ticket_unhandled_idx`) and the
partial days at the window's edges. Count, mean, timeouts, complaints and upheld equal the live
computation (`selectors.shop_metrics_live`); the median and 90th percentile are exact up to
EXACT_UP_TO tickets in the window and beyond it read from the buckets, within 5 %."""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, F, FloatField, Q, Sum
from django.db.models.functions import Cast, Floor, Ln, TruncDate
from django.utils import timezone

from complaints.models import Complaint, ComplaintKind, ComplaintState

from .models import PLATFORM_TZ, ShopDay, ShopDayBucket, Ticket

GROWTH = 1.05  # each bucket is 5 % wider than the one before
EXACT_UP_TO = 5_000
UPHELD_STATES = (ComplaintState.UPHELD, ComplaintState.APPEALED, ComplaintState.UPHELD_FINAL)


def bucket(seconds: float) -> int:
    """The band of a handling time: floor(ln(1 + s) / ln(GROWTH)), as `bucket_expression`."""
    return math.floor(math.log(max(seconds, 0.0) + 1.0) / math.log(GROWTH))


def bucket_bounds(b: int) -> tuple[float, float]:
    return GROWTH**b - 1.0, GROWTH ** (b + 1) - 1.0


def local_day(instant: dt.datetime) -> dt.date:
    return timezone.localtime(instant, PLATFORM_TZ).date()


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=PLATFORM_TZ)


# -- maintenance -----------------------------------------------------------------------------


def _add(model, key: dict, amounts: dict):
    """INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x (PostgreSQL and SQLite)."""
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    columns = [*key, *amounts]
    sets = ", ".join(f"{q(c)} = {table}.{q(c)} + excluded.{q(c)}" for c in amounts)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(q(c) for c in columns)}) "
            f"VALUES ({', '.join(['%s'] * len(columns))}) "
            f"ON CONFLICT ({', '.join(q(c) for c in key)}) DO UPDATE SET {sets}",
            [*key.values(), *amounts.values()],
        )


def _day_amounts(shop_id, day, **amounts):
    full = {"handled": 0, "handled_seconds": 0.0, "complaints": 0, "timeouts": 0, "upheld": 0}
    _add(ShopDay, {"shop_id": shop_id, "day": day}, {**full, **amounts})


def ticket_handled(ticket: Ticket):
    """After saving `ticket`: if its transition was its first merchant action, count it."""
    if not ticket.__dict__.pop("_first_action_new", False):
        return
    seconds = (ticket.first_action_at - ticket.created_at).total_seconds()
    day = local_day(ticket.created_at)
    _day_amounts(ticket.shop_id, day, handled=1, handled_seconds=seconds)
    _add(
        ShopDayBucket,
        {"shop_id": ticket.shop_id, "day": day, "bucket": bucket(seconds)},
        {"handled": 1},
    )


def complaint_filed(complaint: Complaint):
    ticket = complaint.ticket
    timeout = int(complaint.kind == ComplaintKind.REPLY_TIMEOUT)
    _day_amounts(ticket.shop_id, local_day(ticket.created_at), complaints=1, timeouts=timeout)


def complaints_filed(complaint_ids):
    """A sweep's batch of new complaints, counted per shop and day in one statement
    (INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE), whatever the batch's size."""
    counted = (
        Complaint.objects.filter(pk__in=complaint_ids)
        .values(shop=F("ticket__shop_id"), day=TruncDate("ticket__created_at", tzinfo=PLATFORM_TZ))
        .annotate(n=Count("id"), t=Count("id", filter=Q(kind=ComplaintKind.REPLY_TIMEOUT)))
        .order_by()
    )
    sql, params = counted.query.sql_with_params()
    q = connection.ops.quote_name
    table = q(ShopDay._meta.db_table)
    with connection.cursor() as cursor:
        # "WHERE true": SQLite reads ON CONFLICT after a bare SELECT as a join's condition.
        cursor.execute(
            f"INSERT INTO {table} (shop_id, day, handled, handled_seconds, complaints, timeouts, "
            f"upheld) SELECT s.{q('shop')}, s.{q('day')}, 0, 0, s.{q('n')}, s.{q('t')}, 0 "
            f"FROM ({sql}) s WHERE true ON CONFLICT (shop_id, day) DO UPDATE SET "
            f"complaints = {table}.complaints + excluded.complaints, "
            f"timeouts = {table}.timeouts + excluded.timeouts",
            params,
        )


def complaint_upheld_changed(complaint: Complaint, delta: int):
    """+1 when a complaint is upheld, −1 when an appeal overturns it."""
    ticket = complaint.ticket
    _day_amounts(ticket.shop_id, local_day(ticket.created_at), upheld=delta)


def bucket_expression(seconds):
    return Floor(Ln(seconds + 1.0) / math.log(GROWTH))


def rebuild(shop_ids=None, *, apps=None):
    """The rows again from the tickets and complaints (set-based; all shops or `shop_ids`).
    `apps`: a migration's historical models."""
    from .selectors import Seconds

    get = apps.get_model if apps else None
    Ticket_ = get("tickets", "Ticket") if get else Ticket
    Complaint_ = get("complaints", "Complaint") if get else Complaint
    ShopDay_ = get("tickets", "ShopDay") if get else ShopDay
    ShopDayBucket_ = get("tickets", "ShopDayBucket") if get else ShopDayBucket
    tickets = Ticket_.objects.all()
    if shop_ids is not None:
        tickets = tickets.filter(shop_id__in=shop_ids)
    for model in (ShopDay_, ShopDayBucket_):
        rows = model.objects.all()
        (rows if shop_ids is None else rows.filter(shop_id__in=shop_ids)).delete()
    day = TruncDate("created_at", tzinfo=PLATFORM_TZ)
    handled = tickets.filter(first_action_at__isnull=False).annotate(
        d=day, h=Seconds(F("first_action_at"), F("created_at"))
    )
    days = {}
    for row in handled.values("shop_id", "d").annotate(n=Count("id"), s=Sum("h")).order_by():
        days[row["shop_id"], row["d"]] = ShopDay_(
            shop_id=row["shop_id"], day=row["d"], handled=row["n"], handled_seconds=row["s"]
        )
    complaints = (
        Complaint_.objects.filter(ticket__in=tickets.values("pk"))
        .values(shop=F("ticket__shop_id"), d=TruncDate("ticket__created_at", tzinfo=PLATFORM_TZ))
        .annotate(
            n=Count("id"),
            t=Count("id", filter=Q(kind=ComplaintKind.REPLY_TIMEOUT)),
            u=Count("id", filter=Q(state__in=UPHELD_STATES)),
        )
        .order_by()
    )
    for row in complaints:
        key = (row["shop"], row["d"])
        days.setdefault(key, ShopDay_(shop_id=row["shop"], day=row["d"]))
        days[key].complaints, days[key].timeouts, days[key].upheld = row["n"], row["t"], row["u"]
    ShopDay_.objects.bulk_create(days.values(), batch_size=5000)
    buckets = (
        handled.annotate(b=Cast(bucket_expression(F("h")), FloatField()))
        .values("shop_id", "d", "b")
        .annotate(n=Count("id"))
        .order_by()
    )
    ShopDayBucket_.objects.bulk_create(
        (
            ShopDayBucket_(shop_id=r["shop_id"], day=r["d"], bucket=int(r["b"]), handled=r["n"])
            for r in buckets.iterator(chunk_size=5000)
        ),
        batch_size=5000,
    )


# -- reading -----------------------------------------------------------------------------------


@dataclass
class Day:
    count: int = 0
    seconds: float = 0.0


@dataclass
class Figures:
    days: dict = field(default_factory=dict)  # date → Day
    buckets: dict = field(default_factory=dict)  # bucket → count (full days, handled)
    values: list = field(default_factory=list)  # handling seconds read from the tickets
    complaints: int = 0
    timeouts: int = 0
    upheld: int = 0

    @property
    def count(self) -> int:
        return sum(d.count for d in self.days.values())

    @property
    def mean(self) -> float | None:
        n = self.count
        return sum(d.seconds for d in self.days.values()) / n if n else None


def _parts(since, until):
    """(whole days [first, last] or None, live instant ranges) of the window [since, until)."""
    first = local_day(since)
    if day_start(first) < since:
        first += dt.timedelta(days=1)
    last = None if until is None else local_day(until) - dt.timedelta(days=1)
    if last is not None and last < first:
        return None, [(since, until)]
    ranges = [(since, day_start(first))] if since < day_start(first) else []
    if until is not None and day_start(last + dt.timedelta(days=1)) < until:
        ranges.append((day_start(last + dt.timedelta(days=1)), until))
    return (first, last), ranges


def _range_q(ranges, prefix="") -> Q:
    q = Q(pk__in=[])
    for start, end in ranges:
        part = Q(**{f"{prefix}created_at__gte": start})
        if end is not None:
            part &= Q(**{f"{prefix}created_at__lt": end})
        q |= part
    return q


def figures(shop_id: int, since, until=None, *, at, complaints=True, buckets=True) -> Figures:
    """The §9 figures of the tickets created in [since, until) at `at`, per day: rollup rows
    for whole days, the tickets themselves for the rest (see the module's docstring)."""
    whole, ranges = _parts(since, until)
    out = Figures()
    tickets = Ticket.objects.filter(shop_id=shop_id)
    live = _range_q(ranges)
    if whole is not None:
        first, last = whole
        days = Q(shop_id=shop_id, day__gte=first)
        rolled = Q(created_at__gte=day_start(first))
        if last is not None:
            days &= Q(day__lte=last)
            rolled &= Q(created_at__lt=day_start(last + dt.timedelta(days=1)))
        for row in ShopDay.objects.filter(days).values_list(
            "day", "handled", "handled_seconds", "complaints", "timeouts", "upheld"
        ):
            day, handled, seconds, filed, timeouts, upheld = row
            out.days[day] = Day(handled, seconds)
            out.complaints += filed
            out.timeouts += timeouts
            out.upheld += upheld
        # Not handled yet: counted from the tickets, until `at`.
        live_or_unhandled = live | (rolled & Q(first_action_at__isnull=True))
    else:
        live_or_unhandled = live
    for created, first_action in tickets.filter(live_or_unhandled).values_list(
        "created_at", "first_action_at"
    ):
        seconds = ((first_action or at) - created).total_seconds()
        day = out.days.setdefault(local_day(created), Day())
        day.count += 1
        day.seconds += seconds
        out.values.append(seconds)
    if complaints and ranges:
        counts = Complaint.objects.filter(_range_q(ranges, "ticket__"), ticket__shop_id=shop_id)
        counts = counts.aggregate(
            n=Count("id"),
            t=Count("id", filter=Q(kind=ComplaintKind.REPLY_TIMEOUT)),
            u=Count("id", filter=Q(state__in=UPHELD_STATES)),
        )
        out.complaints += counts["n"]
        out.timeouts += counts["t"]
        out.upheld += counts["u"]
    if buckets and whole is not None and out.count > EXACT_UP_TO:
        rows = ShopDayBucket.objects.filter(
            shop_id=shop_id, day__gte=whole[0], **({"day__lte": whole[1]} if whole[1] else {})
        )
        out.buckets = dict(rows.values_list("bucket").annotate(n=Sum("handled")).order_by())
    return out


def percentile_from_buckets(buckets: dict, values: list, fraction: float) -> float | None:
    """percentile_cont(fraction) over the values counted in `buckets` and the exact `values`
    (placed in their bands likewise): each value at a rank is read as spread evenly inside its
    band (within the band's 5 %), and the two ranks around the position are interpolated as
    percentile_cont does."""
    counts = dict(buckets)
    for value in values:
        counts[bucket(value)] = counts.get(bucket(value), 0) + 1
    bands = sorted((b, c) for b, c in counts.items() if c > 0)
    n = sum(c for _, c in bands)
    if not n:
        return None

    def at_rank(rank: int) -> float:
        seen = 0
        for b, c in bands:
            if rank < seen + c:
                lo, hi = bucket_bounds(b)
                return lo + (hi - lo) * (rank - seen + 0.5) / c
            seen += c
        raise IndexError(rank)

    position = fraction * (n - 1)
    low = math.floor(position)
    value = at_rank(low)
    if position > low:
        value += (at_rank(low + 1) - value) * (position - low)
    return value
