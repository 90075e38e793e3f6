"""§6, the rollout taken back from a shop enabled by mistake (`shop_revoke_second_handling`):
recorded with who and why; tickets already replied under the feature keep their entry, the
rest get none; percentage rollouts leave the shop out; bad input changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from tickets import services
from tickets.exceptions import InvalidTransition, NotFound, ValidationError
from tickets.models import SecondHandlingRevocation, Shop, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(db):
    return f.UserFactory(username="ops-a", groups=["operations"])


def test_taking_it_back_records_who_why_and_from_when(ops):
    since = timezone.now() - dt.timedelta(days=3)
    shop = f.rolled_out_shop(since=since)
    at = timezone.now()
    revocation = services.shop_revoke_second_handling(
        shop_id=shop.pk, actor=ops, reason=" enabled by mistake ", at=at
    )
    shop.refresh_from_db()
    assert shop.second_handling_since is None
    assert (revocation.shop, revocation.revoked_by, revocation.reason) == (
        shop,
        ops,
        "enabled by mistake",
    )
    assert (revocation.had_since, revocation.revoked_at) == (since, at)


def test_tickets_already_replied_keep_their_entry_and_new_ones_get_none(ops):
    shop = f.rolled_out_shop(since=timezone.now() - dt.timedelta(days=3))
    replied = f.replied(plan="ship_later", shop=shop)  # awaiting the buyer
    agreed = f.agreed(shop=shop)
    waiting = f.urged(shop=shop)  # not replied yet
    revocation = services.shop_revoke_second_handling(shop_id=shop.pk, actor=ops, reason="x")
    assert revocation.tickets_kept == 2
    for ticket in (replied, agreed):
        ticket = Ticket.objects.select_related("shop").get(pk=ticket.pk)
        assert ticket.second_handling_kept
        assert services.second_handling_refusal(ticket) is None
    # the kept entry is used as before
    services.ticket_second_handling(
        ticket_id=agreed.pk, actor=f.staff_of(agreed), plan="compensate"
    )
    assert Ticket.objects.get(pk=agreed.pk).state == "compensated"
    # a ticket replied after the feature was taken back has no entry
    services.ticket_reply(
        ticket_id=waiting.pk,
        actor=f.staff_of(waiting),
        plan="ship_later",
        reason="stock_shortage",
        ship_by=timezone.localdate() + dt.timedelta(days=5),
    )
    waiting = Ticket.objects.select_related("shop").get(pk=waiting.pk)
    assert not waiting.second_handling_kept
    error, sentence = services.second_handling_refusal(waiting)
    assert error is InvalidTransition and "not been opened for your shop" in sentence


def test_tickets_replied_before_the_shop_had_it_keep_nothing(ops):
    ticket = f.replied(plan="ship_later")
    shop = ticket.shop
    services.shop_enable_second_handling(shops=[shop])  # after the reply
    assert (
        services.shop_revoke_second_handling(shop_id=shop.pk, actor=ops, reason="x").tickets_kept
        == 0
    )
    assert not Ticket.objects.get(pk=ticket.pk).second_handling_kept


def test_percentage_rollouts_leave_a_shop_it_was_taken_back_from_out(ops):
    shops = [f.ShopFactory(platform="taobao") for _ in range(4)]
    services.shop_rollout_percentage(percentage=25, platform="taobao")
    (first,) = Shop.objects.filter(second_handling_since__isnull=False)
    services.shop_revoke_second_handling(shop_id=first.pk, actor=ops, reason="mistake")
    enabled, having, total = services.shop_rollout_percentage(percentage=25, platform="taobao")
    assert (enabled, having, total) == (1, 1, 4)
    assert not Shop.objects.get(pk=first.pk).second_handling_since
    # enabling it by name opens it again
    assert services.shop_enable_second_handling(shops=[first]) == 1
    assert len(shops) == 4


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_a_reason_is_required(ops, reason):
    shop = f.rolled_out_shop()
    with pytest.raises(ValidationError) as refused:
        services.shop_revoke_second_handling(shop_id=shop.pk, actor=ops, reason=reason)
    assert refused.value.field == "reason"
    assert Shop.objects.get(pk=shop.pk).second_handling_since is not None
    assert not SecondHandlingRevocation.objects.exists()


def test_a_shop_without_it_or_no_shop_is_refused(ops):
    shop = f.ShopFactory()
    with pytest.raises(InvalidTransition):
        services.shop_revoke_second_handling(shop_id=shop.pk, actor=ops, reason="x")
    with pytest.raises(NotFound):
        services.shop_revoke_second_handling(shop_id=999999, actor=ops, reason="x")
    with pytest.raises(NotFound):
        services.shop_revoke_second_handling(shop_id="abc", actor=ops, reason="x")
    assert not SecondHandlingRevocation.objects.exists()
