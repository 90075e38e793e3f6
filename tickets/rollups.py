"""§9 figures per shop and day, the way the platform's 新灯塔 computes them: a big shop's
dashboard reads its days, not its tickets.

Kept by database triggers in the very statements that change tickets and complaints (see
`install_triggers`): a handled ticket (its first merchant action: reply, second handling,
settlement) counts in `ShopDay.handled` / `handled_seconds` and in its `ShopDayBucket`; a
ticket not handled yet in `ShopDay.waiting` / `waiting_created` (the sum of its creation
instants: its time grows until `at`, so the sum gives the figures at any instant) and in
its hour's `ShopHourWaiting`; a complaint in `complaints`, `timeouts` (reply_timeout) and
`upheld` (upheld, appealed, upheld finally; an overturn takes it back). Every figure belongs
to the day (Asia/Shanghai) the ticket was created on. And per shop, whatever the day, its
complaints open now (`complaints.models.OPEN_STATES`) in `ShopOpenComplaints.open`: filing,
deciding, deleting and moving a complaint (or its ticket to another shop) changes it; the
review queue's shop filter reads its top shops from there. `rebuild` computes the rows again
from the tickets and complaints (the migrations that add them; a repair).

Read by `figures` (and so `selectors.shop_metrics`, `selectors.handling_time_by_day`): the
whole days of the window from the rollup rows alone, no ticket read; the partial days at the
window's edges from the tickets. Count, mean, timeouts, complaints and upheld equal the live
computation (`selectors.shop_metrics_live`); the median and 90th percentile are exact up to
EXACT_UP_TO tickets in the window and beyond it read from the buckets and the hours (and the
tickets not handled yet of the last WAITING_BY_THE_HOUR_AFTER), within 5 %."""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, DateTimeField, F, FloatField, Lookup, Q, Sum, Value
from django.db.models.functions import Cast, ExtractHour, Floor, Ln, TruncDate
from django.utils import timezone

from complaints.models import OPEN_STATES, Complaint, ComplaintKind, ComplaintState

from .models import (
    PLATFORM_TZ,
    ShopDay,
    ShopDayBucket,
    ShopHourWaiting,
    ShopOpenComplaints,
    Ticket,
)

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


# -- maintenance: database triggers ------------------------------------------------------------

# What a ticket adds to its day while handled, and a complaint while it exists: every INSERT,
# UPDATE and DELETE of tickets and complaints, whoever writes them (services, set-based sweeps,
# bulk loads), keeps the rows in the same statement, so no write path can forget them and none
# pays a round trip for them. PostgreSQL: statement-level triggers over the transition tables,
# one grouped upsert per table and statement, in (shop, day) order, a shop's open complaints
# in shop order (concurrent sweeps lock rows in the same order: no deadlock). SQLite (the
# embedded demo, one writer): row-level triggers.

UPHELD_SQL = ", ".join(f"'{state}'" for state in UPHELD_STATES)
OPEN_SQL = ", ".join(f"'{state}'" for state in OPEN_STATES)
TIMEOUT_SQL = f"'{ComplaintKind.REPLY_TIMEOUT}'"
PG_DAY = "(({t}.created_at) AT TIME ZONE 'Asia/Shanghai')::date"


def _pg_changed(columns: str, sign: int) -> str:
    """The rows of an UPDATE whose `columns` changed: new ones (+1) or old ones (−1)."""
    this, other = ("n", "o") if sign > 0 else ("o", "n")
    cols = ", ".join(f"{{a}}.{c}" for c in columns.split(", "))
    return (
        f"SELECT {this}.*, {sign} AS sign FROM {'new_rows' if sign > 0 else 'old_rows'} {this} "
        f"JOIN {'old_rows' if sign > 0 else 'new_rows'} {other} ON {other}.id = {this}.id "
        f"WHERE ({cols.format(a=this)}) IS DISTINCT FROM ({cols.format(a=other)})"
    )


