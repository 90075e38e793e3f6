"""§6 rollout of second handling, shop by shop: by selection (`shop_enable_second_handling`)
and by percentage (`shop_rollout_percentage`: rounded up, a stable selection, per platform)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories as f
from tickets import services
from tickets.exceptions import ValidationError
from tickets.models import Platform, Shop

pytestmark = pytest.mark.django_db


def having():
    return set(
        Shop.objects.filter(second_handling_since__isnull=False).values_list("pk", flat=True)
    )


def expected_order(ids):
    """The documented order: Knuth's multiplicative hash of the id, then the id."""
    return sorted(ids, key=lambda pk: ((pk * 2654435761) % 2**32, pk))


@pytest.fixture
def shops():
    return [f.ShopFactory(platform=Platform.TAOBAO) for _ in range(10)] + [
        f.ShopFactory(platform=Platform.TMALL) for _ in range(3)
    ]


def test_enable_opens_the_feature_for_the_selected_shops_now(shops):
    at = timezone.now()
    changed = services.shop_enable_second_handling(shops=shops[:2], at=at)
    assert changed == 2
    assert having() == {shops[0].pk, shops[1].pk}
    assert Shop.objects.get(pk=shops[0].pk).second_handling_since == at


def test_enable_keeps_the_instant_of_shops_that_already_have_it(shops):
    first = timezone.now() - dt.timedelta(days=2)
    services.shop_enable_second_handling(shops=[shops[0]], at=first)
    changed = services.shop_enable_second_handling(shops=[shops[0].pk, shops[1].pk])
    assert changed == 1
    assert Shop.objects.get(pk=shops[0].pk).second_handling_since == first


@pytest.mark.parametrize(("percentage", "wanted"), [(0, 0), (1, 1), (10, 2), (25, 4), (100, 13)])
def test_percentage_rounds_up(shops, percentage, wanted):
    enabled, total_having, total = services.shop_rollout_percentage(percentage=percentage)
    assert (enabled, total_having, total) == (wanted, wanted, 13)
    assert len(having()) == wanted


def test_percentage_selection_is_stable_and_grows_monotonically(shops):
    ids = [s.pk for s in shops]
    services.shop_rollout_percentage(percentage=20)
    first = having()
    assert first == set(expected_order(ids)[:3])  # ceil(2.6)
    services.shop_rollout_percentage(percentage=50)
    second = having()
    assert first <= second
    assert second == set(expected_order(ids)[:7])  # ceil(6.5)
    # Running the same percentage again changes nothing.
    assert services.shop_rollout_percentage(percentage=50) == (0, 7, 13)
    assert having() == second


def test_percentage_counts_shops_enabled_by_hand(shops):
    services.shop_enable_second_handling(shops=shops[:5])
    assert services.shop_rollout_percentage(percentage=30) == (0, 5, 13)  # 4 wanted, 5 have it
    assert services.shop_rollout_percentage(percentage=50) == (2, 7, 13)


def test_percentage_of_one_platform_leaves_the_other_alone(shops):
    enabled, total_having, total = services.shop_rollout_percentage(
        percentage=Decimal("50"), platform=Platform.TMALL
    )
    assert (enabled, total_having, total) == (2, 2, 3)
    tmall = {s.pk for s in shops if s.platform == Platform.TMALL}
    assert having() <= tmall and len(having()) == 2


def test_100_percent_enables_every_shop_at_the_given_instant(shops):
    at = timezone.now()
    services.shop_rollout_percentage(percentage=100, at=at)
    assert set(Shop.objects.values_list("second_handling_since", flat=True)) == {at}


@pytest.mark.parametrize(
    "percentage", [-1, "-0.1", "100.01", 101, "abc", "", None, "NaN", "sNaN", "Infinity"]
)
def test_invalid_percentages_are_refused(shops, percentage):
    with pytest.raises(ValidationError) as error:
        services.shop_rollout_percentage(percentage=percentage)
    assert error.value.field == "percentage"
    assert having() == set()


@pytest.mark.parametrize("platform", ["jd", "", "TAOBAO"])
def test_percentage_for_an_unknown_platform_is_refused(shops, platform):
    # Silently enabling nothing would read as success to operations.
    with pytest.raises(ValidationError) as error:
        services.shop_rollout_percentage(percentage=50, platform=platform)
    assert error.value.field == "platform"
    assert having() == set()
