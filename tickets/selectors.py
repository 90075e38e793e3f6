"""Reads (style rule 3): scoped querysets with their joins chosen, the timeline, and the
handling-time figures of §9 computed in the database."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateTimeField,
    F,
    FloatField,
    Func,
    Q,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints.models import Complaint, ComplaintKind

from . import roles, rollups
from .audit import load_payload
from .models import PLATFORM_TZ, Ticket, TicketState

S = TicketState


# -- scoping (§3): what exists for a caller ------------------------------------------------


def tickets_visible_to(user):
    """Reviewers and operations: all; merchant staff: their shops'; buyers: their own. An
    account is a merchant's or a buyer's, never both (§17: the order system names only buyer
    accounts as buyers), so each scope is one condition: a shop's list reads its shop's index
    in the list's order (an OR of the two would read and sort every ticket of the shop)."""
    qs = Ticket.objects.select_related("order", "shop", "buyer", "reply_reason", "policy")
    if roles.is_platform_staff(user):
        return qs
    if user is None or not user.is_authenticated:
        return qs.none()
    shops = roles.shop_ids(user)
    if shops:
        return qs.filter(shop_id__in=shops)
    return qs.filter(buyer_id=user.pk)


def complaints_visible_to(user):
    """Reviewers and operations: all; merchant staff: their shops'. Buyers see none."""
    qs = Complaint.objects.select_related(
        "ticket", "ticket__order", "ticket__shop", "ticket__reply_reason", "assignee"
    )
    if roles.is_platform_staff(user):
        return qs
    shops = roles.shop_ids(user)
    return qs.filter(ticket__shop_id__in=shops) if shops else qs.none()


CURRENT_DEADLINE = Case(
    When(state=S.AWAITING_REPLY, then=F("reply_due_at")),
    When(state=S.AWAITING_BUYER, then=F("buyer_due_at")),
    When(state=S.AGREED, then=F("ship_deadline")),
    default=None,
    output_field=DateTimeField(),
)


def with_current_deadline(qs):
    """Annotate `deadline`: the instant the ticket's current state waits for (or NULL), so that
    lists filter ("overdue", "due within N hours") and sort by it in the database."""
    return qs.annotate(deadline=CURRENT_DEADLINE)


# §14 the list as a work queue: each deadline a ticket can wait on, set only while the ticket
# still waits on it (NULL otherwise, so that it sorts last). Second handling is open until the
# promised date ends, so "ship-by" is also its deadline.
QUEUE_DEADLINES = {
    "reply_due": Case(
        When(state=S.AWAITING_REPLY, then=F("reply_due_at")),
        default=None,
        output_field=DateTimeField(),
    ),
    "buyer_due": Case(
        When(state=S.AWAITING_BUYER, then=F("buyer_due_at")),
        default=None,
        output_field=DateTimeField(),
    ),
    "ship_due": Case(
        When(state__in=(S.AWAITING_BUYER, S.AGREED), then=F("ship_deadline")),
        default=None,
        output_field=DateTimeField(),
    ),
}


def ordered_by_deadline(qs, which: str):
    """`qs` soonest first by the deadline `which` (`deadline`, the current one, or a key of
    QUEUE_DEADLINES); tickets not waiting on it last, newest first."""
    if which != "deadline":
        qs = qs.annotate(deadline=CURRENT_DEADLINE, sort_deadline=QUEUE_DEADLINES[which])
        key = "sort_deadline"
    else:
        qs = with_current_deadline(qs)
        key = "deadline"
    return qs.order_by(F(key).asc(nulls_last=True), "-created_at", "-id")


def overdue(qs, *, at=None):
    return with_current_deadline(qs).filter(deadline__lte=at or timezone.now())


def merchant_late(at) -> Q:
    """§4: past a deadline the merchant answers for (the reply, the promised ship date) and not
    yet swept. Past the buyer's deadline it is the buyer who was silent (deemed acceptance),
    never lateness. One condition per deadline, each served by its partial index."""
    return Q(state=S.AWAITING_REPLY, reply_due_at__lte=at) | Q(
        state=S.AGREED, ship_deadline__lte=at
    )


def merchant_overdue(qs, *, at=None):
    """ "Overdue" wherever it is offered (merchant pages, the API's `overdue`, the admin's
    ticket list): tickets past a deadline the merchant answers for."""
    return qs.filter(merchant_late(at or timezone.now()))