def _pg_function(name: str, columns: str, body: str, on_update: str = "") -> str:
    """A trigger function applying `body` to `delta` (the changed rows with their sign), and
    on UPDATE also `on_update`."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        WITH delta AS (SELECT n.*, 1 AS sign FROM new_rows n) {body};
    ELSIF TG_OP = 'DELETE' THEN
        WITH delta AS (SELECT o.*, -1 AS sign FROM old_rows o) {body};
    ELSE
        WITH delta AS ({_pg_changed(columns, 1)} UNION ALL {_pg_changed(columns, -1)}) {body};
        {on_update}
    END IF;
    RETURN NULL;
END $$;"""


PG_TICKETS_BODY = f"""
, x AS (
    SELECT shop_id, {PG_DAY.format(t="delta")} AS day, sign,
           first_action_at IS NOT NULL AS done,
           EXTRACT(EPOCH FROM (first_action_at - created_at))::double precision AS h,
           EXTRACT(EPOCH FROM created_at)::double precision AS c,
           EXTRACT(HOUR FROM created_at AT TIME ZONE 'Asia/Shanghai')::int AS hour
    FROM delta
), days AS (
    INSERT INTO tickets_shopday AS r (shop_id, day, handled, handled_seconds, complaints,
        timeouts, upheld, waiting, waiting_created)
    SELECT shop_id, day, coalesce(sum(sign) FILTER (WHERE done), 0),
           coalesce(sum(sign * h) FILTER (WHERE done), 0), 0, 0, 0,
           coalesce(sum(sign) FILTER (WHERE NOT done), 0),
           coalesce(sum(sign * c) FILTER (WHERE NOT done), 0)
    FROM x GROUP BY shop_id, day ORDER BY shop_id, day
    ON CONFLICT (shop_id, day) DO UPDATE SET handled = r.handled + excluded.handled,
        handled_seconds = r.handled_seconds + excluded.handled_seconds,
        waiting = r.waiting + excluded.waiting,
        waiting_created = r.waiting_created + excluded.waiting_created
), hours AS (
    INSERT INTO tickets_shophourwaiting AS r (shop_id, day, hour, waiting, created)
    SELECT shop_id, day, hour, sum(sign), sum(sign * c) FROM x WHERE NOT done
    GROUP BY shop_id, day, hour ORDER BY shop_id, day, hour
    ON CONFLICT (shop_id, day, hour) DO UPDATE SET waiting = r.waiting + excluded.waiting,
        created = r.created + excluded.created
)
INSERT INTO tickets_shopdaybucket AS r (shop_id, day, bucket, handled)
SELECT shop_id, day, floor(ln(greatest(h, 0) + 1) / ln({GROWTH}))::int AS b, sum(sign) FROM x
WHERE done GROUP BY shop_id, day, b HAVING sum(sign) <> 0 ORDER BY shop_id, day, b
ON CONFLICT (shop_id, day, bucket) DO UPDATE SET handled = r.handled + excluded.handled"""

# Each shop's open complaints, from `x` (grouped by shop and day, `opened` the delta): one
# row per shop, in shop order, after the shop's days (every statement locks the same way).
PG_OPEN_UPSERT = """
    INSERT INTO tickets_shopopencomplaints AS r (shop_id, "open")
    SELECT shop_id, sum(opened) FROM x GROUP BY shop_id HAVING sum(opened) <> 0 ORDER BY shop_id
    ON CONFLICT (shop_id) DO UPDATE SET "open" = r."open" + excluded."open"
"""


def _pg_complaint_sums(sign: str, complaint: str) -> str:
    """A group's complaint deltas: all (n), reply timeouts, upheld, open."""
    return (
        f"sum({sign}) AS n, "
        f"coalesce(sum({sign}) FILTER (WHERE {complaint}.kind = {TIMEOUT_SQL}), 0) AS timeouts, "
        f"coalesce(sum({sign}) FILTER (WHERE {complaint}.state IN ({UPHELD_SQL})), 0) AS upheld, "
        f"coalesce(sum({sign}) FILTER (WHERE {complaint}.state IN ({OPEN_SQL})), 0) AS opened"
    )


