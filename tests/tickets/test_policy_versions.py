"""§8: the policy is versioned data. A new version applies to tickets created after it takes
effect; an open ticket keeps its version and its deadlines."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine

from tests import factories as f
from tickets import services
from tickets.exceptions import Conflict, ValidationError
from tickets.models import Platform, Policy, platform_today
from tickets.policy import policy_in_force

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def test_the_seeded_defaults_are_the_spec_defaults():
    for platform, rate, late_max, payout in [
        (Platform.TAOBAO, "0.05", "30.00", "cash"),
        (Platform.TMALL, "0.30", "500.00", "tmall_points"),
    ]:
        p = Policy.objects.get(platform=platform, version=1)
        assert p.reply_window == p.buyer_window == dt.timedelta(hours=24)
        assert (p.ship_later_cap_days, p.fresh_ship_later_cap_days) == (30, 15)
        assert p.review_target == dt.timedelta(hours=48)
        assert p.appeal_window == dt.timedelta(days=30)
        assert (p.late_rate, p.late_min, p.late_max) == (
            Decimal(rate),
            Decimal("5.00"),
            Decimal(late_max),
        )
        assert (p.stockout_rate, p.stockout_min, p.stockout_max) == (
            p.late_rate,
            p.late_min,
            p.late_max,
        )
        assert (p.payout, p.points_per_upheld) == (payout, 3)


def test_a_new_version_applies_to_new_tickets_and_an_open_ticket_keeps_its_deadlines():
    with time_machine.travel(T0, tick=False):
        old = f.urged()
        assert old.reply_due_at == T0 + 24 * HOUR
    with time_machine.travel(T0 + HOUR, tick=False):
        v2 = services.policy_publish(
            platform=Platform.TAOBAO, reply_window=12 * HOUR, buyer_window=2 * HOUR
        )
        assert v2.version == 2
        new = f.urged()
        assert new.policy == v2
        assert new.reply_due_at == T0 + HOUR + 12 * HOUR

        old.refresh_from_db()
        assert old.policy.version == 1
        assert old.reply_due_at == T0 + 24 * HOUR  # did not move

        # The old ticket's later deadlines still come from its own version.
        services.ticket_reply(
            ticket_id=old.pk,
            actor=f.staff_of(old),
            plan="ship_later",
            reason="stock_shortage",
            ship_by=platform_today(T0) + dt.timedelta(days=3),
        )
        old.refresh_from_db()
        assert old.buyer_due_at == T0 + HOUR + 24 * HOUR


def test_a_version_taking_effect_later_does_not_apply_before_then():
    with time_machine.travel(T0, tick=False):
        services.policy_publish(
            platform=Platform.TAOBAO, effective_from=T0 + 10 * HOUR, reply_window=6 * HOUR
        )
        ticket = f.urged()
        assert ticket.policy.version == 1
        assert policy_in_force(platform="taobao", at=T0 + 10 * HOUR).version == 2
        assert policy_in_force(platform="taobao", at=T0 + 10 * HOUR - dt.timedelta(0, 0, 1)) == (
            ticket.policy
        )
        # Tmall is not touched by a Taobao version.
        assert policy_in_force(platform="tmall", at=T0 + 11 * HOUR).version == 1


def test_the_ship_by_cap_comes_from_the_tickets_version():
    with time_machine.travel(T0, tick=False):
        old = f.urged()
    with time_machine.travel(T0 + HOUR, tick=False):
        services.policy_publish(platform=Platform.TAOBAO, ship_later_cap_days=10)
        new = f.urged()
        today = platform_today(T0 + HOUR)
        with pytest.raises(ValidationError):
            services.ticket_reply(
                ticket_id=new.pk,
                actor=f.staff_of(new),
                plan="ship_later",
                reason="stock_shortage",
                ship_by=today + dt.timedelta(days=11),
            )
        services.ticket_reply(
            ticket_id=old.pk,
            actor=f.staff_of(old),
            plan="ship_later",
            reason="stock_shortage",
            ship_by=today + dt.timedelta(days=30),
        )


def test_no_policy_in_force_is_a_conflict():
    with pytest.raises(Conflict):
        policy_in_force(platform="taobao", at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))


def test_publishing_a_version_in_the_past_is_refused():
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError) as error:
        services.policy_publish(platform=Platform.TAOBAO, effective_from=T0 - HOUR)
    assert error.value.field == "effective_from"
    assert Policy.objects.filter(platform="taobao").count() == 1


@pytest.mark.parametrize(
    ("numbers", "field"),
    [
        ({"late_min": Decimal("40"), "late_max": Decimal("30")}, None),
        ({"late_rate": Decimal("1.5")}, "late_rate"),
        ({"no_such_setting": 1}, "no_such_setting"),
    ],
)
def test_publishing_bad_numbers_is_refused(numbers, field):
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError) as error:
        services.policy_publish(platform=Platform.TAOBAO, **numbers)
    if field:
        assert error.value.field == field
    assert Policy.objects.filter(platform="taobao").count() == 1


def test_publishing_for_an_unknown_platform_is_refused():
    with pytest.raises(ValidationError):
        services.policy_publish(platform="jd")


@pytest.mark.parametrize(
    "numbers",
    [
        {"reply_window": dt.timedelta(0)},
        {"reply_window": -HOUR},
        {"buyer_window": dt.timedelta(0)},
        {"review_target": -HOUR},
        {"appeal_window": dt.timedelta(0)},
        {"points_per_yuan": 0, "payout": "tmall_points"},
    ],
)
def test_publishing_a_policy_that_cannot_work_is_refused(numbers):
    """A zero or negative window would make every urge break the reply_due_at constraint (or
    every deadline due at once); Tmall points at 0 per yuan would pay nothing."""
    platform = Platform.TMALL if numbers.get("payout") == "tmall_points" else Platform.TAOBAO
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError):
        services.policy_publish(platform=platform, **numbers)
    assert Policy.objects.filter(platform=platform).count() == 1


def test_an_open_ticket_is_compensated_by_its_own_version(reviewer):
    from complaints import services as cs
    from complaints.models import Compensation

    with time_machine.travel(T0, tick=False):
        old = f.ticket_in("platform_review", amount=Decimal("200.00"))
    with time_machine.travel(T0 + HOUR, tick=False):
        services.policy_publish(
            platform=Platform.TAOBAO,
            late_rate=Decimal("0.10"),
            late_max=Decimal("100.00"),
            points_per_upheld=6,
            appeal_window=dt.timedelta(days=7),
        )
        complaint = old.complaints.get()
        cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
        cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
        complaint.refresh_from_db()
    assert Compensation.objects.get(ticket=old).amount == Decimal("10.00")  # v1: 5 %
    assert complaint.liability.points == 3
    assert complaint.appeal_due_at == T0 + HOUR + dt.timedelta(days=30)


def test_a_ticket_created_at_the_instant_a_version_takes_effect_gets_it():
    with time_machine.travel(T0, tick=False):
        v2 = services.policy_publish(
            platform=Platform.TAOBAO, effective_from=T0 + HOUR, reply_window=8 * HOUR
        )
    with time_machine.travel(T0 + HOUR, tick=False):
        ticket = f.urged()
    assert ticket.policy == v2
    assert ticket.reply_due_at == T0 + 9 * HOUR


def test_a_ticket_takes_the_policy_of_its_shops_platform():
    with time_machine.travel(T0, tick=False):
        services.policy_publish(platform=Platform.TMALL, reply_window=10 * HOUR)
        tmall = f.urged(shop=f.ShopFactory(platform=Platform.TMALL))
        taobao = f.urged(shop=f.ShopFactory(platform=Platform.TAOBAO))
    assert (tmall.policy.platform, tmall.policy.version) == ("tmall", 2)
    assert tmall.reply_due_at == T0 + 10 * HOUR
    assert (taobao.policy.platform, taobao.policy.version) == ("taobao", 1)
