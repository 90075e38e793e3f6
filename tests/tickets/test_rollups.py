"""§9 from per-shop-per-day rollups (tickets.rollups): after random operations through the
services and the sweeps (and tickets moved between shops in bulk), the figures read from the
rollups equal the live computation from the tickets, for windows with whole and partial days,
at several instants, tickets not handled yet included; each shop's open complaints equal the
live count; whole days read no ticket; `rebuild` gives the rows the transactions kept; a big
shop's percentiles come from the buckets and the hours within 5 %."""

import datetime as dt
import random

import pytest
from django.db.models import Count
from django.utils import timezone

from complaints import services as cs
from complaints.models import OPEN_STATES, Complaint, ComplaintState
from tests import factories as f
from tickets import rollups, services, sweeps
from tickets.models import (
    ShopDay,
    ShopDayBucket,
    ShopHourWaiting,
    ShopOpenComplaints,
    Ticket,
    TicketState,
    platform_today,
)
from tickets.selectors import (
    handling_time_by_day,
    handling_time_by_day_live,
    shop_metrics,
    shop_metrics_live,
)

pytestmark = pytest.mark.django_db  # PostgreSQL (statement triggers) and SQLite (row triggers)
H = dt.timedelta(hours=1)


def reply(ticket, at, plan):
    services.ticket_reply(
        ticket_id=ticket.pk,
        actor=f.staff_of(ticket),
        plan=plan,
        reason="stock_shortage",
        ship_by=None if plan == "cannot_ship" else platform_today(at) + dt.timedelta(days=3),
        at=at,
    )


@pytest.fixture
def history(reviewer):
    """Two shops, 70 tickets over 12 days (Shanghai day edges included): replies of every
    plan, settlements, timeouts by the service and by the sweep's batch, complaints claimed,
    upheld, dismissed, appealed, overturned and confirmed, late settlements of timed-out
    tickets."""
    rng = random.Random(13)
    shops = [f.ShopFactory(), f.ShopFactory()]
    for shop in shops:
        f.merchant(shop=shop)
    # 15:30 UTC is 23:30 in Shanghai: tickets fall on both sides of local midnights.
    base = (timezone.now() - dt.timedelta(days=20)).replace(
        hour=15, minute=30, second=0, microsecond=0
    )
    tickets = []
    for _ in range(70):
        created = base + dt.timedelta(minutes=rng.randrange(0, 12 * 24 * 60))
        ticket = f.urged(shop=rng.choice(shops), at=created)
        tickets.append(ticket)
        roll = rng.random()
        handled_at = created + dt.timedelta(seconds=rng.uniform(30, 23 * 3600))
        if roll < 0.3:
            reply(ticket, handled_at, "ship_later")
        elif roll < 0.4:
            reply(ticket, handled_at, "cannot_ship")
        elif roll < 0.55:
            services.order_settle(
                order_no=ticket.order.order_no, settlement="shipped", at=handled_at
            )
        elif roll < 0.7:
            services.ticket_reply_timeout(ticket_id=ticket.pk, at=ticket.reply_due_at)
    swept_at = base + dt.timedelta(days=14)
    assert sweeps.sweep_reply_timeouts(at=swept_at) > 0  # the batch path
    decide_at = swept_at + H
    for ticket in tickets:
        ticket.refresh_from_db()
        complaint = ticket.complaints.filter(state=ComplaintState.PENDING).first()
        if complaint is None:
            continue
        roll = rng.random()
        if roll < 0.2:
            continue
        cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer, at=decide_at)
        if roll < 0.45:
            cs.complaint_dismiss(
                complaint_id=complaint.pk, reviewer=reviewer, note="n", at=decide_at
            )
            continue
        cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="n", at=decide_at)
        if roll < 0.7:
            continue
        cs.complaint_appeal(
            complaint_id=complaint.pk, actor=f.staff_of(ticket), note="a", at=decide_at + H
        )
        decide = cs.complaint_grant_appeal if roll < 0.85 else cs.complaint_deny_appeal
        decide(complaint_id=complaint.pk, reviewer=reviewer, note="d", at=decide_at + 2 * H)
    # Timed-out tickets settled later: their first action comes after the timeout.
    for ticket in tickets[::5]:
        ticket.refresh_from_db()
        if ticket.first_action_at is None and ticket.state != TicketState.COMPLETED:
            services.order_settle(
                order_no=ticket.order.order_no, settlement="refunded", at=decide_at + 3 * H
            )
    # A bulk move between shops (one statement: handled and waiting tickets change shop).
    moved = [t.pk for t in tickets[1::7]]
    Ticket.objects.filter(pk__in=moved, shop=shops[0]).update(shop=shops[1])
    Ticket.objects.filter(pk__in=moved[::2], shop=shops[1]).update(shop=shops[0])
    return {"shops": shops, "base": base, "end": decide_at + 4 * H}


