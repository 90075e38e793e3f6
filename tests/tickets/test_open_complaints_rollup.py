"""Each shop's open complaints (`ShopOpenComplaints`, kept by the rollup triggers): after filing,
every review and appeal step, a set-based sweep, deletion, a complaint moved to another ticket
and tickets moved to another shop, the counter equals the live grouped count of open
complaints; `rebuild` gives the rows the transactions kept."""

import datetime as dt

import pytest
from django.db.models import Count
from django.utils import timezone

from complaints import services as cs
from complaints.models import OPEN_STATES, Complaint, ComplaintState
from tests import factories as f
from tickets import rollups, sweeps
from tickets.models import ShopOpenComplaints, Ticket

pytestmark = pytest.mark.django_db  # PostgreSQL (statement triggers) and SQLite (row triggers)
H = dt.timedelta(hours=1)


def kept() -> dict:
    return {r.shop_id: r.open for r in ShopOpenComplaints.objects.filter(open__gt=0).order_by()}


def live() -> dict:
    rows = (
        Complaint.objects.filter(state__in=OPEN_STATES)
        .values_list("ticket__shop_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return dict(rows)


def assert_live(expected: dict | None = None):
    """The counter equals the live count (and `expected`, shop → open, when given); no shop
    below zero."""
    assert kept() == live()
    assert not ShopOpenComplaints.objects.filter(open__lt=0).exists()
    if expected is not None:
        assert kept() == {shop.pk: n for shop, n in expected.items() if n}


def filed(shop):
    """A pending complaint of `shop` (the merchant answered 'cannot ship')."""
    return f.replied(plan="cannot_ship", shop=shop).complaints.get()


def test_review_and_appeal_steps_keep_the_count(reviewer):
    shop, other = f.ShopFactory(), f.ShopFactory()
    a, b, c, d = filed(shop), filed(shop), filed(shop), filed(other)
    assert_live({shop: 3, other: 1})
    cs.complaint_claim(complaint_id=a.pk, reviewer=reviewer)  # pending → in_review: still open
    assert_live({shop: 3, other: 1})
    cs.complaint_release(complaint_id=a.pk, reviewer=reviewer)  # back to pending
    cs.complaint_claim(complaint_id=a.pk, reviewer=reviewer)
    cs.complaint_uphold(complaint_id=a.pk, reviewer=reviewer, note="late")
    assert_live({shop: 2, other: 1})
    cs.complaint_claim(complaint_id=b.pk, reviewer=reviewer)
    cs.complaint_dismiss(complaint_id=b.pk, reviewer=reviewer, note="shipped")
    assert_live({shop: 1, other: 1})
    cs.complaint_claim(complaint_id=d.pk, reviewer=reviewer)
    cs.complaint_uphold(complaint_id=d.pk, reviewer=reviewer, note="late")
    assert_live({shop: 1, other: 0})
    # Appeals and their decisions: none of appealed, overturned, upheld_final is open.
    for complaint, decide in ((a, cs.complaint_grant_appeal), (d, cs.complaint_deny_appeal)):
        complaint.refresh_from_db()
        cs.complaint_appeal(
            complaint_id=complaint.pk, actor=f.staff_of(complaint.ticket), note="we shipped"
        )
        assert Complaint.objects.get(pk=complaint.pk).state == ComplaintState.APPEALED
        assert_live({shop: 1, other: 0})
        decide(complaint_id=complaint.pk, reviewer=reviewer, note="d")
        assert_live({shop: 1, other: 0})
    assert set(Complaint.objects.values_list("state", flat=True)) == {
        ComplaintState.PENDING,
        ComplaintState.DISMISSED,
        ComplaintState.OVERTURNED,
        ComplaintState.UPHELD_FINAL,
    }
    cs.complaint_claim(complaint_id=c.pk, reviewer=reviewer)
    cs.complaint_dismiss(complaint_id=c.pk, reviewer=reviewer, note="shipped")
    assert_live({shop: 0, other: 0})


def test_a_set_based_sweep_counts_every_complaint_it_files():
    """The reply-timeout sweep files a batch of complaints in one INSERT … SELECT."""
    shops = [f.ShopFactory(), f.ShopFactory(), f.ShopFactory()]
    now = timezone.now()
    for i in range(13):
        f.urged(shop=shops[i % 3], at=now - dt.timedelta(days=3) + i * H)
    filed(shops[0])  # one open already
    assert sweeps.sweep_reply_timeouts(at=now) == 13
    assert_live({shops[0]: 6, shops[1]: 4, shops[2]: 4})


def test_deleting_complaints_takes_them_off():
    shop, other = f.ShopFactory(), f.ShopFactory()
    complaints = [filed(shop), filed(shop), filed(shop), filed(other)]
    Complaint.objects.filter(pk=complaints[0].pk).delete()
    assert_live({shop: 2, other: 1})
    Complaint.objects.filter(pk__in=[c.pk for c in complaints[1:]]).delete()  # one statement
    assert_live({shop: 0, other: 0})


def test_a_complaint_moved_to_another_shops_ticket_moves_its_count():
    shop, other = f.ShopFactory(), f.ShopFactory()
    complaint = filed(shop)
    target = f.urged(shop=other)
    Complaint.objects.filter(pk=complaint.pk).update(ticket=target)
    assert_live({shop: 0, other: 1})


def test_tickets_moved_to_another_shop_take_their_open_complaints_along(reviewer):
    shop, other = f.ShopFactory(), f.ShopFactory()
    opened = [filed(shop) for _ in range(3)]
    closed = filed(shop)
    cs.complaint_claim(complaint_id=closed.pk, reviewer=reviewer)
    cs.complaint_dismiss(complaint_id=closed.pk, reviewer=reviewer, note="shipped")
    cs.complaint_claim(complaint_id=opened[0].pk, reviewer=reviewer)  # in review: open
    filed(other)
    moved = [opened[0].ticket_id, opened[1].ticket_id, closed.ticket_id]
    Ticket.objects.filter(pk__in=moved).update(shop=other)  # one statement, three tickets
    assert_live({shop: 1, other: 3})
    # Moved back, with a change of day that is no change of shop for the counter.
    Ticket.objects.filter(pk=opened[1].ticket_id).update(
        shop=shop, created_at=opened[1].ticket.created_at - dt.timedelta(days=2)
    )
    Ticket.objects.filter(pk=opened[2].ticket_id).update(
        created_at=opened[2].ticket.created_at - dt.timedelta(days=2)
    )
    assert_live({shop: 2, other: 2})


def test_rebuild_gives_the_rows_the_transactions_kept(reviewer):
    shops = [f.ShopFactory(), f.ShopFactory(), f.ShopFactory()]
    complaints = [filed(shops[i % 3]) for i in range(7)]
    cs.complaint_claim(complaint_id=complaints[0].pk, reviewer=reviewer)
    cs.complaint_uphold(complaint_id=complaints[0].pk, reviewer=reviewer, note="late")
    cs.complaint_claim(complaint_id=complaints[1].pk, reviewer=reviewer)
    before = kept()
    ShopOpenComplaints.objects.all().delete()
    rollups.rebuild([shops[0].pk, shops[1].pk])
    assert kept() == {s: n for s, n in before.items() if s != shops[2].pk}
    rollups.rebuild()
    assert kept() == before == live()
    assert before == {shops[0].pk: 2, shops[1].pk: 2, shops[2].pk: 2}
