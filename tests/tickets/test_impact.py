"""§19 policy what-if (`tickets.impact.policy_impact`): under the version in force it
reproduces what was recorded; under a draft it counts exactly what the draft's rules would
have caught; its database formula agrees with `tickets/policy.py` on every amount; it writes
nothing and is bounded in time."""

import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import DatabaseError, OperationalError, connection
from django.db.models import Count, Sum
from django.utils import timezone

from complaints import services as cs
from complaints.models import Compensation, CompensationKind, Complaint, ComplaintKind, Liability
from tests import factories as f
from tickets import services
from tickets.exceptions import TimedOut, ValidationError
from tickets.impact import (
    DATABASE,
    _bound_statements,
    _cancelled,
    paid_cents,
    policy_impact,
    read_only,
)
from tickets.models import Order, Platform, Policy, Shop, Ticket, platform_today
from tickets.policy import (
    LATE_SHIPMENT,
    STOCKOUT,
    compensation_cents,
    late_shipment_terms,
    payout_points,
    policy_in_force,
    stockout_terms,
)
from tickets.selectors import UPHELD_STATES

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def draft(platform="taobao", **numbers):
    return services.policy_draft(platform=platform, **numbers)


# -- one formula: the database's figures are the services' figures, amount by amount --------


def amounts() -> list[Decimal]:
    """Every cent to ¥20 (each half-up case of a 5 % rate), the cents around each default
    policy's minimum and maximum, and the largest amount an order holds."""
    cents = set(range(0, 2001))
    for threshold in (10_000, 60_000, 1_667, 166_667, 2_000, 50_000):  # paid at min / max
        cents.update(range(threshold - 12, threshold + 13))
    cents.update({123_456_789, 99_999_999_999})
    return [Decimal(c).scaleb(-2) for c in sorted(cents)]


POLICY_VARIANTS = [
    {},  # the version in force
    {"late_rate": "0.0333", "late_min": "0.07", "late_max": "9.99"},
    {"stockout_rate": "0.1235", "stockout_min": "0.00", "stockout_max": "1000000.00"},
    {"late_rate": "1", "late_min": "0", "late_max": "0", "payout": "tmall_points"},
    {"payout": "tmall_points", "points_per_yuan": "7"},
]


@pytest.mark.django_db
@pytest.mark.parametrize("platform", Platform.values)
@pytest.mark.parametrize("numbers", POLICY_VARIANTS)
def test_database_formula_agrees_with_the_services_on_every_amount(platform, numbers):
    if numbers.get("payout") == "tmall_points":
        numbers = {"points_per_yuan": "100", **numbers}
    policy = draft(platform, **numbers)
    shop = f.ShopFactory(platform=platform)
    buyer = f.UserFactory()
    paid = amounts()
    Order.objects.bulk_create(
        Order(order_no=f"F{i}", shop=shop, buyer=buyer, amount=amount)
        for i, amount in enumerate(paid)
    )
    cents = paid_cents("amount")
    annotations = {}
    for kind, numbers_of in (("late", LATE_SHIPMENT), ("stockout", STOCKOUT)):
        amount = compensation_cents(policy, numbers_of, cents, arithmetic=DATABASE)
        annotations[f"{kind}_cents"] = amount
        points = payout_points(policy, amount, arithmetic=DATABASE)
        if isinstance(points, int):  # paid in cash: no points, not even a column
            assert points == 0 and policy.payout == "cash"
        else:
            annotations[f"{kind}_points"] = points
    rows = Order.objects.filter(shop=shop).annotate(**annotations).order_by("amount")
    assert rows.count() == len(paid)
    for row in rows:
        for kind, terms_of in (("late", late_shipment_terms), ("stockout", stockout_terms)):
            terms = terms_of(policy, row.amount)
            assert Decimal(getattr(row, f"{kind}_cents")).scaleb(-2) == terms.amount, row.amount
            assert getattr(row, f"{kind}_points", 0) == terms.points, row.amount


# -- under the version in force: the recorded outcomes, exactly -----------------------------


