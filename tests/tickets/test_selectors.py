"""§9 handling time (新灯塔「平台售后任务处理时长」): per ticket, first merchant action (reply,
second handling or settlement) minus creation, or until now with none; per shop over a window:
count, mean, median, p90, timeouts, complaints, upheld and upheld rate."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from complaints import services as cs
from tests import factories as f
from tickets import services
from tickets.models import platform_today
from tickets.selectors import handling_seconds, handling_time_by_day, shop_metrics

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def reply(ticket, at, plan="ship_later"):
    services.ticket_reply(
        ticket_id=ticket.pk,
        actor=f.staff_of(ticket),
        plan=plan,
        reason="stock_shortage",
        ship_by=None if plan == "cannot_ship" else platform_today(at) + dt.timedelta(days=3),
        at=at,
    )


@pytest.fixture
def data(reviewer):
    """Five tickets of one shop with known handling times, and some that must not count."""
    t0 = (timezone.now() - dt.timedelta(days=3)).replace(microsecond=0)
    shop = f.ShopFactory()
    f.merchant(shop=shop)
    t1 = f.urged(shop=shop, at=t0)
    reply(t1, t0 + 1 * H)  # 1 h
    t2 = f.urged(shop=shop, at=t0)
    reply(t2, t0 + 3 * H)  # 3 h
    t3 = f.urged(shop=shop, at=t0)
    services.order_settle(order_no=t3.order.order_no, settlement="shipped", at=t0 + 2 * H)  # 2 h
    t4 = f.urged(shop=shop, at=t0)  # never handled: timed out, counts until `at`
    services.ticket_reply_timeout(ticket_id=t4.pk, at=t4.reply_due_at)
    t5 = f.urged(shop=shop, at=t0 + H)
    reply(t5, t0 + 5 * H, plan="cannot_ship")  # 4 h; its complaint is upheld
    complaint = t5.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer, at=t0 + 6 * H)
    cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="n", at=t0 + 7 * H)

    # Not counted: another shop's ticket, and one created before the window.
    other = f.urged(at=t0)
    reply(other, t0 + 20 * H)
    f.urged(shop=shop, at=t0 - dt.timedelta(days=2))
    return {
        "shop": shop,
        "t0": t0,
        "since": t0 - dt.timedelta(days=1),
        "tickets": [t1, t2, t3, t4, t5],
    }


def test_shop_metrics_on_a_known_data_set(data):
    at = data["t0"] + 30 * H
    m = shop_metrics(shop_id=data["shop"].pk, since=data["since"], at=at)
    # handling seconds: 1 h, 3 h, 2 h, 30 h (no action until `at`), 4 h
    assert m["count"] == 5
    assert m["mean_seconds"] == pytest.approx(40 * 3600 / 5, abs=0.01)
    assert m["median_seconds"] == pytest.approx(3 * 3600, abs=0.01)
    # p90, linear interpolation over [1, 2, 3, 4, 30] h: 4 h + 0.6 × 26 h
    assert m["p90_seconds"] == pytest.approx((4 + 0.6 * 26) * 3600, abs=0.01)
    assert m["timeouts"] == 1
    assert m["complaints"] == 2
    assert m["upheld"] == 1
    assert m["upheld_rate"] == pytest.approx(0.5)


def test_a_ticket_with_no_action_counts_until_now(data):
    now = data["t0"] + 40 * H
    with time_machine.travel(now, tick=False):
        m = shop_metrics(shop_id=data["shop"].pk, since=data["since"])
        t4 = data["tickets"][3]
        t4.refresh_from_db()
        assert handling_seconds(t4) == pytest.approx(40 * 3600)
    assert m["mean_seconds"] == pytest.approx((1 + 3 + 2 + 40 + 4) * 3600 / 5, abs=0.01)


def test_a_timed_out_ticket_settled_later_counts_until_the_settlement(data):
    t4 = data["tickets"][3]
    services.order_settle(order_no=t4.order.order_no, settlement="refunded", at=data["t0"] + 26 * H)
    m = shop_metrics(shop_id=data["shop"].pk, since=data["since"], at=data["t0"] + 50 * H)
    assert m["mean_seconds"] == pytest.approx((1 + 3 + 2 + 26 + 4) * 3600 / 5, abs=0.01)
    assert m["timeouts"] == 1


def test_shop_metrics_window_end_is_exclusive(data):
    t0 = data["t0"]
    m = shop_metrics(shop_id=data["shop"].pk, since=data["since"], until=t0 + H, at=t0 + 30 * H)
    assert m["count"] == 4  # t5 was created at t0 + 1 h
    assert m["upheld"] == 0 and m["complaints"] == 1


def test_shop_metrics_with_no_tickets():
    shop = f.ShopFactory()
    m = shop_metrics(shop_id=shop.pk, since=timezone.now() - dt.timedelta(days=30))
    assert m["count"] == 0
    assert m["mean_seconds"] is None and m["median_seconds"] is None
    assert m["p90_seconds"] is None
    assert (m["timeouts"], m["complaints"], m["upheld"], m["upheld_rate"]) == (0, 0, 0, None)


def test_an_overturned_complaint_no_longer_counts_as_upheld(data, reviewer):
    complaint = data["tickets"][4].complaints.get()
    t0 = data["t0"]
    cs.complaint_appeal(
        complaint_id=complaint.pk,
        actor=f.staff_of(complaint.ticket),
        note="we shipped",
        at=t0 + 8 * H,
    )
    m = shop_metrics(shop_id=data["shop"].pk, since=data["since"], at=t0 + 30 * H)
    assert m["upheld"] == 1  # appealed still counts until decided
    cs.complaint_grant_appeal(
        complaint_id=complaint.pk, reviewer=reviewer, note="ok", at=t0 + 9 * H
    )
    m = shop_metrics(shop_id=data["shop"].pk, since=data["since"], at=t0 + 30 * H)
    assert m["upheld"] == 0


def test_handling_time_by_day_fills_empty_days(reviewer):
    # Days are Shanghai days: 17:00 UTC is already the next day there.
    d1 = dt.datetime(2026, 8, 1, 2, 0, tzinfo=dt.UTC)  # 1 Aug in Shanghai
    d3 = dt.datetime(2026, 8, 2, 17, 0, tzinfo=dt.UTC)  # 3 Aug in Shanghai
    shop = f.ShopFactory()
    f.merchant(shop=shop)
    a = f.urged(shop=shop, at=d1)
    reply(a, d1 + 2 * H)
    b = f.urged(shop=shop, at=d3)
    reply(b, d3 + 4 * H)
    rows = handling_time_by_day(shop_id=shop.pk, since=d1 - H, until=d3 + 6 * H, at=d3 + 6 * H)
    assert [(r["day"], r["count"]) for r in rows] == [
        (dt.date(2026, 8, 1), 1),
        (dt.date(2026, 8, 2), 0),
        (dt.date(2026, 8, 3), 1),
    ]
    assert rows[0]["mean_seconds"] == pytest.approx(2 * 3600, abs=0.01)
    assert rows[1]["mean_seconds"] is None
    assert rows[2]["mean_seconds"] == pytest.approx(4 * 3600, abs=0.01)


# -- scoping (§3) and deadlines --------------------------------------------------------------


def test_tickets_visible_to_each_actor(reviewer):
    from tickets.selectors import tickets_visible_to

    mine = f.urged()
    theirs = f.urged()
    merchant = f.staff_of(mine)
    assert set(tickets_visible_to(merchant)) == {mine}
    assert set(tickets_visible_to(mine.buyer)) == {mine}
    assert set(tickets_visible_to(reviewer)) == {mine, theirs}
    assert set(tickets_visible_to(f.UserFactory())) == set()
    assert set(tickets_visible_to(None)) == set()


def test_complaints_visible_to_each_actor(reviewer):
    from tickets.selectors import complaints_visible_to

    mine = f.ticket_in("platform_review")
    theirs = f.ticket_in("platform_review")
    merchant = f.staff_of(mine)
    assert set(complaints_visible_to(merchant)) == set(mine.complaints.all())
    assert set(complaints_visible_to(mine.buyer)) == set()  # buyers see no complaints
    assert set(complaints_visible_to(reviewer)) == {
        *mine.complaints.all(),
        *theirs.complaints.all(),
    }


def test_overdue_and_due_within_follow_the_current_deadline():
    from tickets.models import Ticket
    from tickets.selectors import due_within, overdue

    ticket = f.urged()
    qs = Ticket.objects.filter(pk=ticket.pk)
    due = ticket.reply_due_at
    assert not overdue(qs, at=due - dt.timedelta(microseconds=1)).exists()
    assert overdue(qs, at=due).exists()
    assert ticket.is_overdue(due) and not ticket.is_overdue(due - dt.timedelta(microseconds=1))
    assert due_within(qs, hours=1, at=due - H).exists()
    assert not due_within(qs, hours=1, at=due - 2 * H).exists()
    # In platform review nothing is waited on: never overdue.
    review = f.ticket_in("platform_review")
    assert review.current_deadline is None
    far = timezone.now() + dt.timedelta(days=400)
    assert not overdue(Ticket.objects.filter(pk=review.pk), at=far).exists()


def test_the_overdue_count_is_the_merchants_lateness_alone():
    """`merchant_overdue_count` counts what `merchant_overdue` lists: replies and promised
    dates past due, in the shop asked for; never a buyer's silence or a ticket in review."""
    from tickets.models import Ticket
    from tickets.selectors import merchant_overdue, merchant_overdue_count

    shop = f.ShopFactory()
    late_reply = f.urged(shop=shop)
    waiting_buyer = f.replied(shop=shop, plan="ship_later")
    agreed = f.agreed(shop=shop)
    f.ticket_in("platform_review", shop=shop)
    f.urged()  # another shop's
    qs = Ticket.objects.filter(shop=shop)
    far = max(late_reply.reply_due_at, waiting_buyer.buyer_due_at, agreed.ship_deadline)
    at = far + dt.timedelta(seconds=1)
    assert merchant_overdue_count(qs, at=at) == merchant_overdue(qs, at=at).count() == 2
    assert merchant_overdue_count(qs, at=late_reply.reply_due_at) == 1
    assert merchant_overdue_count(qs, at=late_reply.reply_due_at - dt.timedelta(seconds=1)) == 0
    assert merchant_overdue_count(Ticket.objects.none(), at=at) == 0