def windows(base, end):
    midnight = timezone.localtime(base + dt.timedelta(days=2), rollups.PLATFORM_TZ).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    sinces = [base - dt.timedelta(days=1), base + dt.timedelta(days=3, hours=5), midnight]
    untils = [None, base + dt.timedelta(days=9, hours=7), midnight + dt.timedelta(days=6)]
    ats = [end, end + dt.timedelta(days=8)]
    # and windows within one day, or two partial ones
    short = [(base + 3 * H, base + 9 * H), (base + 20 * H, base + 30 * H)]
    for since in sinces:
        for until in untils:
            for at in ats:
                yield since, until, at
    for since, until in short:
        yield since, until, end


def assert_same(rolled: dict, live: dict):
    assert rolled.keys() == live.keys()
    for key, value in live.items():
        if isinstance(value, float):
            assert rolled[key] == pytest.approx(value, rel=1e-9), key
        else:
            assert rolled[key] == value, key


def test_the_rollups_equal_the_live_computation(history):
    compared = 0
    for shop in history["shops"]:
        for since, until, at in windows(history["base"], history["end"]):
            args = {"shop_id": shop.pk, "since": since, "until": until, "at": at}
            live = shop_metrics_live(**args)
            assert_same(shop_metrics(**args), live)
            live_days = handling_time_by_day_live(**args)
            for rolled_days in (
                handling_time_by_day(**args),
                shop_metrics(**args, by_day=True)["by_day"],
            ):
                assert len(rolled_days) == len(live_days)
                for rolled_day, live_day in zip(rolled_days, live_days, strict=True):
                    assert_same(rolled_day, live_day)
            compared += live["count"]
    assert compared > 200  # the windows held tickets, not only empty days


def test_the_rollup_has_the_whole_history_in_its_days(history):
    """With every ticket in whole days, the figures come from rollup rows that exist."""
    assert ShopDay.objects.filter(handled__gt=0).count() > 5
    assert ShopDay.objects.filter(upheld__gt=0).exists()
    assert ShopDay.objects.filter(timeouts__gt=0).exists()
    assert ShopDayBucket.objects.exists()
    assert ShopDay.objects.filter(waiting__gt=0).exists()
    assert ShopHourWaiting.objects.filter(waiting__gt=0).exists()