def merchant_overdue_count(qs, *, at=None) -> int:
    """`merchant_overdue(qs).count()` as one statement that PostgreSQL plans well: a count of
    each deadline's rows (UNION ALL) rather than an OR it would answer by reading every open
    ticket of the platform; each part an index-only range of a shop's partial index."""
    at = at or timezone.now()
    late_replies = qs.filter(state=S.AWAITING_REPLY, reply_due_at__lte=at)
    late_shipments = qs.filter(state=S.AGREED, ship_deadline__lte=at)
    return (
        late_replies.order_by()
        .values("pk")
        .union(late_shipments.order_by().values("pk"), all=True)
        .count()
    )


def merchant_on_time(qs, *, at=None):
    """The others: nothing waited on, a deadline still ahead, or a buyer's window over."""
    return qs.exclude(merchant_late(at or timezone.now()))


def buyer_window_over(qs, *, at=None):
    """Plans whose buyer did not answer in time: deemed accepted at the sweep's next run."""
    return qs.filter(state=S.AWAITING_BUYER, buyer_due_at__lte=at or timezone.now())


def due_within(qs, *, hours: float, at=None):
    at = at or timezone.now()
    return with_current_deadline(qs).filter(
        deadline__gt=at, deadline__lte=at + dt.timedelta(hours=hours)
    )


# -- the timeline (§4: every transition is visible as the ticket's timeline) --------------


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    subject: str  # "ticket" or "complaint"
    subject_id: int
    transition: str
    source_state: str | None
    state: str
    actor: object  # a user, or None for the system
    payload: dict

    @property
    def actor_name(self) -> str:
        return self.actor.get_username() if self.actor is not None else "system"


def _timeline_entry(row, ticket_ct) -> TimelineEntry:
    return TimelineEntry(
        at=row.timestamp,
        subject="ticket" if row.content_type_id == ticket_ct.pk else "complaint",
        subject_id=row.object_id,
        transition=row.transition,
        source_state=row.source_state,
        state=row.state,
        actor=row.by,
        payload=load_payload(row.description),
    )


def ticket_timeline(ticket) -> list[TimelineEntry]:
    """The audit rows of the ticket and of its complaints, oldest first (one query)."""
    ticket_ct = ContentType.objects.get_for_model(Ticket)
    complaint_ct = ContentType.objects.get_for_model(Complaint)
    rows = (
        StateLog.objects.filter(
            Q(content_type=ticket_ct, object_id=ticket.pk)
            | Q(
                content_type=complaint_ct,
                object_id__in=Complaint.objects.filter(ticket_id=ticket.pk).values("pk"),
            )
        )
        .select_related("by")
        .order_by("timestamp", "id")
    )
    return [_timeline_entry(row, ticket_ct) for row in rows]


def ticket_timelines(tickets) -> dict[int, list[TimelineEntry]]:
    """`ticket_timeline` of many tickets in one query: {ticket id: entries}. The tickets'
    complaints must be prefetched (they map a complaint's rows to its ticket)."""
    ticket_ct = ContentType.objects.get_for_model(Ticket)
    complaint_ct = ContentType.objects.get_for_model(Complaint)
    found = {ticket.pk: [] for ticket in tickets}
    owner = {c.pk: ticket.pk for ticket in tickets for c in ticket.complaints.all()}
    if not found:
        return found
    rows = (
        StateLog.objects.filter(
            Q(content_type=ticket_ct, object_id__in=list(found))
            | Q(content_type=complaint_ct, object_id__in=list(owner))
        )
        .select_related("by")
        .order_by("timestamp", "id")
    )
    for row in rows:
        ticket_id = row.object_id if row.content_type_id == ticket_ct.pk else owner[row.object_id]
        found[ticket_id].append(_timeline_entry(row, ticket_ct))
    return found


# -- what the buyer sees of the timeline (§17) ----------------------------------------------

# The payload keys a buyer may read: their own order and answer, the plan, reason code and date
# (all also in the messages sent to them), the settlement and the kind of a complaint. Never a
# note (reply, second handling, decision, appeal), evidence, amounts of the shop's liability or
# ids of internal rows.
BUYER_PAYLOAD_KEYS = frozenset(
    {"order_no", "plan", "reason", "ship_by", "accept", "settlement", "at", "kind"}
)


class ActorRole:
    """Who acted, as a buyer is told (§17: 商家 / 平台 / 系统, never a username)."""

    BUYER = "buyer"
    MERCHANT = "merchant"
    PLATFORM = "platform"
    SYSTEM = "system"


