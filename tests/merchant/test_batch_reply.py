"""批量回复 on the ticket list (§14): ticked tickets or all awaiting a reply that match the
filters (up to 200) get one plan; the page lists each ticket replied or refused, with why."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets.models import Ticket, platform_today
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
URL = reverse("merchant:batch-reply")
LIST = reverse("merchant:tickets")


def ship_by(days=10):
    return (platform_today(timezone.now()) + dt.timedelta(days=days)).isoformat()


def form(tickets=(), **kwargs):
    return {
        "tickets": [str(t) for t in tickets],
        "plan": "ship_later",
        "reason": "stock_shortage",
        "ship_by": ship_by(),
        "note": "618",
        **kwargs,
    }


def state(ticket):
    return Ticket.objects.get(pk=ticket.pk).state


def test_the_list_offers_a_checkbox_on_each_ticket_awaiting_a_reply(merchant_client, shop):
    waiting = factories.urged(shop=shop)
    done = factories.replied(shop=shop)
    body = merchant_client.get(LIST).content.decode()
    assert f'name="tickets" value="{waiting.pk}" form="batch-form"' in body
    assert f'name="tickets" value="{done.pk}"' not in body
    assert 'id="batch-form"' in body and 'name="all_matching"' in body


def test_ticked_tickets_are_replied_and_each_refusal_is_listed(merchant_client, shop):
    ok = factories.urged(shop=shop)
    fresh = factories.urged(shop=shop, is_fresh=True)  # 20 days is past its 15-day cap
    done = factories.replied(shop=shop)
    foreign = factories.urged()
    response = merchant_client.post(
        URL, form([ok.pk, fresh.pk, done.pk, foreign.pk], ship_by=ship_by(20))
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.replied, result.refused) == (1, 3)
    assert state(ok) == S.AWAITING_BUYER
    assert state(fresh) == S.AWAITING_REPLY and state(foreign) == S.AWAITING_REPLY
    body = response.content.decode()
    assert "Replied: 1 · Refused: 3" in body
    fresh_row = body[body.index(f'data-batch-ticket="{fresh.pk}"') :]
    assert "15" in fresh_row[: fresh_row.index("</tr>")]  # the cap of its own category
    # Another shop's ticket: refused as missing, its order number never shown.
    foreign_row = body[body.index(f'data-batch-ticket="{foreign.pk}"') :]
    foreign_row = foreign_row[: foreign_row.index("</tr>")]
    assert "No such ticket" in foreign_row and foreign.order.order_no not in body


def test_all_that_match_the_filters_takes_only_those_awaiting_a_reply(merchant_client, shop):
    wanted = [factories.urged(shop=shop, order_no=f"PEAK-A{i}") for i in range(3)]
    other = factories.urged(shop=shop, order_no="OTHER-1")
    replied = factories.replied(shop=shop, order_no="PEAK-R1")
    response = merchant_client.post(URL, form(all_matching="1", filters="q=PEAK"))
    assert response.status_code == 200
    result = response.context["result"]
    assert sorted(i.ticket for i in result.items) == sorted(t.pk for t in wanted)
    assert all(state(t) == S.AWAITING_BUYER for t in wanted)
    assert state(other) == S.AWAITING_REPLY
    assert Ticket.objects.get(pk=replied.pk).ship_by == replied.ship_by


def test_all_that_match_stops_at_200(merchant_client, shop, monkeypatch):
    from merchant.views import batch

    monkeypatch.setattr(batch, "MAX_BATCH", 3)
    tickets = [factories.urged(shop=shop) for _ in range(5)]
    response = merchant_client.post(URL, form(all_matching="1", filters="sort=created"))
    assert [i.ticket for i in response.context["result"].items] == [t.pk for t in tickets[:3]]
    assert response.context["left_out"] == 2
    assert "2 more tickets match the filters" in response.content.decode()


def test_nothing_selected_is_refused_and_nothing_changes(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = merchant_client.post(URL, form())
    assert response.status_code == 400
    assert "Select at least one ticket." in response.content.decode()
    response = merchant_client.post(URL, form(all_matching="1", filters="q=NO-SUCH"))
    assert response.status_code == 400
    assert state(ticket) == S.AWAITING_REPLY


@pytest.mark.parametrize("bad", [["x"], ["-1"], ["1.5"], [str(2**63)], ["\u0661"]])
def test_bad_ids_are_refused_and_nothing_changes(merchant_client, shop, bad):
    ticket = factories.urged(shop=shop)
    response = merchant_client.post(URL, form([ticket.pk]) | {"tickets": [str(ticket.pk), *bad]})
    assert response.status_code == 400
    assert state(ticket) == S.AWAITING_REPLY


def test_more_than_200_ticked_is_refused(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    ids = [ticket.pk] + list(range(10**8, 10**8 + 200))
    response = merchant_client.post(URL, form(ids))
    assert response.status_code == 400
    assert "at most 200" in response.content.decode()
    assert state(ticket) == S.AWAITING_REPLY


def test_a_bad_form_keeps_the_ticked_tickets(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = merchant_client.post(URL, form([ticket.pk], plan="", reason=""))
    assert response.status_code == 400
    assert f'name="tickets" value="{ticket.pk}"' in response.content.decode()


def test_batch_reply_is_post_only_and_for_merchants(merchant_client, client, buyer):
    assert merchant_client.get(URL).status_code == 405
    client.force_login(buyer)
    assert client.post(URL, form([1])).status_code == 403


def test_batch_reply_page_in_chinese(client, merchant, shop, settings):
    ticket = factories.urged(shop=shop)
    client.force_login(merchant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = client.post(URL, form([ticket.pk, 10**9])).content.decode()
    assert "已回复：1 · 被拒绝：1" in body and "批量回复" in body
