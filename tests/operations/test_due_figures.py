"""The operations overview reads what is due from the deadlines' partial indexes alone
(`selectors.indexed`), leaving out a sweep's condition on the order; the figures still equal
the sweeps' own definitions, settled orders included: settling completes an agreed ticket, so
no agreed ticket has a settled order."""

import datetime as dt

import pytest

from operations import selectors
from tests import factories
from tickets import services, sweeps

from .test_metrics import NOW, T0, due_items

pytestmark = pytest.mark.django_db


def test_the_indexed_figures_equal_the_sweeps_own():
    due_items()
    agreed = [factories.agreed(at=T0, days=2) for _ in range(4)]
    for ticket, settlement in zip(agreed[:2], ("shipped", "refunded"), strict=True):
        services.order_settle(
            order_no=ticket.order.order_no, settlement=settlement, at=T0 + dt.timedelta(hours=1)
        )
    statuses = {s.name: s for s in selectors.overview(at=NOW).sweeps}
    for name, sweep in sweeps.PERIODIC_SWEEPS.items():
        due, oldest = sweep.due_figures(NOW, limit=selectors.COUNT_LIMIT)
        assert (statuses[name].due, statuses[name].oldest_due_at) == (due, oldest), name
    assert statuses["missed_ship_dates"].due == 3  # due_items' one and two not settled


def test_only_the_condition_on_the_order_is_left_out():
    by_name = sweeps.PERIODIC_SWEEPS
    missed = selectors.indexed(by_name["missed_ship_dates"])
    assert "tickets_order" not in str(missed.due(NOW).query)
    assert "tickets_order" in str(by_name["missed_ship_dates"].due(NOW).query)  # the sweep's
    for name in ("reply_timeouts", "buyer_silence", "review_overdue", "reply_reminders"):
        assert selectors.indexed(by_name[name]) is by_name[name]