@dataclass(frozen=True)
class BuyerTimelineEntry:
    at: dt.datetime
    subject: str
    transition: str
    source_state: str | None
    state: str
    actor_role: str
    payload: dict


def actor_roles(ticket, user_ids) -> dict[int, str]:
    """The role in which each of `user_ids` acted on `ticket` (two queries, whatever the
    number): its buyer, staff of its shop, platform staff; anyone else (the order system's
    account, a service) counts as the system."""
    from django.contrib.auth import get_user_model

    from .models import ShopMembership

    ids = set(user_ids) - {ticket.buyer_id}
    shop_staff = set(
        ShopMembership.objects.filter(shop_id=ticket.shop_id, user_id__in=ids).values_list(
            "user_id", flat=True
        )
    )
    platform = set(
        get_user_model()
        .objects.filter(pk__in=ids - shop_staff)
        .filter(
            Q(is_staff=True)
            | Q(is_superuser=True)
            | Q(groups__name__in=(roles.REVIEWERS, roles.OPERATIONS))
        )
        .values_list("pk", flat=True)
    )
    result = {ticket.buyer_id: ActorRole.BUYER}
    for user_id in ids:
        if user_id in shop_staff:
            result[user_id] = ActorRole.MERCHANT
        elif user_id in platform:
            result[user_id] = ActorRole.PLATFORM
        else:
            result[user_id] = ActorRole.SYSTEM
    return result


def buyer_timeline(ticket) -> list[BuyerTimelineEntry]:
    """§17: the ticket's timeline as its buyer sees it: states and times, the actor as a role,
    and only the payload keys of BUYER_PAYLOAD_KEYS."""
    entries = ticket_timeline(ticket)
    by_role = actor_roles(ticket, {e.actor.pk for e in entries if e.actor is not None})
    return [
        BuyerTimelineEntry(
            at=entry.at,
            subject=entry.subject,
            transition=entry.transition,
            source_state=entry.source_state,
            state=entry.state,
            actor_role=by_role[entry.actor.pk] if entry.actor is not None else ActorRole.SYSTEM,
            payload={k: v for k, v in entry.payload.items() if k in BUYER_PAYLOAD_KEYS},
        )
        for entry in entries
    ]


# -- handling time (§9) --------------------------------------------------------------------


