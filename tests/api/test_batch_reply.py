"""`POST /api/v1/tickets/batch-reply/` (§14 批量回复): each ticket judged by the single reply's
rules, one refusal never blocking the others; a malformed batch changes nothing."""

import pytest
import time_machine
from django.utils import timezone

from tests import factories
from tests.api.conftest import client_for, ship_by
from tickets.models import BuyerMessage, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/batch-reply/"


def post(client, body, **headers):
    return client.post(URL, body, format="json", **headers)


def body(tickets, **kwargs):
    return {
        "tickets": tickets,
        "plan": "ship_later",
        "reason": "stock_shortage",
        "ship_by": ship_by(20),
        "note": "peak day",
        **kwargs,
    }


def states(*tickets):
    return [Ticket.objects.get(pk=t.pk).state for t in tickets]


def test_every_ticket_is_replied_and_listed_in_order(as_merchant, shop):
    first, second = factories.urged(shop=shop), factories.urged(shop=shop)
    response = post(as_merchant, body([second.pk, first.pk]))
    assert response.status_code == 200
    assert response.json() == {
        "replied": 2,
        "refused": 0,
        "results": [
            {"ticket": second.pk, "ok": True, "state": "awaiting_buyer"},
            {"ticket": first.pk, "ok": True, "state": "awaiting_buyer"},
        ],
    }
    assert states(first, second) == [S.AWAITING_BUYER, S.AWAITING_BUYER]
    assert BuyerMessage.objects.filter(ticket__in=[first, second], kind="reply").count() == 2
    assert Ticket.objects.get(pk=first.pk).reply_note == "peak day"


def test_one_refusal_never_blocks_the_others(as_merchant, shop):
    """State, deadline, scope, missing and the fresh cap: each refused with its own code, the
    rest replied."""
    ok = factories.urged(shop=shop)
    done = factories.replied(shop=shop)
    late = factories.urged(shop=shop, at=timezone.now() - timezone.timedelta(hours=25))
    fresh = factories.urged(shop=shop, is_fresh=True)  # 20 days is past its 15-day cap
    foreign = factories.urged()
    missing = 10**9
    ids = [ok.pk, done.pk, late.pk, fresh.pk, foreign.pk, missing]
    response = post(as_merchant, body(ids))
    assert response.status_code == 200
    data = response.json()
    assert (data["replied"], data["refused"]) == (1, 5)
    by_id = {row["ticket"]: row for row in data["results"]}
    assert [row["ticket"] for row in data["results"]] == ids
    assert by_id[ok.pk] == {"ticket": ok.pk, "ok": True, "state": "awaiting_buyer"}
    assert by_id[done.pk]["code"] == "invalid_transition"
    assert by_id[late.pk]["code"] == "deadline_passed"
    assert by_id[fresh.pk]["code"] == "invalid" and "15" in by_id[fresh.pk]["detail"]
    # Another shop's ticket is refused exactly like a missing one: nothing to probe.
    assert by_id[foreign.pk]["code"] == by_id[missing]["code"] == "not_found"
    assert by_id[foreign.pk]["detail"] == by_id[missing]["detail"]
    for row in data["results"][1:]:
        assert row["ok"] is False and row["detail"] and "state" not in row
    assert states(ok, done, late, fresh, foreign) == [
        S.AWAITING_BUYER,
        S.AWAITING_BUYER,
        S.AWAITING_REPLY,
        S.AWAITING_REPLY,
        S.AWAITING_REPLY,
    ]