def test_each_shops_open_complaints_equal_the_live_count(history):
    """After the history (filed by the service and the sweep, claimed, decided, appealed, the
    tickets moved between shops in bulk), the queue's counter is the live count."""
    live = dict(
        Complaint.objects.filter(state__in=OPEN_STATES)
        .values_list("ticket__shop_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    kept = dict(ShopOpenComplaints.objects.filter(open__gt=0).values_list("shop_id", "open"))
    assert kept == live
    assert sum(live.values()) > 3


def test_rebuild_gives_the_rows_the_transactions_kept(history):
    def rows():
        days = {
            (r.shop_id, r.day): (
                (r.handled, r.complaints, r.timeouts, r.upheld, r.waiting),
                (r.handled_seconds, r.waiting_created),
            )
            for r in ShopDay.objects.all()
        }
        buckets = {
            (r.shop_id, r.day, r.bucket): r.handled
            for r in ShopDayBucket.objects.filter(handled__gt=0)
        }
        hours = {
            (r.shop_id, r.day, r.hour): (r.waiting, r.created)
            for r in ShopHourWaiting.objects.filter(waiting__gt=0)
        }
        opened = dict(ShopOpenComplaints.objects.filter(open__gt=0).values_list("shop_id", "open"))
        return days, buckets, hours, opened

    kept_days, kept_buckets, kept_hours, kept_open = rows()
    rollups.rebuild()
    built_days, built_buckets, built_hours, built_open = rows()
    assert built_open == kept_open
    assert built_buckets == kept_buckets
    assert built_hours.keys() == kept_hours.keys()
    for key, (waiting, created) in kept_hours.items():
        assert built_hours[key][0] == waiting
        assert built_hours[key][1] == pytest.approx(created, rel=1e-12)
    # Rows with nothing counted (a complaint overturned back to zero, a ticket handled since)
    # may exist only as kept.
    kept_days = {k: v for k, v in kept_days.items() if any(v[0])}
    assert built_days.keys() == kept_days.keys()
    for key, (counts, sums) in kept_days.items():
        assert built_days[key][0] == counts
        assert built_days[key][1] == pytest.approx(sums, rel=1e-9, abs=1e-3)


def test_whole_days_read_no_ticket(history, monkeypatch, django_assert_max_num_queries):
    """A window of whole days, long before `at`: every figure from the rollup rows, the
    percentiles of the tickets not handled yet from their hours, and still the live ones."""
    monkeypatch.setattr(rollups, "EXACT_UP_TO", 0)
    since = timezone.localtime(history["base"], rollups.PLATFORM_TZ).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    args = {"since": since, "until": since + dt.timedelta(days=13)}
    for shop in history["shops"]:
        for at in (history["end"], history["end"] + dt.timedelta(days=30)):
            with django_assert_max_num_queries(3) as captured:
                rolled = shop_metrics(shop_id=shop.pk, **args, at=at, by_day=True)
            sql = " ".join(q["sql"] for q in captured.captured_queries)
            assert "tickets_ticket" not in sql and "complaints_complaint" not in sql
            live = shop_metrics_live(shop_id=shop.pk, **args, at=at)
            assert rolled["count"] == live["count"] > 10
            assert rolled["mean_seconds"] == pytest.approx(live["mean_seconds"], rel=1e-9)
            for key in ("median_seconds", "p90_seconds"):
                assert rolled[key] == pytest.approx(live[key], rel=0.05), key


def test_recent_tickets_not_handled_yet_are_read_one_by_one(history, monkeypatch):
    """Tickets waiting for less than WAITING_BY_THE_HOUR_AFTER: an hour would be too wide a
    band for them, they come from the tickets; the percentiles stay within 5 %."""
    monkeypatch.setattr(rollups, "EXACT_UP_TO", 0)
    shop = history["shops"][0]
    since = history["base"] - dt.timedelta(days=1)
    latest = Ticket.objects.filter(shop=shop).latest("created_at").created_at
    for at in (latest + H, latest + 10 * H, latest + 39 * H, latest + 41 * H):
        args = {"shop_id": shop.pk, "since": since, "at": at}
        rolled, live = shop_metrics(**args), shop_metrics_live(**args)
        assert rolled["count"] == live["count"]
        assert rolled["mean_seconds"] == pytest.approx(live["mean_seconds"], rel=1e-9)
        for key in ("median_seconds", "p90_seconds"):
            assert rolled[key] == pytest.approx(live[key], rel=0.05), key


def test_a_big_shops_percentiles_come_from_the_buckets_within_5_percent(history, monkeypatch):
    monkeypatch.setattr(rollups, "EXACT_UP_TO", 0)
    for shop in history["shops"]:
        args = {
            "shop_id": shop.pk,
            "since": history["base"] - dt.timedelta(days=1),
            "at": history["end"],
        }
        rolled, live = shop_metrics(**args), shop_metrics_live(**args)
        for key in ("median_seconds", "p90_seconds"):
            assert rolled[key] == pytest.approx(live[key], rel=0.05), key
        for key in ("count", "timeouts", "complaints", "upheld"):
            assert rolled[key] == live[key]
        assert rolled["mean_seconds"] == pytest.approx(live["mean_seconds"], rel=1e-9)


def test_percentile_from_buckets_interpolates_between_ranks_as_percentile_cont():
    values = [10.0, 100.0, 1000.0, 10_000.0]
    for fraction, exact in ((0.0, 10.0), (0.5, 550.0), (0.9, 7300.0), (1.0, 10_000.0)):
        bands = {rollups.bucket(v): 1 for v in values}
        found = rollups.percentile_from_buckets({}, bands, fraction=fraction)
        assert found == pytest.approx(exact, rel=rollups.GROWTH - 1), fraction
    assert rollups.percentile_from_buckets({}, {}, fraction=0.5) is None