class Seconds(Func):
    """end − start in seconds, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM (%(expressions)s))::double precision",
            arg_joiner=" - ",
            **extra,
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont(p) WITHIN GROUP (ORDER BY expr)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def handling_seconds_expression(at):
    """§9 per ticket: first merchant action (reply, second handling or settlement) minus
    creation; with no action yet, until `at` (a timed-out ticket keeps counting)."""
    return Seconds(
        Coalesce("first_action_at", Value(at, output_field=DateTimeField())), F("created_at")
    )


def handling_seconds(ticket, *, at=None) -> float:
    return ((ticket.first_action_at or at or timezone.now()) - ticket.created_at).total_seconds()


def _percentile(qs, fraction: float, count: int | None = None):
    """Linear-interpolated percentile of the `h` annotation, in the database (`count`: the
    rows of `qs`, when known)."""
    if connection.vendor == "postgresql":
        return qs.aggregate(p=PercentileCont("h", fraction))["p"]
    n = qs.count() if count is None else count
    if n == 0:
        return None
    position = fraction * (n - 1)
    lo = int(position)
    ordered = qs.order_by("h").values_list("h", flat=True)
    values = list(ordered[lo : lo + 2])
    if len(values) == 1 or position == lo:
        return values[0]
    return values[0] + (values[1] - values[0]) * (position - lo)


def _window(shop_id, since, until):
    qs = Ticket.objects.filter(shop_id=shop_id, created_at__gte=since)
    return qs.filter(created_at__lt=until) if until is not None else qs


UPHELD_STATES = rollups.UPHELD_STATES


def shop_metrics(
    *,
    shop_id: int,
    since: dt.datetime,
    until: dt.datetime | None = None,
    at=None,
    by_day: bool = False,
):
    """§9 per shop over tickets created in [since, until): mean, median and 90th percentile
    handling time (seconds), count, timeouts, complaints filed, upheld, and upheld rate
    (upheld ÷ complaints filed; None with no complaint). From the per-day rollups
    (`tickets.rollups`): the same figures as `shop_metrics_live`, at a cost that does not
    grow with the shop's tickets (percentiles within 5 % beyond `rollups.EXACT_UP_TO`).
    `by_day`: also "by_day", what `handling_time_by_day` gives, from the same reads."""
    at = at or timezone.now()
    rolled = rollups.figures(shop_id, since, until, at=at)
    figures = {"count": rolled.count, "mean_seconds": rolled.mean}
    if rolled.count > rollups.EXACT_UP_TO:
        for key, fraction in (("median_seconds", 0.5), ("p90_seconds", 0.9)):
            figures[key] = rollups.percentile_from_buckets(
                rolled.buckets, rolled.read, fraction=fraction
            )
    else:
        tickets = _window(shop_id, since, until).annotate(h=handling_seconds_expression(at))
        if connection.vendor == "postgresql":  # both in one statement
            figures.update(
                tickets.aggregate(
                    median_seconds=PercentileCont("h", 0.5), p90_seconds=PercentileCont("h", 0.9)
                )
            )
        else:
            figures["median_seconds"] = _percentile(tickets, 0.5, rolled.count)
            figures["p90_seconds"] = _percentile(tickets, 0.9, rolled.count)
    figures.update(complaints=rolled.complaints, timeouts=rolled.timeouts, upheld=rolled.upheld)
    figures["upheld_rate"] = rolled.upheld / rolled.complaints if rolled.complaints else None
    figures.update(since=since, until=until)
    if by_day:  # `handling_time_by_day` from the same reads
        figures["by_day"] = _rolled_days(rolled, since, until or at)
    return figures


def _rolled_days(rolled, since, end) -> list[dict]:
    return _fill_days(
        {
            day: {"count": d.count, "mean_seconds": d.seconds / d.count}
            for day, d in rolled.days.items()
            if d.count
        },
        since,
        end,
    )


def handling_time_by_day(
    *, shop_id: int, since: dt.datetime, until: dt.datetime | None = None, at=None
):
    """Per day of creation (Asia/Shanghai): count and mean handling seconds; days without
    tickets are included with count 0 so a chart reads at a glance. From the per-day rollups,
    as `handling_time_by_day_live` computes them from the tickets."""
    at = at or timezone.now()
    rolled = rollups.figures(shop_id, since, until, at=at, complaints=False, buckets=False)
    return _rolled_days(rolled, since, until or at)


def shop_metrics_live(
    *, shop_id: int, since: dt.datetime, until: dt.datetime | None = None, at=None
):
    """`shop_metrics` computed from the tickets themselves: the definition the rollups are
    tested against."""
    at = at or timezone.now()
    tickets = _window(shop_id, since, until).annotate(h=handling_seconds_expression(at))
    figures = tickets.aggregate(count=Count("id"), mean_seconds=Avg("h"))
    figures["median_seconds"] = _percentile(tickets, 0.5)
    figures["p90_seconds"] = _percentile(tickets, 0.9)
    counts = Complaint.objects.filter(
        ticket__in=_window(shop_id, since, until).values("pk")
    ).aggregate(
        complaints=Count("id"),
        timeouts=Count("id", filter=Q(kind=ComplaintKind.REPLY_TIMEOUT)),
        upheld=Count("id", filter=Q(state__in=UPHELD_STATES)),
    )
    figures.update(counts)
    figures["upheld_rate"] = (
        counts["upheld"] / counts["complaints"] if counts["complaints"] else None
    )
    figures.update(since=since, until=until)
    return figures


def handling_time_by_day_live(
    *, shop_id: int, since: dt.datetime, until: dt.datetime | None = None, at=None
):
    """`handling_time_by_day` computed from the tickets themselves."""
    at = at or timezone.now()
    rows = (
        _window(shop_id, since, until)
        .annotate(day=TruncDate("created_at", tzinfo=PLATFORM_TZ))
        .values("day")
        .annotate(count=Count("id"), mean_seconds=Avg(handling_seconds_expression(at)))
        .order_by("day")
    )
    return _fill_days({row["day"]: row for row in rows}, since, until or at)


def _fill_days(by_day: dict, since, end) -> list[dict]:
    first = timezone.localtime(since, PLATFORM_TZ).date()
    last = timezone.localtime(end, PLATFORM_TZ).date()
    days = []
    day = first
    while day <= last:
        row = by_day.get(day)
        days.append(
            {
                "day": day,
                "count": row["count"] if row else 0,
                "mean_seconds": row["mean_seconds"] if row else None,
            }
        )
        day += dt.timedelta(days=1)
    return days
