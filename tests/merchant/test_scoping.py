"""Another shop's objects do not exist for a merchant (§3): every object page and form,
read or write, answers 404 and changes nothing; a buyer gets no merchant page at all and
cannot tell an existing id from a missing one."""

import pytest
from django.urls import reverse

from complaints import services as complaint_services
from complaints.models import Evidence
from tests import factories
from tickets import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def foreign(reviewer):
    """A ticket of another shop with an upheld complaint carrying evidence."""
    ticket = factories.replied()
    shop = ticket.shop
    shop.second_handling_since = ticket.replied_at
    shop.save(update_fields=["second_handling_since"])
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="n",
        evidence=[factories.upload()],
    )
    complaint = ticket.complaints.get()
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="x")
    return {"ticket": ticket, "complaint": complaint, "evidence": Evidence.objects.get()}


def requests_for(objects):
    t, c, e = objects["ticket"].pk, objects["complaint"].pk, objects["evidence"].pk
    return [
        ("get", reverse("merchant:ticket", args=[t]), {}),
        ("get", reverse("merchant:reply", args=[t]), {}),
        ("post", reverse("merchant:reply", args=[t]), {"plan": "cannot_ship", "reason": "x"}),
        ("get", reverse("merchant:second-handling", args=[t]), {}),
        ("post", reverse("merchant:second-handling", args=[t]), {"plan": "compensate"}),
        ("get", reverse("merchant:complaint", args=[c]), {}),
        ("post", reverse("merchant:appeal", args=[c]), {"note": "mine"}),
        ("get", reverse("merchant:evidence", args=[e]), {}),
    ]


def test_every_object_page_is_404_for_another_shops_merchant(merchant_client, foreign):
    order_no = foreign["ticket"].order.order_no.encode()
    for method, url, data in requests_for(foreign):
        response = getattr(merchant_client, method)(url, data)
        assert response.status_code == 404, (method, url)
        assert order_no not in response.content
    foreign["complaint"].refresh_from_db()
    assert foreign["complaint"].state == "upheld"
    assert foreign["ticket"].complaints.count() == 1


def test_lists_never_show_another_shops_rows(merchant_client, foreign):
    order_no = foreign["ticket"].order.order_no.encode()
    for name in ("merchant:dashboard", "merchant:tickets", "merchant:complaints"):
        assert order_no not in merchant_client.get(reverse(name)).content


def test_a_buyer_cannot_tell_existing_from_missing(en_client, foreign):
    en_client.force_login(foreign["ticket"].buyer)
    order_no = foreign["ticket"].order.order_no.encode()
    missing = {"ticket": type("X", (), {"pk": 999999})(), "complaint": None, "evidence": None}
    missing["complaint"], missing["evidence"] = missing["ticket"], missing["ticket"]
    for (method, url, data), (_m, other_url, _d) in zip(
        requests_for(foreign), requests_for(missing), strict=True
    ):
        existing = getattr(en_client, method)(url, data)
        absent = getattr(en_client, method)(other_url, data)
        assert existing.status_code == absent.status_code, url
        assert existing.status_code in (403, 404)
        assert order_no not in existing.content
