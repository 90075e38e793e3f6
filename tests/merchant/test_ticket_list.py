"""The ticket list: filters, search, sorting, pagination, overdue marks, scoping, queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db
URL = reverse("merchant:tickets")


def pks(response):
    return [t.pk for t in response.context["page"]]


def test_lists_only_the_current_shops_tickets(merchant_client, shop, other_shop_ticket):
    mine = factories.urged(shop=shop)
    response = merchant_client.get(URL)
    assert response.status_code == 200
    assert pks(response) == [mine.pk]
    assert other_shop_ticket.order.order_no.encode() not in response.content


def test_filter_by_state_plan_and_reason(merchant_client, shop):
    waiting = factories.urged(shop=shop)
    ship_later = factories.replied(shop=shop, reason="warehouse_backlog")
    exchange = factories.agreed(shop=shop)
    assert pks(merchant_client.get(URL, {"state": "awaiting_reply"})) == [waiting.pk]
    assert pks(merchant_client.get(URL, {"plan": "exchange_agreed"})) == [exchange.pk]
    assert pks(merchant_client.get(URL, {"reason": "warehouse_backlog"})) == [ship_later.pk]


def test_search_by_order_number(merchant_client, shop):
    wanted = factories.urged(shop=shop, order_no="TB-778899")
    factories.urged(shop=shop)
    assert pks(merchant_client.get(URL, {"q": "778899"})) == [wanted.pk]


def test_overdue_filter_and_mark(merchant_client, shop):
    late = factories.urged(shop=shop, at=timezone.now() - dt.timedelta(hours=25))
    on_time = factories.urged(shop=shop)
    response = merchant_client.get(URL, {"overdue": "1"})
    assert pks(response) == [late.pk]
    assert b"row-overdue" in response.content
    no_deadline = factories.replied(shop=shop, plan="cannot_ship")
    assert set(pks(merchant_client.get(URL, {"overdue": "0"}))) == {on_time.pk, no_deadline.pk}


def test_due_within_hours(merchant_client, shop):
    soon = factories.urged(shop=shop, at=timezone.now() - dt.timedelta(hours=22))
    factories.urged(shop=shop)
    assert pks(merchant_client.get(URL, {"due_within": 3})) == [soon.pk]


def test_sort_by_deadline_soonest_first_and_by_creation(merchant_client, shop):
    now = timezone.now()
    later = factories.urged(shop=shop, at=now - dt.timedelta(hours=1))
    sooner = factories.urged(shop=shop, at=now - dt.timedelta(hours=20))
    done = factories.replied(shop=shop, plan="cannot_ship")  # no deadline: last
    assert pks(merchant_client.get(URL, {"sort": "deadline"})) == [sooner.pk, later.pk, done.pk]
    assert pks(merchant_client.get(URL, {"sort": "created"}))[0] == sooner.pk
    assert pks(merchant_client.get(URL, {"sort": "-created"}))[0] == done.pk


def test_countdown_carries_the_current_deadline(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = merchant_client.get(URL)
    assert (
        f'data-deadline="{timezone.localtime(ticket.reply_due_at).isoformat()}'.encode()[:40]
        in response.content
    )


def test_pagination_and_bad_page(merchant_client, shop):
    for _ in range(26):
        factories.urged(shop=shop)
    first = merchant_client.get(URL)
    assert len(pks(first)) == 25
    second = merchant_client.get(URL, {"page": 2})
    assert len(pks(second)) == 1
    assert merchant_client.get(URL, {"page": "zzz"}).status_code == 200
    assert merchant_client.get(URL, {"page": 999}).status_code == 200


def test_bad_filters_are_ignored_not_500(merchant_client, shop):
    factories.urged(shop=shop)
    response = merchant_client.get(
        URL, {"state": "nope", "due_within": "-1", "sort": "drop table", "overdue": "7"}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_is_bounded(merchant_client, shop, rows, django_assert_max_num_queries):
    reason_tickets = [factories.replied(shop=shop) for _ in range(min(rows, 2))]
    for _ in range(rows - len(reason_tickets)):
        factories.urged(shop=shop)
    # One more than before the batch reply: its form reads the active reason catalogue.
    with django_assert_max_num_queries(9):
        response = merchant_client.get(URL, {"sort": "deadline"})
    assert response.status_code == 200
