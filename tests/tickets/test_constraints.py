"""§4/§7/§8 invariants kept by the database itself, so that they hold under concurrency
whatever the code does: one open ticket per order, one complaint per kind per ticket, one open
complaint per ticket, money never negative, a dated plan always has its date."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from complaints.models import Compensation, Complaint
from complaints.services import complaint_file
from tests import factories as f
from tickets.models import Order, Payout, Ticket

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def another_ticket(ticket, **kwargs):
    now = timezone.now()
    values = {
        "order": ticket.order,
        "shop": ticket.shop,
        "buyer": ticket.buyer,
        "policy": ticket.policy,
        "created_at": now,
        "reply_due_at": now + ticket.policy.reply_window,
    }
    values.update(kwargs)
    return Ticket.objects.create(**values)


def test_a_second_open_ticket_for_an_order_is_refused():
    ticket = f.urged()
    refused(lambda: another_ticket(ticket))
    assert Ticket.objects.filter(order=ticket.order).count() == 1


def test_a_completed_ticket_does_not_block_a_new_one():
    ticket = f.ticket_in("completed")
    another_ticket(ticket)  # the constraint is partial: only open tickets count
    assert Ticket.objects.filter(order=ticket.order).count() == 2
    refused(lambda: another_ticket(ticket))


@pytest.mark.postgres
def test_one_open_ticket_per_order_is_a_partial_unique_index_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'one_open_ticket_per_order'"
        )
        [(definition,)] = cursor.fetchall()
    assert "UNIQUE" in definition and "WHERE" in definition and "completed" in definition


@pytest.mark.postgres
def test_complaint_constraints_are_indexes_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname IN "
            "('one_complaint_per_kind', 'one_open_complaint_per_ticket')"
        )
        found = dict(cursor.fetchall())
    assert set(found) == {"one_complaint_per_kind", "one_open_complaint_per_ticket"}
    assert "WHERE" in found["one_open_complaint_per_ticket"]


def test_a_second_complaint_of_the_same_kind_is_refused(reviewer):
    ticket = f.ticket_in("awaiting_settlement")  # its cannot_ship complaint is finished
    refused(lambda: complaint_file(ticket=ticket, kind="cannot_ship", at=timezone.now()))
    assert ticket.complaints.count() == 1


def test_a_second_open_complaint_is_refused():
    ticket = f.ticket_in("platform_review")
    refused(lambda: complaint_file(ticket=ticket, kind="reply_timeout", at=timezone.now()))
    assert ticket.complaints.count() == 1


def test_a_finished_complaint_does_not_block_another_kind():
    ticket = f.ticket_in("awaiting_settlement")
    complaint_file(ticket=ticket, kind="missed_ship_date", at=timezone.now())
    assert ticket.complaints.count() == 2


def test_a_second_complaint_refused_by_the_database_leaves_no_trace():
    ticket = f.ticket_in("platform_review")
    before = f.footprint(ticket)
    refused(lambda: complaint_file(ticket=ticket, kind="cannot_ship", at=timezone.now()))
    assert f.footprint(ticket) == before


def test_a_negative_order_amount_is_refused():
    refused(lambda: f.OrderFactory(amount=Decimal("-0.01")))
    assert not Order.objects.exists()


def test_a_negative_compensation_amount_is_refused():
    ticket = f.urged()
    refused(
        lambda: Compensation.objects.create(
            ticket=ticket, kind="stockout", amount=Decimal("-1.00"), payout=Payout.CASH
        )
    )
    assert not Compensation.objects.exists()


def test_one_compensation_per_kind_per_ticket():
    ticket = f.ticket_in("compensated")
    refused(
        lambda: Compensation.objects.create(
            ticket=ticket, kind="stockout", amount=Decimal("1.00"), payout=Payout.CASH
        )
    )


@pytest.mark.parametrize("plan", ["ship_later", "exchange_agreed"])
def test_a_dated_plan_without_ship_by_is_refused(plan):
    ticket = f.ticket_in("agreed")
    refused(lambda: Ticket.objects.filter(pk=ticket.pk).update(reply_plan=plan, ship_by=None))
    refused(lambda: Ticket.objects.filter(pk=ticket.pk).update(reply_plan=plan, ship_deadline=None))
    ticket.refresh_from_db()
    assert ticket.ship_by is not None


def test_cannot_ship_needs_no_ship_by():
    ticket = f.ticket_in("platform_review")
    assert ticket.reply_plan == "cannot_ship" and ticket.ship_by is None


def test_reply_due_at_must_be_after_creation():
    ticket = f.urged()
    refused(lambda: Ticket.objects.filter(pk=ticket.pk).update(reply_due_at=ticket.created_at))


def test_open_complaints_are_pending_or_in_review():
    # The open-complaint constraint counts pending and in_review only.
    from complaints.models import OPEN_STATES

    assert set(OPEN_STATES) == {"pending", "in_review"}
    assert Complaint._meta.get_field("state").default == "pending"


@pytest.mark.parametrize(
    "change",
    [
        {"reply_window": dt.timedelta(0)},
        {"buyer_window": dt.timedelta(0)},
        {"review_target": dt.timedelta(0)},
        {"appeal_window": dt.timedelta(0)},
        {"payout": "tmall_points", "points_per_yuan": 0},
    ],
)
def test_the_database_refuses_a_policy_with_a_zero_window_or_points_without_a_rate(change):
    from tickets.models import Policy

    policy = Policy.objects.get(platform="taobao", version=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.filter(pk=policy.pk).update(**change)
