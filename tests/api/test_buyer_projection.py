"""§17 and §14: a buyer sees their ticket as a buyer should. States, times, plan, the reason's
buyer text, ship-by date, deadlines, their own response and the messages sent to them; never a
staff member's or reviewer's username (the actor is 商家 / 平台 / 系统), never an internal note
(reply, second handling, decision, appeal), evidence or liability. The shop's staff and the
platform keep the whole ticket."""

import json

import pytest
from django.utils import timezone

from complaints import services as complaint_services
from tests import factories
from tickets import services
from tickets.models import Ticket

from .conftest import client_for, open_second_handling, ship_by

pytestmark = pytest.mark.django_db

REPLY_NOTE = "REPLY-NOTE-restock-from-the-cheap-supplier"
SECOND_NOTE = "SECOND-NOTE-buyer-was-rude-on-the-phone"
DECISION_NOTE = "DECISION-NOTE-merchant-has-3-prior-strikes"
APPEAL_NOTE = "APPEAL-NOTE-our-carrier-contract-says"
APPEAL_DECISION_NOTE = "APPEAL-DECISION-NOTE-contract-irrelevant"
SECRETS = (REPLY_NOTE, SECOND_NOTE, DECISION_NOTE, APPEAL_NOTE, APPEAL_DECISION_NOTE)

BUYER_DETAIL_FIELDS = {
    "id",
    "order_no",
    "shop",
    "shop_id",
    "shop_name",
    "buyer",
    "state",
    "state_display",
    "created_at",
    "reply_due_at",
    "reply_plan",
    "reply_reason",
    "replied_at",
    "ship_by",
    "ship_deadline",
    "buyer_due_at",
    "buyer_accepted",
    "buyer_responded_at",
    "second_handling_plan",
    "second_handled_at",
    "settlement",
    "settled_at",
    "completed_at",
    "deadline",
    "is_overdue",
    "order",
    "complaints",
    "timeline",
    "actions",
}
TIMELINE_FIELDS = {
    "at",
    "subject",
    "transition",
    "source_state",
    "state",
    "actor_role",
    "actor",
    "payload",
}