def recorded(platform, since):
    """What the services wrote for the window's tickets: complaints, compensations, points."""
    window = {"ticket__shop__platform": platform, "ticket__created_at__gte": since}
    money = {
        row["kind"]: row
        for row in Compensation.objects.filter(**window, reversed_at__isnull=True)
        .values("kind")
        .annotate(n=Count("id"), yuan=Sum("amount"), tmall=Sum("points"))
    }
    empty = {"n": 0, "yuan": 0, "tmall": 0}
    late, stockout = money.get("late_shipment", empty), money.get("stockout", empty)
    return {
        "reply_timeouts": Complaint.objects.filter(
            **window, kind=ComplaintKind.REPLY_TIMEOUT
        ).count(),
        "upheld": Complaint.objects.filter(**window, state__in=UPHELD_STATES).count(),
        "late": (late["n"], Decimal(late["yuan"] or 0).quantize(Decimal("0.01"))),
        "stockout": (stockout["n"], Decimal(stockout["yuan"] or 0).quantize(Decimal("0.01"))),
        "tmall": (late["tmall"] or 0) + (stockout["tmall"] or 0),
        "penalty": Liability.objects.filter(**window, reversed_at__isnull=True).aggregate(
            p=Sum("points")
        )["p"]
        or 0,
    }


def assert_reproduces(figures, expected):
    current = figures["current"]
    assert current["late_first_replies"] == expected["reply_timeouts"]
    money = current["compensation_total"]
    assert (money["late_shipment"]["count"], money["late_shipment"]["yuan"]) == expected["late"]
    assert money["late_shipment"]["count"] == expected["upheld"]
    assert (money["stockout"]["count"], money["stockout"]["yuan"]) == expected["stockout"]
    assert money["yuan"] == expected["late"][1] + expected["stockout"][1]
    assert current["points_total"] == {"penalty": expected["penalty"], "tmall": expected["tmall"]}


@pytest.fixture
def demo(db):
    call_command("seed_demo", "--tickets", "400", stdout=io.StringIO(), stderr=io.StringIO())
    return timezone.now()


@pytest.mark.parametrize("platform", Platform.values)
def test_the_version_in_force_reproduces_the_seeded_outcomes(demo, platform):
    at = demo
    figures = policy_impact(platform=platform, draft=draft(platform), days=30, at=at)
    expected = recorded(platform, at - 30 * DAY)
    assert expected["upheld"] and expected["reply_timeouts"]
    assert expected["stockout"][0] or platform == "tmall"  # second handling: Taobao's demo shops
    assert_reproduces(figures, expected)
    # The draft is the version in force, unchanged: the same figures.
    assert {k: figures[k] for k in figures["current"] if k != "version"} == {
        k: v for k, v in figures["current"].items() if k != "version"
    }
    assert (
        figures["tickets"]
        == Ticket.objects.filter(shop__platform=platform, created_at__gte=at - 30 * DAY).count()
    )


@pytest.mark.parametrize("platform", Platform.values)
def test_a_draft_formula_agrees_with_the_services_on_every_seeded_ticket(demo, platform):
    at = demo
    changed = draft(
        platform,
        late_rate="0.0777",
        late_min="3.33",
        late_max="45.55",
        stockout_rate="0.2",
        stockout_min="1.00",
        stockout_max="7.77",
        payout="tmall_points",
        points_per_yuan="13",
        points_per_upheld="5",
    )
    figures = policy_impact(platform=platform, draft=changed, days=30, at=at)
    window = {"ticket__shop__platform": platform, "ticket__created_at__gte": at - 30 * DAY}
    upheld = Complaint.objects.filter(**window, state__in=UPHELD_STATES).select_related(
        "ticket__order"
    )
    late = [late_shipment_terms(changed, c.ticket.order.amount) for c in upheld]
    stockouts = Compensation.objects.filter(
        **window, kind=CompensationKind.STOCKOUT
    ).select_related("ticket__order")
    stock = [stockout_terms(changed, c.ticket.order.amount) for c in stockouts]
    pointed = [
        c for c in upheld if not cs.stockouts_before(ticket=c.ticket_id, at=c.decided_at).exists()
    ]
    money = figures["compensation_total"]
    assert money["late_shipment"] == {"count": len(late), "yuan": sum(t.amount for t in late)}
    assert money["stockout"] == {"count": len(stock), "yuan": sum(t.amount for t in stock)}
    assert money["payout"] == "tmall_points"
    assert figures["points_total"] == {
        "penalty": 5 * len(pointed),
        "tmall": sum(t.points for t in late + stock),
    }


