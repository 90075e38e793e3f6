"""§11 ticket endpoints and every state conflict of §4 over HTTP."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from complaints.models import Compensation, Complaint, Evidence
from tests import factories
from tests.api.conftest import client_for, open_second_handling, ship_by
from tickets.models import BuyerMessage, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
US = dt.timedelta(microseconds=1)


def post(client, url, body=None, **kwargs):
    kwargs.setdefault("format", "json")
    return client.post(url, body or {}, **kwargs)


def assert_409(response, code):
    assert response.status_code == 409, response.content
    body = response.json()
    assert set(body) == {"code", "detail"} and body["code"] == code and body["detail"]


# -- urge ----------------------------------------------------------------------------------


def test_urge_opens_a_ticket_then_returns_the_open_one(as_buyer, buyer):
    order = factories.OrderFactory(buyer=buyer)
    first = post(as_buyer, "/api/v1/tickets/", {"order_no": order.order_no})
    assert first.status_code == 201
    body = first.json()
    assert (body["state"], body["order_no"], body["buyer"]) == (
        "awaiting_reply",
        order.order_no,
        buyer.username,
    )
    detail = as_buyer.get(f"/api/v1/tickets/{body['id']}/").json()
    assert [e["transition"] for e in detail["timeline"]] == ["urge"]
    again = post(as_buyer, "/api/v1/tickets/", {"order_no": order.order_no})
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    assert Ticket.objects.count() == 1


def test_urge_an_unpaid_order_is_invalid_transition(as_buyer, buyer):
    order = factories.OrderFactory(buyer=buyer, paid_at=None)
    assert_409(
        post(as_buyer, "/api/v1/tickets/", {"order_no": order.order_no}), "invalid_transition"
    )


def test_urge_a_shipped_order_is_invalid_transition(as_buyer, buyer):
    order = factories.OrderFactory(buyer=buyer, shipped_at=timezone.now())
    assert_409(
        post(as_buyer, "/api/v1/tickets/", {"order_no": order.order_no}), "invalid_transition"
    )


def test_urge_someone_elses_order_is_a_404(as_buyer):
    order = factories.OrderFactory()
    response = post(as_buyer, "/api/v1/tickets/", {"order_no": order.order_no})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert not Ticket.objects.exists()


def test_urge_without_order_no_is_a_field_error(as_buyer):
    response = post(as_buyer, "/api/v1/tickets/", {})
    assert response.status_code == 400 and "order_no" in response.json()


# -- reply ---------------------------------------------------------------------------------


def test_reply_ship_later_waits_for_the_buyer_and_messages_them(merchant, shop):
    ticket = factories.urged(shop=shop)
    response = post(
        client_for(merchant),
        f"/api/v1/tickets/{ticket.pk}/reply/",
        {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(5), "note": "n"},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "awaiting_buyer" and body["ship_by"] == ship_by(5)
    assert body["reply_reason"] == "stock_shortage" and body["reply_plan"] == "ship_later"
    detail = client_for(merchant).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["reply_reason"]["buyer_text"]
    assert [e["transition"] for e in detail["timeline"]] == ["urge", "reply"]
    assert BuyerMessage.objects.filter(ticket=ticket, kind="reply").exists()


def test_reply_cannot_ship_files_a_complaint(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    response = post(
        as_merchant,
        f"/api/v1/tickets/{ticket.pk}/reply/",
        {"plan": "cannot_ship", "reason": "stock_shortage"},
    )
    assert response.status_code == 200
    assert response.json()["state"] == "platform_review"
    detail = as_merchant.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert [c["kind"] for c in detail["complaints"]] == ["cannot_ship"]


# Dates are offsets from "today" taken when the test runs, not when it is collected: the
# Shanghai date can turn between the two.
@pytest.mark.parametrize(
    ("body", "days", "field"),
    [
        ({"plan": "ship_later", "reason": "stock_shortage", "ship_by": None}, None, "ship_by"),
        (
            {"plan": "ship_later", "reason": "stock_shortage", "ship_by": "2000-01-01"},
            None,
            "ship_by",
        ),
        ({"plan": "ship_later", "reason": "stock_shortage"}, 31, "ship_by"),
        ({"plan": "cannot_ship", "reason": "warehouse_backlog"}, None, "reason"),
        ({"plan": "ship_later", "reason": "no_such_reason"}, 1, "reason"),
        ({"plan": "maybe", "reason": "stock_shortage"}, None, "plan"),
        ({"plan": "cannot_ship", "reason": "stock_shortage"}, 1, "ship_by"),
    ],
)
def test_bad_reply_is_a_400_on_the_field_and_changes_nothing(as_merchant, shop, body, days, field):
    ticket = factories.urged(shop=shop)
    if days is not None:
        body = body | {"ship_by": ship_by(days)}
    response = post(as_merchant, f"/api/v1/tickets/{ticket.pk}/reply/", body)
    assert response.status_code == 400
    assert field in response.json() and isinstance(response.json()[field], list)
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_REPLY and not ticket.reply_plan


def test_ship_by_past_the_cap_gives_the_announcements_advice(as_merchant, shop):
    ticket = factories.urged(shop=shop, is_fresh=True)
    body = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(16)}
    response = post(as_merchant, f"/api/v1/tickets/{ticket.pk}/reply/", body)
    assert response.status_code == 400
    assert "15" in response.json()["ship_by"][0]


def test_reply_twice_is_invalid_transition(as_merchant, shop):
    ticket = factories.replied(shop=shop)
    body = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(3)}
    assert_409(post(as_merchant, f"/api/v1/tickets/{ticket.pk}/reply/", body), "invalid_transition")


def test_reply_after_the_deadline_is_deadline_passed_even_before_the_sweep(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    with time_machine.travel(ticket.reply_due_at, tick=False):
        body = {"plan": "cannot_ship", "reason": "stock_shortage"}
        response = post(as_merchant, f"/api/v1/tickets/{ticket.pk}/reply/", body)
    assert_409(response, "deadline_passed")
    assert Ticket.objects.get(pk=ticket.pk).state == S.AWAITING_REPLY


def test_reply_a_moment_before_the_deadline_is_accepted(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    with time_machine.travel(ticket.reply_due_at - US, tick=False):
        body = {"plan": "cannot_ship", "reason": "stock_shortage"}
        response = post(as_merchant, f"/api/v1/tickets/{ticket.pk}/reply/", body)
    assert response.status_code == 200


def test_the_buyer_cannot_reply_to_their_own_ticket(buyer):
    ticket = factories.urged(buyer=buyer)
    body = {"plan": "cannot_ship", "reason": "stock_shortage"}
    response = post(client_for(buyer), f"/api/v1/tickets/{ticket.pk}/reply/", body)
    assert response.status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).state == S.AWAITING_REPLY


def test_a_reviewer_reads_but_cannot_reply(as_reviewer):
    ticket = factories.urged()
    assert as_reviewer.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 200
    body = {"plan": "cannot_ship", "reason": "stock_shortage"}
    assert post(as_reviewer, f"/api/v1/tickets/{ticket.pk}/reply/", body).status_code == 403


# -- buyer response ------------------------------------------------------------------------


def test_buyer_accepts_the_plan(as_buyer, buyer):
    ticket = factories.replied(buyer=buyer)
    detail = as_buyer.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert detail["actions"] == ["buyer_response"]
    response = post(as_buyer, f"/api/v1/tickets/{ticket.pk}/buyer-response/", {"accept": True})
    assert response.status_code == 200 and response.json()["state"] == "agreed"
    assert response.json()["buyer_accepted"] is True


def test_buyer_rejects_the_plan_and_a_complaint_is_filed(as_buyer, buyer):
    ticket = factories.replied(buyer=buyer)
    response = post(as_buyer, f"/api/v1/tickets/{ticket.pk}/buyer-response/", {"accept": False})
    assert response.status_code == 200 and response.json()["state"] == "platform_review"
    assert Complaint.objects.get(ticket=ticket).kind == "plan_rejected"


def test_buyer_response_needs_accept(as_buyer, buyer):
    ticket = factories.replied(buyer=buyer)
    response = post(as_buyer, f"/api/v1/tickets/{ticket.pk}/buyer-response/", {})
    assert response.status_code == 400 and "accept" in response.json()


def test_buyer_response_when_not_awaiting_the_buyer_is_invalid_transition(as_buyer, buyer):
    ticket = factories.urged(buyer=buyer)
    response = post(as_buyer, f"/api/v1/tickets/{ticket.pk}/buyer-response/", {"accept": True})
    assert_409(response, "invalid_transition")


def test_buyer_response_after_the_window_is_deadline_passed(as_buyer, buyer):
    ticket = factories.replied(buyer=buyer)
    with time_machine.travel(ticket.buyer_due_at, tick=False):
        response = post(as_buyer, f"/api/v1/tickets/{ticket.pk}/buyer-response/", {"accept": False})
    assert_409(response, "deadline_passed")
    assert not Complaint.objects.exists()


def test_the_merchant_cannot_answer_for_the_buyer(as_merchant, shop):
    ticket = factories.replied(shop=shop)
    response = post(as_merchant, f"/api/v1/tickets/{ticket.pk}/buyer-response/", {"accept": True})
    assert response.status_code == 403


# -- second handling -----------------------------------------------------------------------


def second_handling(client, ticket, **data):
    return client.post(f"/api/v1/tickets/{ticket.pk}/second-handling/", data, format="multipart")


def test_compensate_creates_a_stockout_compensation(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    response = second_handling(as_merchant, ticket, plan="compensate", note="sorry")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "compensated"
    assert Compensation.objects.get(ticket=ticket).kind == "stockout"


def test_compensate_by_json_works_too(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    response = post(
        as_merchant, f"/api/v1/tickets/{ticket.pk}/second-handling/", {"plan": "compensate"}
    )
    assert response.status_code == 200 and response.json()["state"] == "compensated"


def test_buyer_fault_with_evidence_goes_to_review(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    response = second_handling(
        as_merchant,
        ticket,
        plan="buyer_fault",
        note="buyer asked to hold",
        evidence=[factories.upload(), factories.upload("b.pdf", factories.PDF, "application/pdf")],
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "platform_review"
    complaint = Complaint.objects.get(ticket=ticket)
    assert complaint.kind == "buyer_fault_claim" and complaint.evidence.count() == 2


def test_evidence_as_bracketed_field_name_is_accepted(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    response = as_merchant.post(
        f"/api/v1/tickets/{ticket.pk}/second-handling/",
        {"plan": "buyer_fault", "note": "n", "evidence[]": [factories.upload()]},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert Evidence.objects.count() == 1


def test_oversized_evidence_is_a_413_and_nothing_is_stored(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    big = factories.big_upload(5 * 1024 * 1024 + 1)
    response = second_handling(as_merchant, ticket, plan="buyer_fault", note="n", evidence=[big])
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert not Evidence.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).state == S.AGREED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"plan": "buyer_fault", "note": "n"}, "evidence"),
        ({"plan": "buyer_fault", "note": "", "evidence": "PNG"}, "note"),
        ({"plan": "buyer_fault", "note": "n", "evidence": "TXT"}, "evidence"),
        ({"plan": "buyer_fault", "note": "n", "evidence": "SIX"}, "evidence"),
        ({"plan": "compensate", "evidence": "PNG"}, "evidence"),
        ({"plan": "refund"}, "plan"),
    ],
)
def test_bad_second_handling_is_a_400_and_stores_nothing(as_merchant, shop, data, field):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    files = {
        "PNG": [factories.upload()],
        "TXT": [factories.upload("x.png", b"just text, not an image", "image/png")],
        "SIX": [factories.upload(f"{i}.png") for i in range(6)],
    }
    if "evidence" in data:
        data = data | {"evidence": files[data["evidence"]]}
    response = second_handling(as_merchant, ticket, **data)
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Evidence.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).state == S.AGREED


def test_second_handling_twice_is_invalid_transition(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    assert second_handling(as_merchant, ticket, plan="compensate").status_code == 200
    assert_409(second_handling(as_merchant, ticket, plan="compensate"), "invalid_transition")


def test_second_handling_before_a_reply_is_invalid_transition(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.urged(shop=shop)
    assert_409(second_handling(as_merchant, ticket, plan="compensate"), "invalid_transition")


def test_second_handling_without_the_feature_is_invalid_transition(as_merchant, shop):
    ticket = factories.agreed(shop=shop)
    detail = as_merchant.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert "second_handling" not in detail["actions"]
    assert detail["second_handling_unavailable"]
    assert_409(second_handling(as_merchant, ticket, plan="compensate"), "invalid_transition")


def test_ticket_replied_before_the_feature_opened_is_told_why(as_merchant, shop):
    ticket = factories.agreed(shop=shop)
    open_second_handling(shop, since=timezone.now() + dt.timedelta(seconds=1))
    with time_machine.travel(timezone.now() + dt.timedelta(seconds=2), tick=False):
        response = as_merchant.post(
            f"/api/v1/tickets/{ticket.pk}/second-handling/",
            {"plan": "compensate"},
            format="multipart",
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert_409(response, "invalid_transition")
    assert "settle it with the buyer" in response.json()["detail"]


def test_second_handling_after_the_promised_date_is_deadline_passed(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    with time_machine.travel(ticket.ship_deadline, tick=False):
        response = second_handling(as_merchant, ticket, plan="compensate")
    assert_409(response, "deadline_passed")


def test_second_handling_in_review_is_invalid_transition(as_merchant, shop):
    open_second_handling(shop)
    ticket = factories.replied(plan="cannot_ship", shop=shop)
    assert_409(second_handling(as_merchant, ticket, plan="compensate"), "invalid_transition")


# -- list and detail -----------------------------------------------------------------------


def test_list_filters_by_state_shop_created_and_overdue(as_reviewer):
    waiting = factories.urged()
    agreed = factories.agreed()
    url = "/api/v1/tickets/"

    def ids(**params):
        response = as_reviewer.get(url, params)
        assert response.status_code == 200, response.content
        return {t["id"] for t in response.json()["results"]}

    assert ids(state="agreed") == {agreed.pk}
    assert ids(state=["agreed", "awaiting_reply"]) == {agreed.pk, waiting.pk}
    assert ids(shop=waiting.shop_id) == {waiting.pk}
    assert ids(shop_code=agreed.shop.code) == {agreed.pk}
    assert ids(order_no=waiting.order.order_no) == {waiting.pk}
    future = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert ids(created_after=future) == set()
    assert ids(created_before=future) == {agreed.pk, waiting.pk}
    assert ids(overdue="true") == set()
    with time_machine.travel(waiting.reply_due_at + US, tick=False):
        assert ids(overdue="true") == {waiting.pk}
        assert ids(overdue="false") == {agreed.pk}


def test_list_orders_and_paginates(as_reviewer):
    tickets = [factories.urged() for _ in range(3)]
    response = as_reviewer.get("/api/v1/tickets/", {"ordering": "created_at", "page_size": 2})
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert [t["id"] for t in body["results"]] == [t.pk for t in tickets[:2]]
    # Past the documented maximum (200) is bad input, not silently capped.
    too_many = as_reviewer.get("/api/v1/tickets/", {"page_size": 10_000})
    assert too_many.status_code == 400 and list(too_many.json()) == ["page_size"]


def test_bad_filter_value_is_a_400(as_reviewer):
    response = as_reviewer.get("/api/v1/tickets/", {"state": "lost", "created_after": "x"})
    assert response.status_code == 400
    assert {"state", "created"} & set(response.json())


def test_detail_embeds_reason_text_complaints_and_timeline(as_merchant, shop):
    ticket = factories.replied(plan="cannot_ship", shop=shop)
    body = as_merchant.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert body["reply_reason"]["buyer_text"]
    assert body["order"]["order_no"] == ticket.order.order_no
    assert [c["kind"] for c in body["complaints"]] == ["cannot_ship"]
    timeline = [(e["subject"], e["transition"]) for e in body["timeline"]]
    assert timeline == [("ticket", "urge"), ("ticket", "reply"), ("complaint", "file")]
    assert body["timeline"][-1]["actor"] is None  # filed by the platform


def test_a_huge_id_is_a_404_not_a_500(as_reviewer):
    response = as_reviewer.get("/api/v1/tickets/99999999999999999999999999/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    "instant",
    ["0518-06-29T16:38:52+20:37", "2026-05-08T10:00:00-23:59", "0001-01-01T00:00:00+01:00"],
)
def test_odd_offsets_in_created_filters_never_break_the_query(as_reviewer, instant):
    response = as_reviewer.get("/api/v1/tickets/", {"created_after": instant})
    assert response.status_code in (200, 400)
    complaints = as_reviewer.get("/api/v1/complaints/", {"filed_before": instant})
    assert complaints.status_code in (200, 400)
