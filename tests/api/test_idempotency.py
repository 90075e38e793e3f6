"""`Idempotency-Key` on every POST (§11): the same key from the same caller returns the first
response and changes nothing more; another request with the key is a 422; keys expire after
24 hours; two concurrent requests with one key never both act."""

import datetime as dt
import io
import threading

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from complaints.models import Complaint
from idempotency.models import IdempotencyKey
from idempotency.services import idempotency_purge_expired
from tests import factories
from tests.api.conftest import client_for, ship_by
from tickets.models import BuyerMessage, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db

KEY = "5f0c8b9e-reply-1"


def reply(client, ticket, key=KEY, **body):
    body = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(3)} | body
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1/tickets/{ticket.pk}/reply/", body, format="json", **headers)


def test_repeat_returns_the_first_response_and_changes_nothing(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    first = reply(as_merchant, ticket)
    messages = BuyerMessage.objects.count()
    again = reply(as_merchant, ticket)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert BuyerMessage.objects.count() == messages


def test_without_a_key_the_repeat_is_refused_by_the_state(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    assert reply(as_merchant, ticket, key=None).status_code == 200
    assert reply(as_merchant, ticket, key=None).status_code == 409


def test_urge_replay_keeps_its_201(as_buyer, buyer):
    order = factories.OrderFactory(buyer=buyer)
    headers = {"HTTP_IDEMPOTENCY_KEY": "urge-1"}
    body = {"order_no": order.order_no}
    first = as_buyer.post("/api/v1/tickets/", body, format="json", **headers)
    again = as_buyer.post("/api/v1/tickets/", body, format="json", **headers)
    assert first.status_code == again.status_code == 201
    assert Ticket.objects.count() == 1


def test_same_key_with_another_body_is_a_422_and_changes_nothing(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    reply(as_merchant, ticket)
    response = reply(as_merchant, ticket, plan="cannot_ship", ship_by=None)
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Ticket.objects.get(pk=ticket.pk).state == S.AWAITING_BUYER
    assert not Complaint.objects.exists()


def test_same_key_on_another_endpoint_is_a_422(as_merchant, shop):
    one, two = factories.urged(shop=shop), factories.urged(shop=shop)
    reply(as_merchant, one)
    assert reply(as_merchant, two).status_code == 422
    assert Ticket.objects.get(pk=two.pk).state == S.AWAITING_REPLY


def test_keys_belong_to_their_caller(shop):
    ticket = factories.urged(shop=shop)
    colleague = factories.merchant(shop=shop)
    first = reply(client_for(factories.staff_of(ticket)), ticket)
    assert first.status_code == 200
    # Another caller's identical key is their own key: the request runs (and is refused).
    second = reply(client_for(colleague), ticket)
    assert second.status_code == 409


def test_a_failed_request_keeps_no_key_and_may_be_retried(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    bad = reply(as_merchant, ticket, ship_by="2000-01-01")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    assert reply(as_merchant, ticket, ship_by="2000-01-01").status_code == 400
    assert reply(as_merchant, ticket, key="fresh").status_code == 200


def test_keys_expire_after_24_hours(as_merchant, shop):
    one = factories.urged(shop=shop)
    reply(as_merchant, one)
    with time_machine.travel(timezone.now() + dt.timedelta(hours=24, seconds=1)):
        # The expired key is free again, for any request.
        two = factories.urged(shop=shop)
        response = reply(as_merchant, two, ship_by=ship_by(3))
    assert response.status_code == 200 and response.json()["id"] == two.pk


@pytest.mark.parametrize("key", ["", "x" * 256, "spaces are not allowed", "中文"])
def test_a_malformed_key_is_a_400(as_merchant, shop, key):
    ticket = factories.urged(shop=shop)
    response = as_merchant.post(
        f"/api/v1/tickets/{ticket.pk}/reply/",
        {"plan": "cannot_ship", "reason": "stock_shortage"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key.encode().decode("latin-1"),
    )
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert Ticket.objects.get(pk=ticket.pk).state == S.AWAITING_REPLY


def test_multipart_bodies_are_compared_by_file_content(as_merchant, shop):
    from tests.api.conftest import open_second_handling

    open_second_handling(shop)
    ticket = factories.agreed(shop=shop)
    url = f"/api/v1/tickets/{ticket.pk}/second-handling/"
    headers = {"HTTP_IDEMPOTENCY_KEY": "sh-1"}

    def send(content):
        data = {
            "plan": "buyer_fault",
            "note": "n",
            "evidence": [factories.upload("a.png", content)],
        }
        return as_merchant.post(url, data, format="multipart", **headers)

    first = send(factories.PNG)
    assert first.status_code == 200
    assert send(factories.PNG).json() == first.json()
    assert send(factories.PNG + b"\0").status_code == 422
    assert Complaint.objects.get(ticket=ticket).evidence.count() == 1


def test_purge_deletes_only_expired_keys(as_merchant, shop):
    reply(as_merchant, factories.urged(shop=shop), key="old")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=20)):
        reply(as_merchant, factories.urged(shop=shop), key="new")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=25)):
        assert idempotency_purge_expired(batch=1) == 1
        out = io.StringIO()
        call_command("purge_idempotency_keys", stdout=out)
        assert out.getvalue().startswith("deleted 0 ")
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_one_key_act_once():
    """Two threads send the same keyed reply at once: one acts, the other waits on the key row
    and replays its response; exactly one reply is recorded."""
    ticket = factories.urged()
    client_a = client_for(factories.staff_of(ticket))
    client_b = client_for(factories.staff_of(ticket))
    barrier, results = threading.Barrier(2), []

    def send(client):
        try:
            barrier.wait()
            results.append(reply(client, ticket, key="race"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(c,)) for c in (client_a, client_b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r.status_code for r in results] == [200, 200]
    assert results[0].json() == results[1].json()
    assert sorted(r.headers.get("Idempotent-Replayed", "") for r in results) == ["", "true"]
    assert BuyerMessage.objects.filter(ticket=ticket, kind="reply").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_requests_with_one_key_and_two_bodies_keep_one_answer():
    """One key sent at once with two different requests (replies to two tickets): each acts,
    only the first to store the key keeps its work; the other's reply is undone and it gets
    422, whichever order the two end in."""
    first = factories.urged()
    second = factories.urged(shop=first.shop)
    user = factories.staff_of(first)
    barrier, results = threading.Barrier(2), {}

    def send(ticket):
        try:
            barrier.wait()
            results[ticket.pk] = reply(client_for(user), ticket, key="shared")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(t,)) for t in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 422], codes
    kept = next(pk for pk, r in results.items() if r.status_code == 200)
    undone = next(pk for pk, r in results.items() if r.status_code == 422)
    assert Ticket.objects.get(pk=kept).state == S.AWAITING_BUYER
    assert Ticket.objects.get(pk=undone).state == S.AWAITING_REPLY
    assert not BuyerMessage.objects.filter(ticket_id=undone, kind="reply").exists()
    assert IdempotencyKey.objects.get(key="shared").path.endswith(f"/{kept}/reply/")