# -- factory-built: boundary amounts through the real services ------------------------------

BOUNDARY = ["0.00", "0.10", "0.30", "99.89", "99.90", "100.00", "100.10", "599.90", "600.00"]
BOUNDARY += ["600.10", "16.65", "16.67", "1666.65", "1666.67", "5000.00", "57.77", "100.10"]


def upheld_ticket(amount, reviewer, *, shop, at, stockout_before=None):
    """A `cannot_ship` complaint upheld at `at`; with `stockout_before`, a proactive
    compensation recorded that long before the judgment (0: at the same instant)."""
    ticket = f.replied(plan="cannot_ship", shop=shop, amount=Decimal(amount), at=at)
    if stockout_before is not None:
        terms = stockout_terms(ticket.policy, ticket.order.amount)
        Compensation.objects.create(
            ticket=ticket,
            kind=CompensationKind.STOCKOUT,
            amount=terms.amount,
            payout=terms.payout,
            points=terms.points,
            created_at=at + HOUR - stockout_before,
        )
    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer, at=at)
    cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late", at=at + HOUR)
    return complaint


@pytest.mark.parametrize("platform", Platform.values)
def test_boundary_amounts_reproduce_the_recorded_compensations_and_points(db, platform):
    now = timezone.now()
    reviewer = f.reviewer_user()
    shop = f.rolled_out_shop(platform=platform, since=now - 10 * DAY)
    at = now - 3 * DAY
    for amount in BOUNDARY:
        upheld_ticket(amount, reviewer, shop=shop, at=at)
        compensated = f.agreed(shop=shop, amount=Decimal(amount), at=at)
        services.ticket_second_handling(
            ticket_id=compensated.pk, actor=f.staff_of(compensated), plan="compensate", at=at
        )
    # Compensated a minute before the judgment: no points; at the judgment's instant: points.
    upheld_ticket("80.00", reviewer, shop=shop, at=at, stockout_before=dt.timedelta(minutes=1))
    upheld_ticket("80.00", reviewer, shop=shop, at=at, stockout_before=dt.timedelta(0))
    # Upheld, then overturned on appeal: the liability is reversed and counts for nothing.
    overturned = upheld_ticket("300.00", reviewer, shop=shop, at=at)
    cs.complaint_appeal(
        complaint_id=overturned.pk, actor=f.staff_of(overturned.ticket), note="shipped", at=now
    )
    cs.complaint_grant_appeal(complaint_id=overturned.pk, reviewer=reviewer, note="ok", at=now)

    figures = policy_impact(platform=platform, draft=draft(platform), days=7, at=now)
    expected = recorded(platform, now - 7 * DAY)
    assert expected["late"][0] == len(BOUNDARY) + 2
    assert expected["stockout"][0] == len(BOUNDARY) + 2
    assert expected["penalty"] == 3 * (len(BOUNDARY) + 1)
    assert_reproduces(figures, expected)


# -- a stricter cap counts exactly the replies beyond it -----------------------------------


