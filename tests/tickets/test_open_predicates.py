"""What the pages and the API offer now follows the same deadlines the services enforce (§4)."""

import datetime as dt

import pytest

from tests import factories
from tickets.services import second_handling_open, shop_enable_second_handling

pytestmark = pytest.mark.django_db
TICK = dt.timedelta(microseconds=1)


def test_reply_is_offered_until_the_instant_of_reply_due_at():
    ticket = factories.urged()
    assert ticket.reply_open(ticket.reply_due_at - TICK)
    assert not ticket.reply_open(ticket.reply_due_at)


def test_buyer_answer_is_offered_until_the_instant_of_buyer_due_at():
    ticket = factories.replied(plan="ship_later")
    assert ticket.buyer_answer_open(ticket.buyer_due_at - TICK)
    assert not ticket.buyer_answer_open(ticket.buyer_due_at)
    assert not ticket.reply_open(ticket.created_at)  # already replied


def test_second_handling_is_offered_until_the_end_of_the_ship_by_day_where_rolled_out():
    shop = factories.ShopFactory()
    shop_enable_second_handling(shops=[shop])
    shop.refresh_from_db()
    ticket = factories.agreed(shop=shop)
    assert second_handling_open(ticket, ticket.ship_deadline - TICK)
    assert not second_handling_open(ticket, ticket.ship_deadline)


def test_second_handling_is_not_offered_where_not_rolled_out():
    ticket = factories.agreed()
    assert not second_handling_open(ticket, ticket.created_at)