# After `x` (complaint deltas by shop and day): each shop's open complaints, then its days.
PG_COMPLAINT_DAYS = f"""open_counts AS ({PG_OPEN_UPSERT})
INSERT INTO tickets_shopday AS r (shop_id, day, handled, handled_seconds, complaints,
    timeouts, upheld, waiting, waiting_created)
SELECT shop_id, day, 0, 0, n, timeouts, upheld, 0, 0 FROM x
WHERE n <> 0 OR timeouts <> 0 OR upheld <> 0 ORDER BY shop_id, day
ON CONFLICT (shop_id, day) DO UPDATE SET complaints = r.complaints + excluded.complaints,
    timeouts = r.timeouts + excluded.timeouts, upheld = r.upheld + excluded.upheld"""

PG_COMPLAINTS_BODY = f"""
, x AS (
    SELECT t.shop_id, {PG_DAY.format(t="t")} AS day, {_pg_complaint_sums("d.sign", "d")}
    FROM delta d JOIN tickets_ticket t ON t.id = d.ticket_id GROUP BY 1, 2
), {PG_COMPLAINT_DAYS}"""

# A ticket moved to another shop or day (a bulk correction) takes its complaints along, and
# to another shop its open ones.
PG_TICKETS_MOVED = f"""
WITH moved AS (
    SELECT n.id, n.shop_id, {PG_DAY.format(t="n")} AS day, 1 AS sign
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.shop_id, {PG_DAY.format(t="n")}) IS DISTINCT FROM (o.shop_id, {PG_DAY.format(t="o")})
    UNION ALL
    SELECT o.id, o.shop_id, {PG_DAY.format(t="o")}, -1
    FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE (n.shop_id, {PG_DAY.format(t="n")}) IS DISTINCT FROM (o.shop_id, {PG_DAY.format(t="o")})
), x AS (
    SELECT m.shop_id, m.day, {_pg_complaint_sums("m.sign", "c")}
    FROM moved m JOIN complaints_complaint c ON c.ticket_id = m.id GROUP BY 1, 2
), {PG_COMPLAINT_DAYS};"""

TRIGGERED = (
    ("tickets_ticket", "tickets_rollup_tickets", "shop_id, created_at, first_action_at"),
    ("complaints_complaint", "tickets_rollup_complaints", "ticket_id, kind, state"),
)


