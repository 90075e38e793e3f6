"""§7/§8 money: compensation by the policy's formula (rate × paid amount, rounded half-up to
the cent, held between min and max), cash on Taobao and Tmall points on Tmall; penalty points
per upheld complaint, none when the merchant compensated proactively before the judgment."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from complaints import services as cs
from complaints.models import Compensation, CompensationKind, Liability
from tests import factories as f
from tickets.models import Payout, Platform, Policy
from tickets.policy import bounded_amount, late_shipment_terms, stockout_terms

pytestmark = pytest.mark.django_db


def policy(platform):
    return Policy.objects.get(platform=platform, version=1)


@pytest.mark.parametrize(
    ("paid", "amount"),
    [
        ("0.00", "5.00"),  # minimum
        ("99.99", "5.00"),  # 5.00 (4.9995 rounds up to 5.00)
        ("100.00", "5.00"),
        ("100.10", "5.01"),  # 5.005 → 5.01 half-up (banker's rounding would give 5.00)
        ("200.10", "10.01"),  # 10.005 → 10.01
        ("200.09", "10.00"),  # 10.0045 → 10.00
        ("300.00", "15.00"),
        ("599.90", "30.00"),  # 29.995 → 30.00
        ("600.00", "30.00"),
        ("10000.00", "30.00"),  # maximum
    ],
)
def test_taobao_late_shipment_is_5_percent_min_5_max_30_in_cash(paid, amount):
    terms = late_shipment_terms(policy(Platform.TAOBAO), Decimal(paid))
    assert terms.amount == Decimal(amount)
    assert isinstance(terms.amount, Decimal)
    assert terms.amount.as_tuple().exponent == -2
    assert (terms.payout, terms.points) == (Payout.CASH, 0)


@pytest.mark.parametrize(
    ("paid", "amount", "points"),
    [
        ("0.00", "5.00", 500),  # minimum
        ("10.00", "5.00", 500),  # 3.00 → minimum
        ("16.70", "5.01", 501),  # 5.01
        ("33.35", "10.01", 1001),  # 10.005 → 10.01 half-up
        ("100.00", "30.00", 3000),
        ("1666.65", "500.00", 50000),  # 499.995 → 500.00
        ("5000.00", "500.00", 50000),  # maximum
    ],
)
def test_tmall_late_shipment_is_30_percent_min_5_max_500_in_tmall_points(paid, amount, points):
    terms = late_shipment_terms(policy(Platform.TMALL), Decimal(paid))
    assert terms.amount == Decimal(amount)
    assert terms.payout == Payout.TMALL_POINTS
    assert terms.points == points == int(terms.amount * policy(Platform.TMALL).points_per_yuan)


def test_bounded_amount_rounds_half_up_at_the_cent():
    args = {"rate": Decimal("0.05"), "minimum": Decimal("0"), "maximum": Decimal("1000")}
    assert bounded_amount(paid=Decimal("0.10"), **args) == Decimal("0.01")  # 0.005 → 0.01
    assert bounded_amount(paid=Decimal("0.30"), **args) == Decimal("0.02")  # 0.015 → 0.02
    assert bounded_amount(paid=Decimal("0.50"), **args) == Decimal("0.03")  # 0.025 → 0.03
    assert bounded_amount(paid=Decimal("0.09"), **args) == Decimal("0.00")  # 0.0045 → 0.00


def test_stockout_compensation_uses_the_stockout_numbers():
    v1 = policy(Platform.TAOBAO)
    custom = Policy(
        **{
            field.name: getattr(v1, field.name)
            for field in Policy._meta.concrete_fields
            if field.name not in ("id", "version", "effective_from")
        },
        version=99,
        effective_from=timezone.now() + dt.timedelta(days=3650),
    )
    custom.stockout_rate, custom.stockout_min, custom.stockout_max = (
        Decimal("0.10"),
        Decimal("1.00"),
        Decimal("8.00"),
    )
    assert stockout_terms(custom, Decimal("50.00")).amount == Decimal("5.00")  # 10 %
    assert stockout_terms(custom, Decimal("5.00")).amount == Decimal("1.00")  # min
    assert stockout_terms(custom, Decimal("500.00")).amount == Decimal("8.00")  # max
    assert late_shipment_terms(custom, Decimal("50.00")).amount == Decimal("5.00")  # late min
    assert late_shipment_terms(custom, Decimal("500.00")).amount == Decimal("25.00")


def test_default_stockout_formula_is_the_late_shipment_formula():
    for platform in Platform.values:
        p = policy(platform)
        for paid in ("0", "57.77", "100.10", "2000"):
            assert stockout_terms(p, Decimal(paid)) == late_shipment_terms(p, Decimal(paid))


# -- through the services -------------------------------------------------------------------


def uphold(ticket, reviewer, at=None):
    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    return cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late", at=at)


def test_upheld_complaint_on_tmall_pays_points_by_the_tickets_policy(reviewer):
    shop = f.ShopFactory(platform=Platform.TMALL)
    ticket = f.ticket_in("platform_review", shop=shop, amount=Decimal("33.35"))
    uphold(ticket, reviewer)
    compensation = Compensation.objects.get(ticket=ticket)
    assert compensation.kind == CompensationKind.LATE_SHIPMENT
    assert (compensation.amount, compensation.payout, compensation.points) == (
        Decimal("10.01"),
        Payout.TMALL_POINTS,
        1001,
    )
    assert "1001 天猫积分" in ticket.messages.get(kind="compensation").text


def test_upheld_complaint_gives_3_points(reviewer):
    ticket = f.ticket_in("platform_review")
    complaint = uphold(ticket, reviewer)
    assert Liability.objects.get(complaint=complaint).points == 3


def test_liability_points_are_0_when_a_stockout_compensation_existed_before_the_judgment(
    reviewer,
):
    ticket = f.ticket_in("platform_review")
    at = timezone.now()
    Compensation.objects.create(
        ticket=ticket,
        kind=CompensationKind.STOCKOUT,
        amount=Decimal("5.00"),
        payout=Payout.CASH,
        created_at=at - dt.timedelta(minutes=1),
    )
    complaint = uphold(ticket, reviewer, at=at)
    assert cs.liability_points(complaint=complaint, at=at) == 0
    assert Liability.objects.get(complaint=complaint).points == 0


def test_liability_points_count_a_stockout_compensation_made_after_the_judgment(reviewer):
    ticket = f.ticket_in("platform_review")
    at = timezone.now()
    complaint = ticket.complaints.get()
    Compensation.objects.create(
        ticket=ticket,
        kind=CompensationKind.STOCKOUT,
        amount=Decimal("5.00"),
        payout=Payout.CASH,
        created_at=at,  # not before the judgment
    )
    assert cs.liability_points(complaint=complaint, at=at) == 3


def test_a_late_shipment_compensation_does_not_waive_points(reviewer):
    ticket = f.ticket_in("platform_review")
    at = timezone.now()
    complaint = ticket.complaints.get()
    Compensation.objects.create(
        ticket=ticket,
        kind=CompensationKind.LATE_SHIPMENT,
        amount=Decimal("5.00"),
        payout=Payout.CASH,
        created_at=at - dt.timedelta(days=1),
    )
    assert cs.liability_points(complaint=complaint, at=at) == 3


def test_proactive_compensation_gives_no_points_and_no_liability():
    ticket = f.ticket_in("compensated")
    assert Compensation.objects.get(ticket=ticket).kind == CompensationKind.STOCKOUT
    assert not Liability.objects.filter(ticket=ticket).exists()
    assert not ticket.complaints.exists()
