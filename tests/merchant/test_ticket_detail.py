"""The ticket detail: order, timeline, buyer messages, complaints, and only the actions
allowed now."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


def url(ticket):
    return reverse("merchant:ticket", args=[ticket.pk])


def test_detail_shows_order_timeline_and_messages(merchant_client, shop):
    ticket = factories.replied(shop=shop)
    response = merchant_client.get(url(ticket))
    assert response.status_code == 200
    body = response.content.decode()
    assert ticket.order.order_no in body
    labels = [line["label"] for line in response.context["timeline"]]
    assert labels == ["Buyer urged shipment", "Merchant replied"]
    reply_line = response.context["timeline"][1]
    assert reply_line["actor"] == factories.staff_of(ticket).username
    assert ("Plan", "Ship later") in reply_line["details"]
    assert len(response.context["buyer_messages"]) == 2
    assert "商家回复：后续可发" in body


def test_awaiting_reply_offers_the_reply_only(merchant_client, shop):
    ticket = factories.urged(shop=shop)
    response = merchant_client.get(url(ticket))
    assert response.context["actions"]["reply"] is True
    assert response.context["actions"]["second_handling"] is False
    assert reverse("merchant:reply", args=[ticket.pk]).encode() in response.content
    assert reverse("merchant:second-handling", args=[ticket.pk]).encode() not in response.content


def test_past_reply_deadline_offers_nothing_and_says_why(merchant_client, shop):
    ticket = factories.urged(shop=shop, at=timezone.now() - dt.timedelta(hours=25))
    response = merchant_client.get(url(ticket))
    assert response.context["actions"]["reply"] is False
    assert b"The reply deadline has passed" in response.content
    assert reverse("merchant:reply", args=[ticket.pk]).encode() not in response.content


def test_second_handling_offered_where_rolled_out(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    response = merchant_client.get(url(ticket))
    assert response.context["actions"]["second_handling"] is True
    assert reverse("merchant:second-handling", args=[ticket.pk]).encode() in response.content


def test_second_handling_absent_says_why(merchant_client, shop):
    ticket = factories.replied(shop=shop)
    response = merchant_client.get(url(ticket))
    assert response.context["actions"]["second_handling"] is False
    assert b"has not been opened for your shop" in response.content


def test_complaint_and_its_evidence_are_shown(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="Buyer asked us to hold it",
        evidence=[factories.upload()],
    )
    response = merchant_client.get(url(ticket))
    complaint = ticket.complaints.get()
    evidence = complaint.evidence.get()
    assert reverse("merchant:complaint", args=[complaint.pk]).encode() in response.content
    assert reverse("merchant:evidence", args=[evidence.pk]).encode() in response.content
    assert response.context["actions"]["second_handling"] is False


def test_foreign_or_missing_ticket_is_404(merchant_client, other_shop_ticket):
    assert merchant_client.get(url(other_shop_ticket)).status_code == 404
    assert merchant_client.get("/merchant/tickets/999999/").status_code == 404
    assert merchant_client.get("/merchant/tickets/abc/").status_code == 404


def test_own_ticket_of_another_shop_switches_the_shop(merchant_client, merchant):
    from tickets.models import ShopMembership

    second = factories.ShopFactory()
    ShopMembership.objects.create(user=merchant, shop=second)
    ticket = factories.urged(shop=second)
    response = merchant_client.get(url(ticket))
    assert response.status_code == 200
    assert merchant_client.session["merchant_shop_id"] == second.pk


def test_detail_query_count_is_bounded(merchant_client, rolled_out, django_assert_max_num_queries):
    ticket = factories.replied(shop=rolled_out)
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="n",
        evidence=[factories.upload(), factories.upload("b.pdf", factories.PDF)],
    )
    with django_assert_max_num_queries(16):
        assert merchant_client.get(url(ticket)).status_code == 200


def test_past_ship_date_says_what_happens_next(merchant_client, shop):
    import time_machine

    ticket = factories.agreed(shop=shop, days=0)
    with time_machine.travel(ticket.ship_deadline + dt.timedelta(minutes=5), tick=False):
        merchant_client.force_login(factories.staff_of(ticket))
        response = merchant_client.get(url(ticket))
    assert response.context["actions"]["ship_overdue"] is True
    assert b"The promised ship date has passed" in response.content
    # The advice to ship by the date is not shown beside a date that has passed.
    assert b"Ship by the promised date;" not in response.content


def test_agreed_before_the_date_advises_shipping_by_it(merchant_client, shop):
    ticket = factories.agreed(shop=shop)
    response = merchant_client.get(url(ticket))
    assert response.context["actions"]["ship_overdue"] is False
    assert b"Ship by the promised date;" in response.content


def test_buyer_past_their_window_is_not_the_merchants_lateness(merchant_client, shop):
    """Past the buyer's window the plan counts as accepted (their silence): no red overdue
    countdown, no danger notice, and the ticket does not count as overdue for the merchant."""
    import time_machine

    ticket = factories.replied(shop=shop)
    with time_machine.travel(ticket.buyer_due_at + dt.timedelta(minutes=5), tick=False):
        response = merchant_client.get(url(ticket))
        listed = merchant_client.get(reverse("merchant:tickets"))
        overdue_only = merchant_client.get(reverse("merchant:tickets"), {"overdue": "1"})
        not_overdue = merchant_client.get(reverse("merchant:tickets"), {"overdue": "0"})
        dashboard = merchant_client.get(reverse("merchant:dashboard"))
    body = response.content.decode()
    actions = body[
        body.index('id="actions"') : body.index("</section>", body.index('id="actions"'))
    ]
    assert "data-buyer-window-over" in actions
    assert "data-deadline" not in actions  # no countdown that turns red
    assert "notice-danger" not in actions
    row = listed.content.decode()
    row = row[row.index(f'data-ticket="{ticket.pk}"') :]
    row = row[: row.index("</tr>")]
    assert "Buyer silent: deemed accepted" in row and "Overdue" not in row
    assert "data-deadline" not in row
    assert list(overdue_only.context["page"]) == []
    assert [t.pk for t in not_overdue.context["page"]] == [ticket.pk]
    assert dashboard.context["overdue_count"] == 0


def test_reply_past_its_deadline_is_overdue_for_the_merchant(merchant_client, shop):
    import time_machine

    ticket = factories.urged(shop=shop)
    with time_machine.travel(ticket.reply_due_at + dt.timedelta(minutes=5), tick=False):
        overdue_only = merchant_client.get(reverse("merchant:tickets"), {"overdue": "1"})
        dashboard = merchant_client.get(reverse("merchant:dashboard"))
    assert [t.pk for t in overdue_only.context["page"]] == [ticket.pk]
    assert dashboard.context["overdue_count"] == 1