def _pg_install() -> list[str]:
    statements = [
        _pg_function("tickets_rollup_tickets", TRIGGERED[0][2], PG_TICKETS_BODY, PG_TICKETS_MOVED),
        _pg_function("tickets_rollup_complaints", TRIGGERED[1][2], PG_COMPLAINTS_BODY),
    ]
    for table, function, _columns in TRIGGERED:
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            statements.append(
                f"CREATE TRIGGER {function}_{event.lower()} AFTER {event} ON {table} "
                f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    return statements


def _sqlite_kept(sign: int, table: str, **keys: str) -> str:
    """SQLite: a removal (sign -1) only changes a rollup row that exists, never creates one. The
    rows it takes from were made when the ticket or complaint was added; and Django's flush
    (which empties every table in no fixed order, without TRUNCATE) then never leaves a new row
    pointing at a shop it has already deleted."""
    if sign > 0:
        return "1"
    match = " AND ".join(f"k.{column} = {value}" for column, value in keys.items())
    return f"EXISTS (SELECT 1 FROM {table} k WHERE {match})"


def _sqlite_ticket(row: str, sign: int) -> str:
    day = f"date({row}.created_at, '+8 hours')"
    h = f"((julianday({row}.first_action_at) - julianday({row}.created_at)) * 86400.0)"
    c = f"((julianday({row}.created_at) - 2440587.5) * 86400.0)"
    done = f"({row}.first_action_at IS NOT NULL)"
    hour = f"CAST(strftime('%H', {row}.created_at, '+8 hours') AS INTEGER)"
    bucket = f"CAST(floor(ln(max({h}, 0) + 1) / ln({GROWTH})) AS INTEGER)"
    shop = f"{row}.shop_id"
    kept_hour = _sqlite_kept(sign, "tickets_shophourwaiting", shop_id=shop, day=day, hour=hour)
    kept_bucket = _sqlite_kept(sign, "tickets_shopdaybucket", shop_id=shop, day=day, bucket=bucket)
    return f"""
INSERT INTO tickets_shopday (shop_id, day, handled, handled_seconds, complaints, timeouts,
    upheld, waiting, waiting_created)
SELECT {shop}, {day}, {sign} * {done}, CASE WHEN {done} THEN {sign} * {h} ELSE 0 END,
       0, 0, 0, {sign} * (NOT {done}), CASE WHEN {done} THEN 0 ELSE {sign} * {c} END
WHERE {_sqlite_kept(sign, "tickets_shopday", shop_id=shop, day=day)}
ON CONFLICT (shop_id, day) DO UPDATE SET handled = handled + excluded.handled,
    handled_seconds = handled_seconds + excluded.handled_seconds,
    waiting = waiting + excluded.waiting,
    waiting_created = waiting_created + excluded.waiting_created;
INSERT INTO tickets_shophourwaiting (shop_id, day, hour, waiting, created)
SELECT {shop}, {day}, {hour}, {sign}, {sign} * {c}
WHERE NOT {done} AND {kept_hour}
ON CONFLICT (shop_id, day, hour) DO UPDATE SET waiting = waiting + excluded.waiting,
    created = created + excluded.created;
INSERT INTO tickets_shopdaybucket (shop_id, day, bucket, handled)
SELECT {shop}, {day}, {bucket}, {sign}
WHERE {done} AND {kept_bucket}
ON CONFLICT (shop_id, day, bucket) DO UPDATE SET handled = handled + excluded.handled;"""


def _sqlite_complaint(row: str, sign: int) -> str:
    day = "date(t.created_at, '+8 hours')"
    return f"""
INSERT INTO tickets_shopday (shop_id, day, handled, handled_seconds, complaints, timeouts,
    upheld, waiting, waiting_created)
SELECT t.shop_id, {day}, 0, 0, {sign},
       {sign} * ({row}.kind = {TIMEOUT_SQL}), {sign} * ({row}.state IN ({UPHELD_SQL})), 0, 0
FROM tickets_ticket t WHERE t.id = {row}.ticket_id
    AND {_sqlite_kept(sign, "tickets_shopday", shop_id="t.shop_id", day=day)}
ON CONFLICT (shop_id, day) DO UPDATE SET complaints = complaints + excluded.complaints,
    timeouts = timeouts + excluded.timeouts, upheld = upheld + excluded.upheld;
INSERT INTO tickets_shopopencomplaints (shop_id, "open")
SELECT t.shop_id, {sign} FROM tickets_ticket t
WHERE t.id = {row}.ticket_id AND {row}.state IN ({OPEN_SQL})
    AND {_sqlite_kept(sign, "tickets_shopopencomplaints", shop_id="t.shop_id")}
ON CONFLICT (shop_id) DO UPDATE SET "open" = "open" + excluded."open";"""


def _sqlite_ticket_moved(row: str, sign: int) -> str:
    """A ticket moved to another shop or day takes its complaints along, and to another shop
    its open ones (as PG_TICKETS_MOVED)."""
    day = "date({}.created_at, '+8 hours')"
    moved = f"(OLD.shop_id IS NOT NEW.shop_id OR {day.format('OLD')} IS NOT {day.format('NEW')})"
    kept = _sqlite_kept(sign, "tickets_shopday", shop_id=f"{row}.shop_id", day=day.format(row))
    kept_open = _sqlite_kept(sign, "tickets_shopopencomplaints", shop_id=f"{row}.shop_id")
    return f"""
INSERT INTO tickets_shopday (shop_id, day, handled, handled_seconds, complaints, timeouts,
    upheld, waiting, waiting_created)
SELECT * FROM (
    SELECT {row}.shop_id, {day.format(row)}, 0, 0, {sign} * count(*) AS n,
           {sign} * coalesce(sum(c.kind = {TIMEOUT_SQL}), 0),
           {sign} * coalesce(sum(c.state IN ({UPHELD_SQL})), 0), 0, 0
    FROM complaints_complaint c WHERE c.ticket_id = {row}.id AND {moved}
) WHERE n <> 0 AND {kept}
ON CONFLICT (shop_id, day) DO UPDATE SET complaints = complaints + excluded.complaints,
    timeouts = timeouts + excluded.timeouts, upheld = upheld + excluded.upheld;
INSERT INTO tickets_shopopencomplaints (shop_id, "open")
SELECT * FROM (
    SELECT {row}.shop_id, {sign} * count(*) AS n FROM complaints_complaint c
    WHERE c.ticket_id = {row}.id AND c.state IN ({OPEN_SQL}) AND OLD.shop_id IS NOT NEW.shop_id
) WHERE n <> 0 AND {kept_open}
ON CONFLICT (shop_id) DO UPDATE SET "open" = "open" + excluded."open";"""


def _sqlite_install() -> list[str]:
    statements = []
    for (table, function, columns), body in zip(
        TRIGGERED, (_sqlite_ticket, _sqlite_complaint), strict=True
    ):
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns.split(", "))
        moved = (
            ""
            if body is _sqlite_complaint
            else (_sqlite_ticket_moved("OLD", -1) + _sqlite_ticket_moved("NEW", 1))
        )
        statements += [
            f"CREATE TRIGGER {function}_insert AFTER INSERT ON {table} BEGIN {body('NEW', 1)} END",
            f"CREATE TRIGGER {function}_delete AFTER DELETE ON {table} BEGIN {body('OLD', -1)} END",
            f"CREATE TRIGGER {function}_update AFTER UPDATE OF {columns} ON {table} "
            f"WHEN {changed} BEGIN {body('OLD', -1)} {body('NEW', 1)} {moved} END",
        ]
    return statements