@pytest.mark.postgres
def test_a_shops_open_counts_read_its_own_partial_indexes():
    """A big shop's dashboard reads the shop's open tickets through the partial indexes by shop,
    never every open ticket of the platform (an OR of the two deadlines was planned so)."""
    from django.db import connection
    from django.db.models import Count

    from tests.admin.test_query_plans import plan
    from tests.concurrency.bulk import due_tickets
    from tickets.models import Ticket

    at = timezone.now()
    for _ in range(10):  # ten shops' tickets: 3,000 on the platform, 300 of the shop's
        ids = due_tickets(300, due_at=at + dt.timedelta(hours=12))
    qs = Ticket.objects.filter(shop_id=Ticket.objects.get(pk=ids[0]).shop_id)
    with connection.cursor() as cursor:  # as on a platform: most tickets long completed
        cursor.execute("UPDATE tickets_ticket SET state = 'completed' WHERE mod(id, 10) <> 0")
        cursor.execute("ANALYZE tickets_ticket")
    late = qs.filter(state="awaiting_reply", reply_due_at__lte=at).order_by().values("pk")
    shipped = qs.filter(state="agreed", ship_deadline__lte=at).order_by().values("pk")
    shown = plan(late.union(shipped, all=True))
    # each deadline by an index of its own state, never the platform's open tickets
    assert "ticket_shop_reply_due_idx" in shown, shown
    assert "Seq Scan" not in shown and "one_open_ticket_per_order" not in shown, shown
    assert "ticket_open_policy_idx" not in shown, shown
    states = qs.exclude(state="completed").values_list("state").annotate(n=Count("*")).order_by()
    assert "ticket_shop_open_idx" in (shown := plan(states, without_scans=True)), shown
