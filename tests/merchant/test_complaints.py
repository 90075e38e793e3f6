"""Complaints of the merchant's shops (§7) and the appeal while its window is open."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from complaints import services as complaint_services
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


def upheld(*, reviewer, **kwargs):
    ticket, complaint = factories.in_review(reviewer=reviewer, **kwargs)
    complaint_services.complaint_uphold(
        complaint_id=complaint.pk, reviewer=reviewer, note="late again"
    )
    complaint.refresh_from_db()
    return complaint


def detail(complaint):
    return reverse("merchant:complaint", args=[complaint.pk])


def appeal(complaint):
    return reverse("merchant:appeal", args=[complaint.pk])


def test_list_is_scoped_and_filtered(merchant_client, shop, reviewer):
    pending = factories.replied(shop=shop, plan="cannot_ship").complaints.get()
    decided = upheld(reviewer=reviewer, shop=shop)
    foreign = factories.replied(plan="cannot_ship").complaints.get()
    response = merchant_client.get(reverse("merchant:complaints"))
    listed = [c.pk for c in response.context["page"]]
    assert set(listed) == {pending.pk, decided.pk}
    assert foreign.pk not in listed
    upheld_only = merchant_client.get(reverse("merchant:complaints"), {"state": "upheld"})
    assert [c.pk for c in upheld_only.context["page"]] == [decided.pk]
    assert merchant_client.get(reverse("merchant:complaints"), {"kind": "x"}).status_code == 200


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_is_bounded(merchant_client, shop, rows, django_assert_max_num_queries):
    for _ in range(rows):
        factories.replied(shop=shop, plan="cannot_ship")
    with django_assert_max_num_queries(7):
        response = merchant_client.get(reverse("merchant:complaints"))
    assert len(response.context["page"]) == min(rows, 25)


def test_detail_shows_the_decision_and_appeal_form(merchant_client, shop, reviewer):
    complaint = upheld(reviewer=reviewer, shop=shop)
    response = merchant_client.get(detail(complaint))
    assert response.status_code == 200
    assert response.context["can_appeal"] is True
    assert b"late again" in response.content
    assert appeal(complaint).encode() in response.content
    assert response.context["liability"].points == 3


def test_appeal_within_the_window(merchant_client, shop, reviewer):
    complaint = upheld(reviewer=reviewer, shop=shop)
    response = merchant_client.post(appeal(complaint), {"note": "It shipped on time: waybill"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.state == "appealed"
    page = merchant_client.get(response["Location"])
    assert b"Appeal sent" in page.content
    assert b"waiting for a reviewer" in page.content


def test_appeal_needs_a_note(merchant_client, shop, reviewer):
    complaint = upheld(reviewer=reviewer, shop=shop)
    response = merchant_client.post(appeal(complaint), {"note": "   "})
    assert response.status_code == 400
    assert response.context["form"].errors["note"]
    complaint.refresh_from_db()
    assert complaint.state == "upheld"


def test_appeal_after_the_window_is_refused(merchant_client, merchant, shop, reviewer):
    complaint = upheld(reviewer=reviewer, shop=shop)
    with time_machine.travel(complaint.appeal_due_at + dt.timedelta(seconds=1), tick=False):
        merchant_client.force_login(merchant)  # the first session expired meanwhile
        page = merchant_client.get(detail(complaint))
        assert page.context["can_appeal"] is False
        assert b"The appeal window closed at" in page.content
        response = merchant_client.post(appeal(complaint), {"note": "late"})
        follow = merchant_client.get(response["Location"])
    assert b"The appeal window closed at" in follow.content
    complaint.refresh_from_db()
    assert complaint.state == "upheld"


def test_appeal_of_a_pending_complaint_is_refused(merchant_client, shop):
    complaint = factories.replied(shop=shop, plan="cannot_ship").complaints.get()
    page = merchant_client.get(detail(complaint))
    assert b"Only an upheld complaint can be appealed" in page.content
    response = merchant_client.post(appeal(complaint), {"note": "why"})
    assert response.status_code == 302
    follow = merchant_client.get(response["Location"])
    assert b"Only an upheld complaint can be appealed; this one is" in follow.content


def test_appeal_is_post_only(merchant_client, shop):
    complaint = factories.replied(shop=shop, plan="cannot_ship").complaints.get()
    assert merchant_client.get(appeal(complaint)).status_code == 405


def test_foreign_complaint_is_404(merchant_client, reviewer):
    foreign = upheld(reviewer=reviewer)
    assert merchant_client.get(detail(foreign)).status_code == 404
    assert merchant_client.post(appeal(foreign), {"note": "mine?"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == "upheld"


def test_a_buyer_fault_claim_is_listed_as_the_shops_own(merchant_client, rolled_out):
    ticket = factories.agreed(shop=rolled_out)
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="the buyer asked to hold it",
        evidence=[factories.upload()],
    )
    claim = ticket.complaints.get()
    for_buyer = factories.replied(shop=rolled_out, plan="cannot_ship").complaints.get()
    body = merchant_client.get(reverse("merchant:complaints")).content.decode()

    def filed_by(complaint):
        row = body[body.index(f'data-complaint="{complaint.pk}"') :]
        cell = row[row.index("data-filed-by>") :]
        return cell[len("data-filed-by>") : cell.index("</td>")].strip()

    assert filed_by(claim) == "Your shop (buyer-fault claim)"
    assert filed_by(for_buyer) == "Platform, for the buyer"
    assert "on buyers' behalf." not in body
    page = merchant_client.get(detail(claim)).content.decode()
    assert "Your shop (buyer-fault claim)" in page and "Platform, for the buyer" not in page


def test_a_granted_appeal_tags_the_compensation_reversed_too(merchant_client, shop, reviewer):
    complaint = upheld(reviewer=reviewer, shop=shop)
    complaint_services.complaint_appeal(
        complaint_id=complaint.pk, actor=factories.staff_of(complaint.ticket), note="shipped"
    )
    complaint_services.complaint_grant_appeal(
        complaint_id=complaint.pk, reviewer=reviewer, note="the waybill shows it"
    )
    body = merchant_client.get(detail(complaint)).content.decode()
    card = body[body.index("data-liability") :]
    card = card[: card.index("</section>")]
    compensation = card[card.index("data-compensation") :]
    assert "reversed" in card[: card.index("data-compensation")]  # the points
    assert "tag-reversed" in compensation  # and the compensation with them
    ticket_page = merchant_client.get(
        reverse("merchant:ticket", args=[complaint.ticket_id])
    ).content.decode()
    listed = ticket_page[ticket_page.index("data-compensation") :]
    assert "tag-reversed" in listed[: listed.index("</li>")]


def test_the_appeal_card_comes_first_with_its_deadline(merchant_client, shop, reviewer):
    complaint = upheld(reviewer=reviewer, shop=shop)
    body = merchant_client.get(detail(complaint)).content.decode()
    start = body.index('<section class="card actions-card" id="appeal"')
    assert start < body.index("detail-main")
    assert "data-deadline" in body[start : body.index("</section>", start)]