@pytest.fixture
def story(monkeypatch, tmp_path, merchant, shop, buyer, reviewer, order_system):
    """A ticket through every kind of step that carries a note or names a person: the buyer
    urges and accepts; the merchant replies and claims buyer fault with evidence; a reviewer
    upholds; the merchant appeals; the reviewer denies the appeal; the order ships."""
    factories.isolate_evidence_storage(monkeypatch, tmp_path / "evidence")
    open_second_handling(shop)
    order = factories.OrderFactory(shop=shop, buyer=buyer)
    buyer_api, merchant_api = client_for(buyer), client_for(merchant)
    ticket_id = buyer_api.post(
        "/api/v1/tickets/", {"order_no": order.order_no}, format="json"
    ).json()["id"]
    reply = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(5)}
    response = merchant_api.post(
        f"/api/v1/tickets/{ticket_id}/reply/", reply | {"note": REPLY_NOTE}, format="json"
    )
    assert response.status_code == 200
    buyer_api.post(f"/api/v1/tickets/{ticket_id}/buyer-response/", {"accept": True}, format="json")
    response = merchant_api.post(
        f"/api/v1/tickets/{ticket_id}/second-handling/",
        {"plan": "buyer_fault", "note": SECOND_NOTE, "evidence": [factories.upload("chat.png")]},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    complaint = Ticket.objects.get(pk=ticket_id).complaints.get()
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint_services.complaint_uphold(
        complaint_id=complaint.pk, reviewer=reviewer, note=DECISION_NOTE
    )
    complaint_services.complaint_appeal(complaint_id=complaint.pk, actor=merchant, note=APPEAL_NOTE)
    complaint_services.complaint_deny_appeal(
        complaint_id=complaint.pk, reviewer=reviewer, note=APPEAL_DECISION_NOTE
    )
    services.order_settle(
        order_no=order.order_no, settlement="shipped", at=timezone.now(), actor=order_system
    )
    return {"ticket_id": ticket_id, "people": (merchant, reviewer, order_system)}


def test_the_buyer_gets_exactly_the_buyers_fields(story, buyer):
    detail = client_for(buyer).get(f"/api/v1/tickets/{story['ticket_id']}/").json()
    assert set(detail) == BUYER_DETAIL_FIELDS
    assert set(detail["reply_reason"]) == {"code", "buyer_text"}
    assert detail["reply_reason"]["code"] == "stock_shortage"
    assert set(detail["order"]) == {
        "order_no",
        "amount",
        "is_fresh",
        "paid_at",
        "shipped_at",
        "refunded_at",
    }
    assert [set(c) for c in detail["complaints"]] == [{"kind", "state", "filed_at"}]
    assert detail["complaints"][0]["kind"] == "buyer_fault_claim"
    assert detail["buyer"] == buyer.username
    assert (detail["state"], detail["reply_plan"], detail["second_handling_plan"]) == (
        "completed",
        "ship_later",
        "buyer_fault",
    )
    assert detail["buyer_accepted"] is True and detail["buyer_responded_at"]
    assert detail["actions"] == []


def test_the_buyers_timeline_names_roles_and_keeps_no_note(story, buyer):
    detail = client_for(buyer).get(f"/api/v1/tickets/{story['ticket_id']}/").json()
    timeline = detail["timeline"]
    assert all(set(entry) == TIMELINE_FIELDS for entry in timeline)
    steps = [(e["subject"], e["transition"], e["actor_role"], e["actor"]) for e in timeline]
    assert steps == [
        ("ticket", "urge", "buyer", "买家"),
        ("ticket", "reply", "merchant", "商家"),
        ("ticket", "accept", "buyer", "买家"),
        ("ticket", "claim_buyer_fault", "merchant", "商家"),
        ("complaint", "file", "merchant", "商家"),
        ("complaint", "claim", "platform", "平台"),
        ("complaint", "uphold", "platform", "平台"),
        ("ticket", "complaint_finished", "system", "系统"),
        ("complaint", "appeal", "merchant", "商家"),
        ("complaint", "deny_appeal", "platform", "平台"),
        ("ticket", "settle", "system", "系统"),
    ]
    payloads = {e["transition"]: e["payload"] for e in timeline}
    assert set(payloads["reply"]) == {"plan", "reason", "ship_by"}
    assert payloads["reply"]["plan"] == "ship_later"
    assert payloads["urge"] == {"order_no": detail["order_no"]}
    assert payloads["accept"] == {"accept": True}
    assert payloads["claim_buyer_fault"] == {"plan": "buyer_fault"}  # no note, no evidence
    assert payloads["file"] == {"kind": "buyer_fault_claim"}
    for transition in ("uphold", "appeal", "deny_appeal", "complaint_finished", "claim"):
        assert payloads[transition] == {}, transition
    assert set(payloads["settle"]) == {"settlement", "at"}


def test_the_buyers_actors_are_in_the_callers_language(story, buyer):
    response = client_for(buyer).get(
        f"/api/v1/tickets/{story['ticket_id']}/", HTTP_ACCEPT_LANGUAGE="en"
    )
    actors = {e["actor"] for e in response.json()["timeline"]}
    assert actors == {"Buyer", "Merchant", "Platform", "System"}


def test_nothing_internal_reaches_the_buyer_anywhere(story, buyer):
    """Detail, list, messages: no note, no staff username, no evidence, no liability."""
    api = client_for(buyer)
    answers = [
        api.get(f"/api/v1/tickets/{story['ticket_id']}/").content.decode(),
        api.get("/api/v1/tickets/").content.decode(),
        api.get("/api/v1/messages/?page_size=200").content.decode(),
    ]
    names = [person.username for person in story["people"]]
    for text in answers:
        for forbidden in (*SECRETS, *names, "chat.png", "sha256", "points", "reply_note"):
            assert forbidden not in text, forbidden
    assert "second_handling_note" not in answers[0] and "evidence" not in answers[0]


def test_no_buyer_message_carries_a_note(story):
    """The outbox (§10) is what the buyer app shows and the webhook sends: no note there."""
    from tickets.models import BuyerMessage

    messages = BuyerMessage.objects.filter(ticket_id=story["ticket_id"])
    assert messages.count() >= 5
    for message in messages:
        dumped = message.text + json.dumps(message.payload, ensure_ascii=False)
        for secret in SECRETS:
            assert secret not in dumped, (message.kind, secret)


@pytest.mark.parametrize("who", ["merchant", "reviewer"])
def test_staff_keep_the_whole_ticket(story, who, merchant, reviewer):
    user = {"merchant": merchant, "reviewer": reviewer}[who]
    detail = client_for(user).get(f"/api/v1/tickets/{story['ticket_id']}/").json()
    assert detail["reply_note"] == REPLY_NOTE
    assert detail["second_handling_note"] == SECOND_NOTE
    assert "second_handling_unavailable" in detail and "first_action_at" in detail
    actors = {e["transition"]: e["actor"] for e in detail["timeline"]}
    assert actors["reply"] == merchant.username and actors["uphold"] == reviewer.username
    payloads = {e["transition"]: e["payload"] for e in detail["timeline"]}
    assert payloads["reply"]["note"] == REPLY_NOTE
    assert payloads["uphold"]["note"] == DECISION_NOTE
    assert set(detail["reply_reason"]) == {"code", "side", "label", "label_en", "buyer_text"}


def test_the_buyers_projection_costs_a_fixed_number_of_queries(
    story, buyer, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = client_for(buyer).get(f"/api/v1/tickets/{story['ticket_id']}/")
    assert response.status_code == 200