def _install_statements(vendor: str) -> list[str]:
    return {"postgresql": _pg_install, "sqlite": _sqlite_install}[vendor]()


def _drop_statements(vendor: str) -> list[str]:
    statements = []
    for table, function, _columns in TRIGGERED:
        for event in ("insert", "update", "delete"):
            on = f" ON {table}" if vendor == "postgresql" else ""
            statements.append(f"DROP TRIGGER IF EXISTS {function}_{event}{on}")
        if vendor == "postgresql":
            statements.append(f"DROP FUNCTION IF EXISTS {function}()")
    return statements


def install_triggers(schema_editor):
    for statement in _install_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


def drop_triggers(schema_editor):
    for statement in _drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


ROLLUP_MIGRATION = ("tickets", "0022_shop_open_complaints")  # the triggers' current shape


def reinstall_triggers_after_migrate(sender, *, using, plan=None, **kwargs):
    """`post_migrate`: SQLite rebuilds a table for most ALTERs (any later migration that changes
    the tickets or complaints table), and its triggers go with the old table. After every
    migrate that applied something forwards, the triggers are put back (dropped and created:
    the same either way), so the rollups never silently stop counting."""
    if not plan or any(backwards for _migration, backwards in plan):
        return
    from django.db import connections
    from django.db.migrations.recorder import MigrationRecorder

    connection = connections[using]
    if connection.vendor not in ("postgresql", "sqlite"):
        return
    if ROLLUP_MIGRATION not in MigrationRecorder(connection).applied_migrations():
        return
    with connection.cursor() as cursor:
        for statement in _drop_statements(connection.vendor) + _install_statements(
            connection.vendor
        ):
            cursor.execute(statement)


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
    ShopHourWaiting_ = get("tickets", "ShopHourWaiting") if get else ShopHourWaiting
    ShopOpenComplaints_ = get("tickets", "ShopOpenComplaints") if get else ShopOpenComplaints
    tickets = Ticket_.objects.all()
    if shop_ids is not None:
        tickets = tickets.filter(shop_id__in=shop_ids)
    for model in (ShopDay_, ShopDayBucket_, ShopHourWaiting_, ShopOpenComplaints_):
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
    waiting = (
        tickets.filter(first_action_at__isnull=True)
        .annotate(d=day, hour=ExtractHour("created_at", tzinfo=PLATFORM_TZ), c=_epoch("created_at"))
        .values("shop_id", "d", "hour")
        .annotate(n=Count("id"), c=Sum("c"))
        .order_by()
    )
    hours = []
    for row in waiting:
        key = (row["shop_id"], row["d"])
        days.setdefault(key, ShopDay_(shop_id=row["shop_id"], day=row["d"]))
        days[key].waiting += row["n"]
        days[key].waiting_created += row["c"]
        hours.append(
            ShopHourWaiting_(
                shop_id=row["shop_id"],
                day=row["d"],
                hour=row["hour"],
                waiting=row["n"],
                created=row["c"],
            )
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
    open_counts = (
        Complaint_.objects.filter(ticket__in=tickets.values("pk"), state__in=OPEN_STATES)
        .values(shop=F("ticket__shop_id"))
        .annotate(n=Count("id"))
        .order_by()
    )
    ShopOpenComplaints_.objects.bulk_create(
        (ShopOpenComplaints_(shop_id=row["shop"], open=row["n"]) for row in open_counts),
        batch_size=5000,
    )
    ShopHourWaiting_.objects.bulk_create(hours, batch_size=5000)
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


def _epoch(field_name: str):
    """A datetime column as seconds since the Unix epoch (float), as the triggers compute it."""
    from .selectors import Seconds

    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return Seconds(F(field_name), Value(epoch, output_field=DateTimeField()))


# -- reading -----------------------------------------------------------------------------------


@dataclass
class Day:
    count: int = 0
    seconds: float = 0.0


@dataclass
class Figures:
    days: dict = field(default_factory=dict)  # date → Day
    buckets: dict = field(default_factory=dict)  # bucket → count (full days, handled)
    read: dict = field(default_factory=dict)  # bucket → count, read from the tickets
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


def _grouped(tickets, seconds):
    return (
        tickets.annotate(h=seconds)
        .values(d=TruncDate("created_at", tzinfo=PLATFORM_TZ), b=bucket_expression(F("h")))
        .annotate(n=Count("id"), s=Sum("h"))
        .order_by()
    )


def _read(out: Figures, parts: list):
    """Add the tickets of `parts` ((queryset, handling seconds) pairs) to `out` per day and
    band: one statement (UNION ALL of grouped reads)."""
    if not parts:
        return
    first, *rest = [_grouped(tickets, seconds) for tickets, seconds in parts]
    for row in first.union(*rest, all=True) if rest else first:
        day = out.days.setdefault(row["d"], Day())
        day.count += row["n"]
        day.seconds += row["s"]
        b = int(row["b"])
        out.read[b] = out.read.get(b, 0) + row["n"]


def figures(shop_id: int, since, until=None, *, at, complaints=True, buckets=True) -> Figures:
    """The §9 figures of the tickets created in [since, until) at `at`, per day: rollup rows
    for whole days, the tickets themselves for the rest (see the module's docstring)."""
    from .selectors import handling_seconds_expression

    whole, ranges = _parts(since, until)
    out = Figures()
    tickets = Ticket.objects.filter(shop_id=shop_id)
    if whole is not None:
        days = Q(shop_id=shop_id, day__gte=whole[0])
        if whole[1] is not None:
            days &= Q(day__lte=whole[1])
        at_epoch = at.timestamp()
        for row in ShopDay.objects.filter(days).values_list(
            "day",
            "handled",
            "handled_seconds",
            "complaints",
            "timeouts",
            "upheld",
            "waiting",
            "waiting_created",
        ):
            day, handled, seconds, filed, timeouts, upheld, waiting, created = row
            # Not handled yet: each one's time runs until `at`.
            out.days[day] = Day(handled + waiting, seconds + waiting * at_epoch - created)
            out.complaints += filed
            out.timeouts += timeouts
            out.upheld += upheld
    if ranges:  # the partial days at the window's edges: every ticket
        _read(out, [(tickets.filter(_range_q(ranges)), handling_seconds_expression(at))])
    if complaints and ranges:
        counts = _edge_complaints(tickets.filter(_range_q(ranges))).aggregate(
            n=Count("id"),
            t=Count("id", filter=Q(kind=ComplaintKind.REPLY_TIMEOUT)),
            u=Count("id", filter=Q(state__in=UPHELD_STATES)),
        )
        out.complaints += counts["n"]
        out.timeouts += counts["t"]
        out.upheld += counts["u"]
    if buckets and whole is not None and out.count > EXACT_UP_TO:
        out.buckets = _whole_day_bands(shop_id, whole, at)
    return out


def _edge_complaints(tickets):
    """The complaints of `tickets` (a big shop's partial day: a thousand tickets). PostgreSQL:
    `ticket_id = ANY(ARRAY(the tickets' ids))`, probes of the complaints' index by ticket,
    where a join would hash the whole complaints table."""
    if connection.vendor != "postgresql":
        return Complaint.objects.filter(ticket__in=tickets.values("pk"))
    from django.contrib.postgres.expressions import ArraySubquery

    return Complaint.objects.filter(
        _AnyOf(F("ticket_id"), ArraySubquery(tickets.values("pk").order_by()))
    )


class _AnyOf(Lookup):
    """`lhs = ANY(rhs)`, rhs an array."""

    lookup_name = "any_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs})", (*lhs_params, *rhs_params)


# Tickets not handled yet are read by the hour (`ShopHourWaiting`) when created this long
# before `at` or more: an hour is then at most 2.5 % of their handling time. Newer ones (a
# shop's last day and a half) come from the tickets (`ticket_unhandled_idx`).
WAITING_BY_THE_HOUR_AFTER = dt.timedelta(hours=40)


def _whole_day_bands(shop_id: int, whole, at) -> dict:
    """bucket → count over the whole days `whole`: handled tickets from `ShopDayBucket`, those
    not handled yet at `at` by the band of their hour's mean time (or their own, when recent):
    one statement."""
    from .selectors import Seconds

    first, last = whole
    in_days = Q(shop_id=shop_id, day__gte=first) & (Q(day__lte=last) if last else Q())
    handled = (
        ShopDayBucket.objects.filter(in_days)
        .values(b=Cast(F("bucket"), FloatField()))
        .annotate(n=Sum("handled"))
    )
    cutoff = timezone.localtime(at - WAITING_BY_THE_HOUR_AFTER, PLATFORM_TZ)
    cutoff = cutoff.replace(minute=0, second=0, microsecond=0)
    older = Q(day__lt=cutoff.date()) | Q(day=cutoff.date(), hour__lt=cutoff.hour)
    mean_seconds = Value(at.timestamp()) - F("created") / F("waiting")
    hours = (
        ShopHourWaiting.objects.filter(in_days, older, waiting__gt=0)
        .values(b=bucket_expression(mean_seconds))
        .annotate(n=Sum("waiting"))
    )
    parts = [handled.order_by(), hours.order_by()]
    start = max(cutoff, day_start(first))
    end = None if last is None else day_start(last + dt.timedelta(days=1))
    if end is None or start < end:  # whole days within the last WAITING_BY_THE_HOUR_AFTER
        recent = Q(created_at__gte=start) & (Q(created_at__lt=end) if end else Q())
        newer = (
            Ticket.objects.filter(recent, shop_id=shop_id, first_action_at__isnull=True)
            .annotate(h=Seconds(Value(at, output_field=DateTimeField()), F("created_at")))
            .values(b=bucket_expression(F("h")))
            .annotate(n=Count("*"))  # not a column: an index-only scan of ticket_unhandled_idx
        )
        parts.append(newer.order_by())
    bands = {}
    for row in parts[0].union(*parts[1:], all=True):
        b = int(row["b"])
        bands[b] = bands.get(b, 0) + row["n"]
    return bands


def percentile_from_buckets(*bucket_counts: dict, fraction: float) -> float | None:
    """percentile_cont(fraction) over the values counted in bands (`bucket_counts` added up):
    each value at a rank is read as spread evenly inside its band (within the band's 5 %),
    and the two ranks around the position are interpolated as percentile_cont does."""
    counts = {}
    for part in bucket_counts:
        for b, c in part.items():
            counts[b] = counts.get(b, 0) + c
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
