"""Second handling (§6): compensate with the policy's amount, or buyer fault with a note and
evidence; every refusal says why; another shop's ticket does not exist."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Compensation, Evidence
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


def url(ticket):
    return reverse("merchant:second-handling", args=[ticket.pk])


def test_form_shows_the_compensation_amount(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out, amount=Decimal("300.00"))
    response = merchant_client.get(url(ticket))
    assert response.status_code == 200
    assert response.context["terms"].amount == Decimal("15.00")  # 5 % of ¥300 (Taobao)
    assert "¥15.00".encode() in response.content


def test_compensate_asks_for_confirmation_first(merchant_client, rolled_out):
    """Compensation is money, once per ticket: the first submit only asks; the confirmation
    (a form of its own, no script needed) pays."""
    ticket = factories.replied(shop=rolled_out, amount=Decimal("300.00"))
    asked = merchant_client.post(url(ticket), {"plan": "compensate", "note": "缺货"})
    assert asked.status_code == 200
    body = asked.content.decode()
    assert 'id="confirm-form"' in body and "¥15.00" in body
    assert 'name="confirm" value="1"' in body and 'name="note" value="缺货"' in body
    assert "onclick" not in body and "<script>" not in body
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_buyer"
    assert not Compensation.objects.filter(ticket=ticket).exists()
    response = merchant_client.post(
        url(ticket), {"plan": "compensate", "note": "缺货", "confirm": "1"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == "compensated"
    assert Compensation.objects.get(ticket=ticket).kind == "stockout"


def test_buyer_fault_with_evidence(merchant_client, rolled_out):
    ticket = factories.agreed(shop=rolled_out)
    response = merchant_client.post(
        url(ticket),
        {
            "plan": "buyer_fault",
            "note": "The buyer asked to hold the parcel",
            "evidence": [factories.upload(), factories.upload("chat.pdf", factories.PDF)],
        },
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == "platform_review"
    complaint = ticket.complaints.get()
    assert complaint.kind == "buyer_fault_claim"
    assert complaint.evidence.count() == 2


@pytest.mark.parametrize(
    "files, message",
    [
        ([], "Attach at least one evidence file."),
        ([("fake.png", b"not an image at all")], "is not a JPEG, PNG or PDF file"),
        ([("p.png", factories.PNG)] * 6, "Attach at most 5 evidence files."),
    ],
)
def test_bad_evidence_is_refused_and_nothing_stored(merchant_client, rolled_out, files, message):
    ticket = factories.replied(shop=rolled_out)
    uploads = [factories.upload(name, content) for name, content in files]
    response = merchant_client.post(
        url(ticket), {"plan": "buyer_fault", "note": "n", "evidence": uploads}
    )
    assert response.status_code == 400
    assert message in response.context["form"].errors["evidence"][0]
    assert Evidence.objects.count() == 0
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_buyer"


def test_oversized_evidence_is_refused(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    response = merchant_client.post(
        url(ticket),
        {"plan": "buyer_fault", "note": "n", "evidence": [factories.big_upload(5 * 2**20 + 1)]},
    )
    assert "larger than 5 MiB" in response.context["form"].errors["evidence"][0]
    assert Evidence.objects.count() == 0


def test_buyer_fault_shows_every_missing_piece_at_once(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    response = merchant_client.post(url(ticket), {"plan": "buyer_fault", "note": ""})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert errors["note"] == ["Explain why the buyer is at fault."]
    assert errors["evidence"] == ["Attach at least one evidence file."]
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_buyer"


def test_buyer_fault_needs_a_note(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    response = merchant_client.post(
        url(ticket), {"plan": "buyer_fault", "note": " ", "evidence": [factories.upload()]}
    )
    assert response.context["form"].errors["note"] == ["Explain why the buyer is at fault."]


def test_compensate_with_evidence_is_refused(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    response = merchant_client.post(
        url(ticket), {"plan": "compensate", "evidence": [factories.upload()]}
    )
    assert response.status_code == 400
    assert response.context["form"].errors["evidence"]


def test_bad_plan_is_a_form_error(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    response = merchant_client.post(url(ticket), {"plan": "refund_everything"})
    assert response.status_code == 400
    assert response.context["form"].errors["plan"]


def test_not_rolled_out_says_why(merchant_client, shop):
    ticket = factories.replied(shop=shop)
    page = merchant_client.get(url(ticket))
    assert b"has not been opened for your shop yet" in page.content
    assert b'id="second-form"' not in page.content
    response = merchant_client.post(url(ticket), {"plan": "compensate", "confirm": "1"})
    assert response.status_code == 302
    follow = merchant_client.get(response["Location"])
    assert b"has not been opened for your shop yet" in follow.content
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_buyer"


def test_replied_before_the_feature_opened_says_why(merchant_client, shop):
    ticket = factories.replied(shop=shop, at=timezone.now() - dt.timedelta(hours=2))
    services.shop_enable_second_handling(shops=[shop])
    page = merchant_client.get(url(ticket))
    assert b"replied to before the feature opened for your shop" in page.content
    merchant_client.post(url(ticket), {"plan": "compensate", "confirm": "1"})
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_buyer"


def test_already_used_says_why(merchant_client, rolled_out):
    ticket = factories.replied(shop=rolled_out)
    merchant_client.post(url(ticket), {"plan": "compensate", "confirm": "1"})
    page = merchant_client.get(url(ticket))
    assert b"already been used for this ticket" in page.content
    response = merchant_client.post(url(ticket), {"plan": "compensate", "confirm": "1"})
    assert response.status_code == 302
    assert Compensation.objects.filter(ticket=ticket).count() == 1


def test_wrong_state_says_why(merchant_client, rolled_out):
    ticket = factories.urged(shop=rolled_out)
    page = merchant_client.get(url(ticket))
    assert b"Second handling is not available" in page.content


def test_after_the_promised_date_is_refused(merchant_client, rolled_out):
    ticket = factories.agreed(shop=rolled_out, days=0)
    later = ticket.ship_deadline + dt.timedelta(minutes=1)
    import time_machine

    with time_machine.travel(later, tick=False):
        page = merchant_client.get(url(ticket))
        assert b"The promised ship date has passed." in page.content
        response = merchant_client.post(url(ticket), {"plan": "compensate", "confirm": "1"})
        follow = merchant_client.get(response["Location"])
    assert b"The promised ship date ended at" in follow.content
    ticket.refresh_from_db()
    assert ticket.state == "agreed"


def test_foreign_ticket_is_404(merchant_client, rolled_out):
    other = factories.replied()
    other.shop.second_handling_since = rolled_out.second_handling_since
    other.shop.save()
    assert merchant_client.get(url(other)).status_code == 404
    assert (
        merchant_client.post(url(other), {"plan": "compensate", "confirm": "1"}).status_code == 404
    )
    other.refresh_from_db()
    assert other.state == "awaiting_buyer"