def _post_cases(shop, buyer, reviewer):
    """One valid first request for every POST endpoint, with its caller."""
    from complaints import services as complaint_services
    from tests.api.conftest import open_second_handling

    open_second_handling(shop)
    merchant = factories.merchant(shop=shop)
    order = factories.OrderFactory(shop=shop, buyer=buyer)
    waiting = factories.replied(shop=shop, buyer=buyer)
    agreed = factories.agreed(shop=shop)
    ticket, complaint = factories.in_review(reviewer=reviewer, shop=shop)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="n")
    ordersys = factories.UserFactory(username="ordersys-k", groups=["order_system"])
    return [
        (buyer, "/api/v1/tickets/", {"order_no": order.order_no}),
        (
            merchant,
            f"/api/v1/tickets/{factories.urged(shop=shop).pk}/reply/",
            {"plan": "cannot_ship", "reason": "stock_shortage"},
        ),
        (buyer, f"/api/v1/tickets/{waiting.pk}/buyer-response/", {"accept": False}),
        (merchant, f"/api/v1/tickets/{agreed.pk}/second-handling/", {"plan": "compensate"}),
        (merchant, f"/api/v1/complaints/{complaint.pk}/appeal/", {"note": "on time"}),
        (ordersys, f"/api/v1/orders/{ticket.order.order_no}/events/", {"type": "refunded"}),
    ]


def test_every_post_endpoint_replays_its_first_answer(shop, buyer, reviewer):
    from django_fsm_log.models import StateLog

    for user, url, body in _post_cases(shop, buyer, reviewer):
        client = client_for(user)
        first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{url}")
        assert 200 <= first.status_code < 300, (url, first.content)
        rows = (StateLog.objects.count(), BuyerMessage.objects.count())
        again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY=f"k-{url}")
        assert (again.status_code, again.json()) == (first.status_code, first.json()), url
        assert again.headers["Idempotent-Replayed"] == "true"
        assert (StateLog.objects.count(), BuyerMessage.objects.count()) == rows, url