def test_a_stricter_cap_counts_exactly_the_replies_beyond_it(db):
    now = timezone.now()
    at = now - 2 * DAY
    shop, other = f.ShopFactory(code="a-shop"), f.ShopFactory(code="b-shop")
    tickets = []
    for days in range(0, 31):  # ordinary: 0 to 30 days ahead (the cap in force is 30)
        tickets.append(f.replied(shop=shop, days=days, at=at))
    for days in range(0, 16):  # fresh: 0 to 15 days (cap 15)
        tickets.append(f.agreed(shop=other, days=days, at=at, is_fresh=True))
    f.replied(plan="cannot_ship", shop=shop, at=at)  # no date: never over any cap
    f.urged(shop=shop, at=now - HOUR)  # not replied yet
    f.replied(shop=f.ShopFactory(platform="tmall"), days=30, at=at)  # another platform

    stricter = draft(ship_later_cap_days="20", fresh_ship_later_cap_days="10")
    figures = policy_impact(platform="taobao", draft=stricter, days=7, at=now)

    over = figures["replies_over_cap"]
    assert over["ordinary"] == {"count": 10, "replies": 31, "share": round(10 / 31, 4)}
    assert over["fresh"] == {"count": 5, "replies": 16, "share": round(5 / 16, 4)}
    assert over["count"] == 15 and over["replies"] == 47
    # Exactly the tickets that the reply form would refuse under the draft (§5).
    for ticket in tickets:
        ticket.policy = stricter
    refused = [
        t
        for t in tickets
        if services.ship_by_problem(ticket=t, ship_by=t.ship_by, at=t.replied_at) is not None
    ]
    assert len(refused) == over["count"]
    assert figures["by_shop"] == [
        {
            "shop": "a-shop",
            "name": shop.name,
            "replies": 31,
            "replies_over_cap": 10,
            "late_first_replies": 0,
        },
        {
            "shop": "b-shop",
            "name": other.name,
            "replies": 16,
            "replies_over_cap": 5,
            "late_first_replies": 0,
        },
    ]
    current = figures["current"]
    assert current["replies_over_cap"]["count"] == 0
    # The same shops, side by side: what the version in force makes of them.
    assert [(s["shop"], s["replies"], s["replies_over_cap"]) for s in current["by_shop"]] == [
        ("a-shop", 31, 0),
        ("b-shop", 16, 0),
    ]
    # One day less than the longest promise: only those at the cap in force are counted.
    one_less = draft(ship_later_cap_days="29", fresh_ship_later_cap_days="14")
    assert (
        policy_impact(platform="taobao", draft=one_less, days=7, at=now)["replies_over_cap"][
            "count"
        ]
        == 2
    )


def test_the_reply_day_is_the_platform_day(db):
    """Replied at 23:30 in Shanghai: the day is that day, not the next (UTC's)."""
    now = timezone.now()
    day = platform_today(now) - dt.timedelta(days=3)
    late_evening = dt.datetime.combine(
        day, dt.time(23, 30), tzinfo=dt.timezone(dt.timedelta(hours=8))
    )
    ticket = f.urged(at=late_evening - HOUR)
    services.ticket_reply(
        ticket_id=ticket.pk,
        actor=f.staff_of(ticket),
        plan="ship_later",
        reason="stock_shortage",
        ship_by=day + dt.timedelta(days=10),
        at=late_evening,
    )
    counts = [
        policy_impact(platform="taobao", draft=draft(ship_later_cap_days=str(cap)), days=7, at=now)[
            "replies_over_cap"
        ]["count"]
        for cap in (9, 10)
    ]
    assert counts == [1, 0]


# -- first replies later than the draft's window -------------------------------------------


def test_first_replies_later_than_the_window_are_would_be_timeouts(db):
    now = timezone.now()
    created = now - 3 * DAY
    shop = f.ShopFactory()

    def replied_after(hours):
        ticket = f.urged(shop=shop, at=created)
        return services.ticket_reply(
            ticket_id=ticket.pk,
            actor=f.staff_of(ticket),
            plan="ship_later",
            reason="stock_shortage",
            ship_by=platform_today(now) + 5 * DAY,
            at=created + hours * HOUR,
        )

    for hours in (1, 11, 13, 23):
        replied_after(hours)
    timed_out = f.urged(shop=shop, at=created)
    services.ticket_reply_timeout(ticket_id=timed_out.pk, at=created + 24 * HOUR)
    for hours in (5, 13):  # settled without a reply
        settled = f.urged(shop=shop, at=created)
        services.order_settle(
            order_no=settled.order.order_no, settlement="shipped", at=created + hours * HOUR
        )
    f.urged(shop=shop, at=now - 11 * HOUR)  # 11 hours old, no reply yet: not due under 12 h

    twelve = draft(reply_window="12:00:00")
    figures = policy_impact(platform="taobao", draft=twelve, days=7, at=now)
    assert (
        figures["late_first_replies"] == 4
    )  # replies at 13 h and 23 h, the timeout, settled at 13 h
    assert (
        figures["current"]["late_first_replies"]
        == 1
        == recorded("taobao", now - 7 * DAY)["reply_timeouts"]
    )
    assert figures["by_shop"][0]["late_first_replies"] == 4
    ten = draft(reply_window="10:00:00")
    assert policy_impact(platform="taobao", draft=ten, days=7, at=now)["late_first_replies"] == 6


