"""§11 complaint endpoints and the §7 conflicts reachable over the API (the appeal)."""

import pytest
import time_machine

from complaints import services as complaint_services
from complaints.models import ComplaintState as C
from tests import factories
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def upheld(reviewer, **kwargs):
    ticket, complaint = factories.in_review(reviewer=reviewer, **kwargs)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    complaint.refresh_from_db()
    return ticket, complaint


def appeal(client, complaint, note="the parcel left on time", **kwargs):
    return client.post(
        f"/api/v1/complaints/{complaint.pk}/appeal/", {"note": note}, format="json", **kwargs
    )


def test_merchant_appeals_an_upheld_complaint(reviewer, merchant, shop):
    _, complaint = upheld(reviewer, shop=shop)
    response = appeal(client_for(merchant), complaint)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "appealed" and body["appeal_note"] == "the parcel left on time"
    assert body["can_appeal"] is False
    complaint.refresh_from_db()
    assert complaint.state == C.APPEALED


def test_detail_shows_liability_and_compensation(reviewer, as_merchant, shop):
    _, complaint = upheld(reviewer, shop=shop)
    body = as_merchant.get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert body["liability"]["points"] == 3 and body["can_appeal"] is True
    assert [c["kind"] for c in body["compensations"]] == ["late_shipment"]
    assert body["kind"] == "cannot_ship" and body["state"] == "upheld"


def test_appeal_of_a_pending_complaint_is_invalid_transition(as_merchant, shop):
    ticket = factories.replied(plan="cannot_ship", shop=shop)
    response = appeal(as_merchant, ticket.complaints.get())
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_appeal_twice_is_invalid_transition(reviewer, as_merchant, shop):
    _, complaint = upheld(reviewer, shop=shop)
    assert appeal(as_merchant, complaint).status_code == 200
    response = appeal(as_merchant, complaint)
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


def test_appeal_after_30_days_is_deadline_passed(reviewer, as_merchant, shop):
    _, complaint = upheld(reviewer, shop=shop)
    with time_machine.travel(complaint.appeal_due_at, tick=False):
        response = appeal(as_merchant, complaint)
    assert response.status_code == 409 and response.json()["code"] == "deadline_passed"
    complaint.refresh_from_db()
    assert complaint.state == C.UPHELD


def test_appeal_needs_a_note(reviewer, as_merchant, shop):
    _, complaint = upheld(reviewer, shop=shop)
    response = appeal(as_merchant, complaint, note="   ")
    assert response.status_code == 400 and "note" in response.json()


def test_a_reviewer_cannot_appeal(reviewer, as_reviewer):
    _, complaint = upheld(reviewer)
    assert appeal(as_reviewer, complaint).status_code == 403


def test_list_filters_by_state_kind_shop_and_overdue(reviewer, as_reviewer):
    pending = factories.replied(plan="cannot_ship").complaints.get()
    _, decided = upheld(reviewer)

    def ids(**params):
        response = as_reviewer.get("/api/v1/complaints/", params)
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()["results"]}

    assert ids() == {pending.pk, decided.pk}
    assert ids(state="upheld") == {decided.pk}
    assert ids(kind="cannot_ship") == {pending.pk, decided.pk}
    assert ids(kind="reply_timeout") == set()
    assert ids(shop=pending.ticket.shop_id) == {pending.pk}
    assert ids(ticket=decided.ticket_id) == {decided.pk}
    assert ids(overdue="true") == set()
    with time_machine.travel(pending.review_due_at, tick=False):
        assert ids(overdue="true") == {pending.pk}


def test_buyers_see_no_complaints(as_buyer, buyer):
    ticket = factories.replied(plan="cannot_ship", buyer=buyer)
    assert as_buyer.get("/api/v1/complaints/").json()["count"] == 0
    complaint = ticket.complaints.get()
    assert as_buyer.get(f"/api/v1/complaints/{complaint.pk}/").status_code == 404
