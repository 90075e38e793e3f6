"""`manage.py rollout_second_handling` (§6): applies the running schedules' share for now
(linear between start and end), or enables listed shops, or a percentage; shows progress."""

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests import factories
from tickets.models import Platform, RolloutSchedule, Shop

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("rollout_second_handling", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def having():
    return Shop.objects.filter(second_handling_since__isnull=False).count()


@pytest.fixture
def shops(db):
    return [factories.ShopFactory() for _ in range(20)]


def test_the_share_grows_linearly_between_the_dates():
    start = timezone.now()
    schedule = RolloutSchedule(
        starts_at=start,
        ends_at=start + dt.timedelta(days=7),
        start_percentage=Decimal("10"),
        target_percentage=Decimal("80"),
    )
    assert schedule.percentage_at(start - dt.timedelta(seconds=1)) == 0
    assert schedule.percentage_at(start) == Decimal("10")
    assert schedule.percentage_at(start + dt.timedelta(days=3.5)) == Decimal("45")
    assert schedule.percentage_at(start + dt.timedelta(days=7)) == Decimal("80")
    assert schedule.percentage_at(start + dt.timedelta(days=30)) == Decimal("80")


def test_a_schedule_is_applied_day_by_day_like_may_8_to_15(shops):
    start = timezone.now()
    RolloutSchedule.objects.create(
        starts_at=start, ends_at=start + dt.timedelta(days=8), target_percentage=Decimal("100")
    )
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        out, err = run()
    assert having() == 5  # 25 % of 20
    assert "25.00% due" in out and "5 of 20 have it" in out
    assert "shop" in err  # the progress bar
    enabled_first = set(
        Shop.objects.filter(second_handling_since__isnull=False).values_list("pk", flat=True)
    )
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        run()
    assert having() == 5  # running twice at the same instant enables nothing more
    with time_machine.travel(start + dt.timedelta(days=6), tick=False):
        run()
    assert having() == 15
    later = set(
        Shop.objects.filter(second_handling_since__isnull=False).values_list("pk", flat=True)
    )
    assert enabled_first <= later  # nobody loses the feature
    with time_machine.travel(start + dt.timedelta(days=9), tick=False):
        run()
        assert having() == 20
        out, _ = run()
    assert "no rollout schedule is running" in out


def test_a_schedule_of_one_platform_touches_only_its_shops(shops):
    tmall = [factories.ShopFactory(platform=Platform.TMALL) for _ in range(4)]
    start = timezone.now() - dt.timedelta(days=2)
    RolloutSchedule.objects.create(
        platform=Platform.TMALL,
        starts_at=start,
        ends_at=start + dt.timedelta(days=1),
        target_percentage=Decimal("50"),
    )
    run()
    assert Shop.objects.filter(second_handling_since__isnull=False).count() == 2
    assert all(s.platform == "tmall" for s in Shop.objects.exclude(second_handling_since=None))
    assert len(tmall) == 4


def test_dry_run_changes_nothing(shops):
    start = timezone.now() - dt.timedelta(days=1)
    RolloutSchedule.objects.create(
        starts_at=start, ends_at=start + dt.timedelta(days=2), target_percentage=Decimal("90")
    )
    run("--dry-run")
    run("--percentage", "50", "--dry-run")
    run("--shops", shops[0].code, "--dry-run")
    assert having() == 0


def test_enable_listed_shops(shops):
    out, _ = run("--shops", shops[0].code, shops[1].code)
    assert having() == 2 and "enabled 2 shop(s)" in out
    out, _ = run("--shops", shops[0].code)
    assert having() == 2 and "1 already had it" in out


def test_a_percentage_directly(shops):
    out, _ = run("--percentage", "30")
    assert having() == 6 and "6 of 20 have it" in out


@pytest.mark.parametrize(
    "args",
    [
        ["--percentage", "abc"],
        ["--percentage", "101"],
        ["--percentage", "-1"],
        ["--shops", "no-such-shop"],
        ["--platform", "taobao"],
    ],
)
def test_bad_arguments_are_refused_and_change_nothing(shops, args):
    with pytest.raises(CommandError):
        run(*args)
    assert having() == 0
