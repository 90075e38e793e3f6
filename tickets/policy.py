"""Reading the policy (§8): which version is in force, and the compensation formula.
Pure functions of a policy row; every number comes from the row, none from code."""

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from .exceptions import Conflict
from .models import Payout, Policy

CENT = Decimal("0.01")


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


def bounded_amount(*, paid: Decimal, rate: Decimal, minimum: Decimal, maximum: Decimal) -> Decimal:
    """rate × paid in yuan, rounded half-up to the cent, then held between minimum and maximum."""
    raw = (Decimal(paid) * Decimal(rate)).quantize(CENT, rounding=ROUND_HALF_UP)
    return min(max(raw, minimum), maximum)


@dataclass(frozen=True)
class CompensationTerms:
    amount: Decimal
    payout: str
    points: int  # Tmall points paid (amount × points_per_yuan); 0 when paid in cash


def _terms(policy: Policy, amount: Decimal) -> CompensationTerms:
    points = 0
    if policy.payout == Payout.TMALL_POINTS:
        points = int((amount * policy.points_per_yuan).to_integral_value(rounding=ROUND_HALF_UP))
    return CompensationTerms(amount=amount, payout=policy.payout, points=points)


def late_shipment_terms(policy: Policy, paid: Decimal) -> CompensationTerms:
    """延迟发货: what an upheld complaint pays the buyer."""
    return _terms(
        policy,
        bounded_amount(
            paid=paid, rate=policy.late_rate, minimum=policy.late_min, maximum=policy.late_max
        ),
    )


def stockout_terms(policy: Policy, paid: Decimal) -> CompensationTerms:
    """缺货赔付: what proactive compensation in second handling pays the buyer."""
    return _terms(
        policy,
        bounded_amount(
            paid=paid,
            rate=policy.stockout_rate,
            minimum=policy.stockout_min,
            maximum=policy.stockout_max,
        ),
    )