# -- the window, the inputs ----------------------------------------------------------------


def test_only_the_platforms_tickets_of_the_window_count(db):
    now = timezone.now()
    f.urged(at=now - 6 * DAY)
    f.urged(at=now - 8 * DAY)  # outside 7 days
    f.urged(shop=f.ShopFactory(platform="tmall"), at=now - DAY)
    assert policy_impact(platform="taobao", draft=draft(), days=7, at=now)["tickets"] == 1
    assert policy_impact(platform="taobao", draft=draft(), days=9, at=now)["tickets"] == 2


@pytest.mark.django_db
@pytest.mark.parametrize("days", [6, 91, "x", None])
def test_days_outside_7_to_90_are_refused(days):
    with pytest.raises(ValidationError) as error:
        policy_impact(platform="taobao", draft=draft(), days=days)
    assert error.value.field == "days"


@pytest.mark.django_db
def test_an_unknown_platform_is_refused():
    with pytest.raises(ValidationError) as error:
        policy_impact(platform="jd", draft=draft(), days=30)
    assert error.value.field == "platform"


# -- nothing written, read-only, bounded --------------------------------------------------


def test_the_preview_writes_nothing(demo):
    before = f.row_counts()
    policy_impact(platform="taobao", draft=draft(late_rate="0.5"), days=30)
    policy_impact(platform="tmall", draft=draft("tmall", payout="cash"), days=90)
    assert f.row_counts() == before
    # ... and the connection is writable again afterwards (the read-only mode was undone).
    f.ShopFactory(code="after-the-preview")


@pytest.mark.django_db
def test_the_transaction_refuses_writes():
    with pytest.raises(DatabaseError), read_only():
        Shop.objects.create(code="written", name="w", platform="taobao")
    assert not Shop.objects.filter(code="written").exists()
    Shop.objects.create(code="written-after", name="w", platform="taobao")


@pytest.mark.django_db
def test_a_statement_past_the_deadline_is_cancelled():
    endless = (
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 1000000000) "
        "SELECT count(*) FROM r"
    )
    started = time.monotonic()
    with pytest.raises(OperationalError) as error, read_only(deadline=started + 0.3):
        _bound_statements(started + 0.3)
        with connection.cursor() as cursor:
            cursor.execute(endless)
    assert _cancelled(error.value)
    assert time.monotonic() - started < 5


def test_a_preview_past_its_time_is_stopped(demo):
    before = f.row_counts()
    with pytest.raises(TimedOut):
        policy_impact(platform="taobao", draft=draft(), days=30, timeout=1e-9)
    assert f.row_counts() == before


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_tickets(django_assert_max_num_queries):
    now = timezone.now()
    shop = f.ShopFactory()
    f.replied(shop=shop, at=now - DAY)
    unchanged = draft()
    with django_assert_max_num_queries(40) as one:
        policy_impact(platform="taobao", draft=unchanged, days=7, at=now)
    for i in range(30):
        f.replied(shop=f.ShopFactory() if i % 3 else shop, at=now - DAY - i * HOUR)
    with django_assert_max_num_queries(len(one.captured_queries)):
        policy_impact(platform="taobao", draft=unchanged, days=7, at=now)


def test_current_is_the_version_in_force(db):
    now = timezone.now()
    v2 = services.policy_publish(platform="taobao", late_rate=Decimal("0.07"))
    figures = policy_impact(platform="taobao", draft=draft(), days=7, at=now + HOUR)
    assert (
        figures["current"]["version"]
        == v2.version
        == policy_in_force(platform="taobao", at=now + HOUR).version
    )
    assert isinstance(draft(), Policy) and draft().pk is None
