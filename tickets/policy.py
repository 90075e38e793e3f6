"""Reading the policy (§8): which version is in force, and the compensation formula.
Pure functions of a policy row; every number comes from the row, none from code.

The formula is written once, over integers (amounts in cents, rates in ten-thousandths), and
evaluated by an `Arithmetic`: `PYTHON` here for the services, database expressions in
`tickets/impact.py` for the what-if of §19. Integers make both exact: SQLite has no decimal
arithmetic, and half-up rounding is one integer division."""

import datetime as dt
import operator
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .exceptions import Conflict
from .models import Payout, Policy

CENT = Decimal("0.01")
CENTS_PER_YUAN = 100
RATE_SCALE = 10_000  # a rate has four decimal places (Policy.late_rate)

# The three numbers of each compensation formula, as Policy fields.
LATE_SHIPMENT = ("late_rate", "late_min", "late_max")
STOCKOUT = ("stockout_rate", "stockout_min", "stockout_max")


def policy_in_force(*, platform: str, at: dt.datetime) -> Policy:
    """The newest version of the platform's policy whose `effective_from` is at or before `at`."""
    policy = (
        Policy.objects.filter(platform=platform, effective_from__lte=at)
        .order_by("-effective_from")
        .first()
    )
    if policy is None:
        raise Conflict(
            _("No policy is in force for %(platform)s at %(at)s.")
            % {"platform": platform, "at": at.isoformat()}
        )
    return policy


# -- the formula, written once -------------------------------------------------------------


@dataclass(frozen=True)
class Arithmetic:
    """The operations the formula needs, on Python integers or on database expressions."""

    least: Callable
    greatest: Callable
    # quotient of a non-negative integer by a positive one, rounded down
    div: Callable


PYTHON = Arithmetic(least=min, greatest=max, div=operator.floordiv)


def bounded_cents(paid, rate, minimum, maximum, *, arithmetic: Arithmetic = PYTHON):
    """rate × paid rounded half-up to the cent, then held between minimum and maximum. Amounts
    in cents, the rate in ten-thousandths (all non-negative, as the constraints keep them)."""
    a = arithmetic
    raw = a.div(paid * rate + RATE_SCALE // 2, RATE_SCALE)
    return a.least(a.greatest(raw, minimum), maximum)


def points_for_cents(cents, points_per_yuan, *, arithmetic: Arithmetic = PYTHON):
    """Tmall points paid for an amount: amount × points per yuan, rounded half-up."""
    return arithmetic.div(cents * points_per_yuan + CENTS_PER_YUAN // 2, CENTS_PER_YUAN)


def scaled(value, scale: int) -> int:
    """`value` × `scale` as an integer (cents of a money amount, ten-thousandths of a rate);
    a value finer than the scale is refused rather than silently rounded."""
    exact = Decimal(value) * scale
    if exact != exact.to_integral_value():
        raise ValueError(f"{value} has more decimal places than 1/{scale}")
    return int(exact)


def compensation_cents(policy: Policy, numbers, paid_cents, *, arithmetic=PYTHON):
    """The compensation for a paid amount (cents) under `policy`'s `numbers` (LATE_SHIPMENT or
    STOCKOUT): the one definition the services and the what-if both evaluate."""
    rate, minimum, maximum = (getattr(policy, name) for name in numbers)
    return bounded_cents(
        paid_cents,
        scaled(rate, RATE_SCALE),
        scaled(minimum, CENTS_PER_YUAN),
        scaled(maximum, CENTS_PER_YUAN),
        arithmetic=arithmetic,
    )


def payout_points(policy: Policy, cents, *, arithmetic=PYTHON):
    """Tmall points for a compensation of `cents` under `policy`; 0 when paid in cash."""
    if policy.payout != Payout.TMALL_POINTS:
        return 0
    return points_for_cents(cents, policy.points_per_yuan, arithmetic=arithmetic)


def yuan(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2).quantize(CENT)


def bounded_amount(*, paid: Decimal, rate: Decimal, minimum: Decimal, maximum: Decimal) -> Decimal:
    """rate × paid in yuan, rounded half-up to the cent, then held between minimum and maximum."""
    return yuan(
        bounded_cents(
            scaled(paid, CENTS_PER_YUAN),
            scaled(rate, RATE_SCALE),
            scaled(minimum, CENTS_PER_YUAN),
            scaled(maximum, CENTS_PER_YUAN),
        )
    )


@dataclass(frozen=True)
class CompensationTerms:
    amount: Decimal
    payout: str
    points: int  # Tmall points paid (amount × points_per_yuan); 0 when paid in cash


def _terms(policy: Policy, numbers, paid: Decimal) -> CompensationTerms:
    cents = compensation_cents(policy, numbers, scaled(paid, CENTS_PER_YUAN))
    return CompensationTerms(
        amount=yuan(cents), payout=policy.payout, points=payout_points(policy, cents)
    )


def late_shipment_terms(policy: Policy, paid: Decimal) -> CompensationTerms:
    """延迟发货: what an upheld complaint pays the buyer."""
    return _terms(policy, LATE_SHIPMENT, paid)


def stockout_terms(policy: Policy, paid: Decimal) -> CompensationTerms:
    """缺货赔付: what proactive compensation in second handling pays the buyer."""
    return _terms(policy, STOCKOUT, paid)
