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


def test_reasons_carry_their_plans_and_buyer_text(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = merchant_client.get(url(ticket))
    reasons = {r["code"]: r for r in response.context["reasons_json"]}
    assert reasons["exchange_negotiated"]["plans"] == ["exchange_agreed"]
    assert reasons["stock_shortage"]["buyer_text"] == "商品暂时缺货，商家正在加急补货。"
    assert b'id="buyer-preview"' in response.content


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
    assert message.startswith("商家回复：后续可发。原因：商品暂时缺货，商家正在加急补货。预计")
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