def test_the_reason_must_allow_the_plan_for_each_ticket(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    response = post(as_merchant, body([ticket.pk], reason="exchange_negotiated"))
    assert response.status_code == 200
    assert response.json()["results"][0]["code"] == "invalid"
    assert states(ticket) == [S.AWAITING_REPLY]


def test_cannot_ship_files_a_complaint_per_ticket(as_merchant, shop):
    tickets = [factories.urged(shop=shop) for _ in range(3)]
    response = post(
        as_merchant,
        body([t.pk for t in tickets], plan="cannot_ship", reason="stock_shortage", ship_by=None),
    )
    assert response.json()["replied"] == 3
    for ticket in tickets:
        assert ticket.complaints.get().kind == "cannot_ship"


def test_the_deadline_is_judged_at_the_moment_of_the_batch(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    with time_machine.travel(ticket.reply_due_at, tick=False):
        response = post(as_merchant, body([ticket.pk], ship_by=ship_by(1)))
    assert response.json()["results"][0]["code"] == "deadline_passed"


@pytest.mark.parametrize(
    "tickets",
    [
        [],
        "1,2",
        "dup",
        ["1"],
        [1.0],
        [True],
        [0],
        [None],
        [2**63],
        None,
    ],
)
def test_a_malformed_batch_is_a_400_and_changes_nothing(as_merchant, shop, tickets):
    ticket = factories.urged(shop=shop)
    before = factories.footprint(ticket)
    if tickets == "dup":
        tickets = [ticket.pk, ticket.pk]  # a real, replyable ticket twice
    response = post(as_merchant, body(tickets))
    assert response.status_code == 400
    assert "tickets" in response.json()
    assert factories.footprint(ticket) == before


def test_more_than_200_ids_is_a_400_and_changes_nothing(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    before = factories.footprint(ticket)
    ids = [ticket.pk] + list(range(10**8, 10**8 + 200))
    response = post(as_merchant, body(ids))
    assert response.status_code == 400
    assert factories.footprint(ticket) == before


def test_200_ids_are_accepted(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    ids = [ticket.pk] + list(range(10**8, 10**8 + 199))
    response = post(as_merchant, body(ids))
    assert response.status_code == 200
    assert (response.json()["replied"], response.json()["refused"]) == (1, 199)


def test_a_bad_plan_or_date_is_a_400_for_the_whole_batch(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    assert post(as_merchant, body([ticket.pk], plan="later")).status_code == 400
    assert post(as_merchant, body([ticket.pk], ship_by="2026-13-01")).status_code == 400
    assert states(ticket) == [S.AWAITING_REPLY]


def test_only_merchant_staff_may_batch_reply(buyer, reviewer, shop):
    ticket = factories.urged(shop=shop, buyer=buyer)
    for user in (buyer, reviewer):
        assert post(client_for(user), body([ticket.pk])).status_code == 403
    assert post(client_for(), body([ticket.pk])).status_code == 401
    assert states(ticket) == [S.AWAITING_REPLY]


def test_the_idempotency_key_replays_the_first_answer(as_merchant, shop):
    ticket = factories.urged(shop=shop)
    first = post(as_merchant, body([ticket.pk]), HTTP_IDEMPOTENCY_KEY="batch-1")
    after_first = factories.footprint(ticket)
    again = post(as_merchant, body([ticket.pk]), HTTP_IDEMPOTENCY_KEY="batch-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert first.json()["replied"] == 1
    assert factories.footprint(ticket) == after_first
    other = post(as_merchant, body([ticket.pk], note="x"), HTTP_IDEMPOTENCY_KEY="batch-1")
    assert other.status_code == 422


def test_a_refusal_inside_an_idempotent_batch_keeps_the_others(as_merchant, shop):
    """With a key the batch runs in the key's transaction; each reply is a savepoint."""
    ok, done = factories.urged(shop=shop), factories.replied(shop=shop)
    response = post(as_merchant, body([done.pk, ok.pk]), HTTP_IDEMPOTENCY_KEY="batch-2")
    assert response.json()["replied"] == 1
    assert states(ok) == [S.AWAITING_BUYER]


def test_the_batch_is_in_the_schema(anonymous):
    schema = anonymous.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/tickets/batch-reply/"]["post"]
    assert "200" in operation["responses"]
    request = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][request.rsplit("/", 1)[1]]
    assert component["properties"]["tickets"]["maxItems"] == 200
