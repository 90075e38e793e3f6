"""The reply form (§5): plans, reasons that allow them, the ship-by cap and its advice, and
every refusal, shown as a form error or a message, never a 500."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets.models import ReplyReason, platform_today

pytestmark = pytest.mark.django_db


def url(ticket):
    return reverse("merchant:reply", args=[ticket.pk])


def today():
    return platform_today(timezone.now())


def post(client, ticket, **data):
    return client.post(url(ticket), data)


def test_form_limits_the_date_picker_to_the_cap(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = merchant_client.get(url(ticket))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'min="{today().isoformat()}"' in body
    assert f'max="{(today() + dt.timedelta(days=30)).isoformat()}"' in body
    assert response.context["cap"] == 30
    assert "presale" in response.context["advice"]


def test_fresh_order_cap_is_15_days(merchant_client, shop):
    ticket = factories.urged(shop=shop, is_fresh=True)
    response = merchant_client.get(url(ticket))
    assert response.context["cap"] == 15
    assert f'max="{(today() + dt.timedelta(days=15)).isoformat()}"' in response.content.decode()


def test_reason_options_carry_their_plans(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = merchant_client.get(url(ticket))
    body = response.content.decode()
    assert 'value="exchange_negotiated" data-plans="exchange_agreed"' in body
    assert 'value="stock_shortage" data-plans="ship_later cannot_ship"' in body
    assert 'id="buyer-preview"' in body
    # No script element with data: the page is ready for a CSP without inline script.
    assert "<script>" not in body and 'type="application/json"' not in body


def preview(client, ticket, **params):
    response = client.get(reverse("merchant:reply-preview", args=[ticket.pk]), params)
    assert response.status_code == 200
    return response.json()


def test_preview_is_the_message_the_reply_sends(merchant_client, shop):
    """The preview and the sent message come from the same function: for every plan they are
    the same text (the buyer's deadline is the reply's own instant, so the clock is frozen)."""
    import time_machine

    cases = [
        ("ship_later", "stock_shortage", today() + dt.timedelta(days=7)),
        ("exchange_agreed", "exchange_negotiated", today() + dt.timedelta(days=3)),
        ("cannot_ship", "stock_shortage", None),
    ]
    for plan, reason, ship_by in cases:
        ticket = factories.urged(shop=shop)
        with time_machine.travel(timezone.now(), tick=False):
            shown = preview(
                merchant_client, ticket, plan=plan, reason=reason, ship_by=ship_by or ""
            )
            post(merchant_client, ticket, plan=plan, reason=reason, ship_by=ship_by or "")
        sent = ticket.messages.get(kind="reply").text
        assert shown == {"text": sent, "error": None, "field": None}
        assert sent.endswith("。") and "。。" not in sent


def test_preview_of_ship_later_names_the_buyers_deadline(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    ship_by = today() + dt.timedelta(days=7)
    text = preview(
        merchant_client, ticket, plan="ship_later", reason="stock_shortage", ship_by=ship_by
    )["text"]
    assert f"预计 {ship_by.isoformat()} 前发货，请在 " in text
    assert text.endswith("前确认，逾期未操作视为认可。")


def test_preview_of_a_date_past_the_cap_is_invalid(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    answer = preview(
        merchant_client,
        ticket,
        plan="ship_later",
        reason="stock_shortage",
        ship_by=today() + dt.timedelta(days=31),
    )
    assert answer["text"] is None
    assert answer["field"] == "ship_by" and "presale" in answer["error"]


def test_preview_refuses_a_reason_the_plan_does_not_allow_and_a_bad_date(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    wrong = preview(merchant_client, ticket, plan="cannot_ship", reason="warehouse_backlog")
    assert wrong["field"] == "reason" and wrong["text"] is None
    bad = preview(
        merchant_client, ticket, plan="ship_later", reason="stock_shortage", ship_by="31/02/2020"
    )
    assert bad["field"] == "ship_by" and bad["text"] is None
    empty = preview(merchant_client, ticket, plan="ship_later")
    assert empty == {"text": None, "error": None, "field": None}


def test_preview_of_another_shops_ticket_is_404(merchant_client, other_shop_ticket):
    response = merchant_client.get(
        reverse("merchant:reply-preview", args=[other_shop_ticket.pk]),
        {"plan": "cannot_ship", "reason": "stock_shortage"},
    )
    assert response.status_code == 404


def test_preview_button_renders_it_without_scripts_and_sends_nothing(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(
        merchant_client,
        ticket,
        plan="cannot_ship",
        reason="stock_shortage",
        preview="1",
    )
    assert response.status_code == 200
    assert response.context["preview"]["text"] == "商家回复：无法发货。原因：商品缺货。"
    assert "商家回复：无法发货。原因：商品缺货。" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply" and not ticket.messages.filter(kind="reply").exists()


def test_a_refused_reply_shows_the_date_as_invalid_in_the_preview(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(
        merchant_client,
        ticket,
        plan="ship_later",
        reason="stock_shortage",
        ship_by=today() + dt.timedelta(days=40),
    )
    assert response.status_code == 400
    assert response.context["preview"]["text"] is None
    assert 'class="preview-text invalid"' in response.content.decode()


def test_ship_later_reply_moves_the_ticket(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    ship_by = today() + dt.timedelta(days=7)
    response = post(
        merchant_client, ticket, plan="ship_later", reason="stock_shortage", ship_by=ship_by
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("merchant:ticket", args=[ticket.pk])
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_buyer"
    assert ticket.ship_by == ship_by
    page = merchant_client.get(response["Location"])
    assert b"Reply sent to the buyer." in page.content
    message = ticket.messages.get(kind="reply").text
    assert message.startswith("商家回复：后续可发。原因：商品缺货。预计")
    assert message.endswith("逾期未操作视为认可。")
    assert "。。" not in message


def test_exchange_agreed_reply(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    post(
        merchant_client,
        ticket,
        plan="exchange_agreed",
        reason="exchange_negotiated",
        ship_by=today() + dt.timedelta(days=3),
    )
    ticket.refresh_from_db()
    assert ticket.state == "agreed"


def test_cannot_ship_ignores_a_stale_date_and_files_a_complaint(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    post(
        merchant_client,
        ticket,
        plan="cannot_ship",
        reason="stock_shortage",
        ship_by=today() + dt.timedelta(days=3),
    )
    ticket.refresh_from_db()
    assert ticket.state == "platform_review"
    assert ticket.complaints.get().kind == "cannot_ship"


def test_date_past_the_cap_gives_the_advice(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(
        merchant_client,
        ticket,
        plan="ship_later",
        reason="stock_shortage",
        ship_by=today() + dt.timedelta(days=31),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors["ship_by"]
    assert "presale" in errors[0] and "cannot ship" in errors[0]
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply"


def test_fresh_date_past_15_days_gives_the_advice(merchant_client, shop):
    ticket = factories.urged(shop=shop, is_fresh=True)
    response = post(
        merchant_client,
        ticket,
        plan="ship_later",
        reason="stock_shortage",
        ship_by=today() + dt.timedelta(days=16),
    )
    assert "at most 15 days" in response.context["form"].errors["ship_by"][0]


def test_past_date_is_refused(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(
        merchant_client,
        ticket,
        plan="ship_later",
        reason="stock_shortage",
        ship_by=today() - dt.timedelta(days=1),
    )
    assert "cannot be in the past" in response.context["form"].errors["ship_by"][0]


def test_missing_date_for_a_dated_plan(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(merchant_client, ticket, plan="ship_later", reason="stock_shortage")
    assert "Choose the date" in response.context["form"].errors["ship_by"][0]


def test_garbage_date_is_a_form_error(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(
        merchant_client, ticket, plan="ship_later", reason="stock_shortage", ship_by="31/31/31"
    )
    assert response.status_code == 400
    assert response.context["form"].errors["ship_by"]


def test_reason_not_allowing_the_plan_is_a_form_error(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(merchant_client, ticket, plan="cannot_ship", reason="warehouse_backlog")
    assert response.status_code == 400
    assert "cannot be given with the plan" in response.context["form"].errors["reason"][0]
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply"


@pytest.mark.parametrize("reason", ["no_such_reason", ""])
def test_unknown_reason_is_a_form_error(merchant_client, shop, reason):
    ticket = factories.urged(shop=shop)
    response = post(merchant_client, ticket, plan="cannot_ship", reason=reason)
    assert response.status_code == 400
    assert response.context["form"].errors["reason"]


def test_deactivated_reason_is_not_offered_nor_accepted(merchant_client, shop):
    ReplyReason.objects.filter(code="force_majeure").update(is_active=False)
    ticket = factories.urged(shop=shop)
    page = merchant_client.get(url(ticket))
    assert b'value="force_majeure"' not in page.content
    response = post(merchant_client, ticket, plan="cannot_ship", reason="force_majeure")
    assert response.context["form"].errors["reason"]


def test_bad_plan_is_a_form_error(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = post(merchant_client, ticket, plan="teleport", reason="stock_shortage")
    assert response.status_code == 400
    assert response.context["form"].errors["plan"]


def test_reply_after_the_deadline_is_refused_with_the_time(merchant_client, shop):
    ticket = factories.urged(shop=shop, at=timezone.now() - dt.timedelta(hours=25))
    response = post(merchant_client, ticket, plan="cannot_ship", reason="stock_shortage")
    assert response.status_code == 302
    page = merchant_client.get(response["Location"])
    due = timezone.localtime(ticket.reply_due_at).strftime("%Y-%m-%d %H:%M")
    assert f"The reply deadline passed at {due}." in page.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply"


def test_get_after_the_deadline_says_when_it_passed(merchant_client, shop):
    ticket = factories.urged(shop=shop, at=timezone.now() - dt.timedelta(hours=25))
    response = merchant_client.get(url(ticket))
    assert response.status_code == 302
    page = merchant_client.get(response["Location"])
    assert b"The reply deadline passed at" in page.content


def test_reply_twice_is_refused_as_a_message(merchant_client, shop):
    ticket = factories.replied(shop=shop)
    response = post(merchant_client, ticket, plan="cannot_ship", reason="stock_shortage")
    assert response.status_code == 302
    page = merchant_client.get(response["Location"])
    assert b"Cannot reply: the ticket is" in page.content


def test_get_on_a_replied_ticket_goes_back_to_it(merchant_client, shop):
    ticket = factories.replied(shop=shop)
    response = merchant_client.get(url(ticket))
    assert response.status_code == 302
    assert response["Location"] == reverse("merchant:ticket", args=[ticket.pk])


def test_foreign_ticket_is_404_and_unchanged(merchant_client, other_shop_ticket):
    assert merchant_client.get(url(other_shop_ticket)).status_code == 404
    response = post(merchant_client, other_shop_ticket, plan="cannot_ship", reason="stock_shortage")
    assert response.status_code == 404
    other_shop_ticket.refresh_from_db()
    assert other_shop_ticket.state == "awaiting_reply"
