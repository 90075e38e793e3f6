"""The reply skips its own savepoint inside an idempotent request (config.transactions): the
request's transaction is rolled back whole on any failure, so a reply that fails after it wrote
leaves nothing behind; a batch still gives each reply a savepoint, so one failure, even after
writing, undoes that reply alone."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django_fsm_log.models import StateLog

from idempotency.models import IdempotencyKey
from tests import factories
from tests.api.conftest import client_for, ship_by
from tickets import services
from tickets.models import BuyerMessage, Ticket
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
BODY = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by(3)}


def reply(client, ticket, key):
    url = f"/api/v1/tickets/{ticket.pk}/reply/"
    return client.post(url, BODY, format="json", HTTP_IDEMPOTENCY_KEY=key)


def untouched(ticket) -> bool:
    kind = ContentType.objects.get_for_model(Ticket)
    return (
        Ticket.objects.get(pk=ticket.pk).state == S.AWAITING_REPLY
        and not StateLog.objects.filter(
            content_type=kind, object_id=ticket.pk, transition="reply"
        ).exists()
        and not BuyerMessage.objects.filter(ticket=ticket, kind="reply").exists()
    )


def fail_for(monkeypatch, ticket):
    """The buyer's message of `ticket`'s reply fails, after its transition and audit row."""
    real = services.message_buyer

    def message_buyer(*, ticket: Ticket, **kwargs):
        if ticket.pk == failing.pk:
            raise IntegrityError("refused")
        return real(ticket=ticket, **kwargs)

    failing = ticket
    monkeypatch.setattr(services, "message_buyer", message_buyer)


def test_an_idempotent_reply_takes_no_savepoint_of_its_own(merchant, shop):
    client = client_for(merchant)
    first, second = factories.urged(shop=shop), factories.urged(shop=shop)
    reply(client, first, uuid.uuid4().hex)  # caches warmed
    with CaptureQueriesContext(connection) as queries:
        response = reply(client, second, uuid.uuid4().hex)
    assert response.status_code == 200
    savepoints = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    # The request's own transaction, a savepoint inside the test's: created and released.
    assert len(savepoints) == 2, savepoints


def test_a_reply_failing_after_it_wrote_leaves_nothing_and_gives_the_key_back(
    merchant, shop, monkeypatch
):
    ticket = factories.urged(shop=shop)
    client = client_for(merchant)
    with monkeypatch.context() as patch:
        fail_for(patch, ticket)
        response = reply(client, ticket, "key-1")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert untouched(ticket)
    assert not IdempotencyKey.objects.filter(key="key-1").exists()
    assert reply(client, ticket, "key-1").status_code == 200  # the same key, retried
    assert Ticket.objects.get(pk=ticket.pk).state == S.AWAITING_BUYER


def test_a_batch_reply_failing_after_it_wrote_undoes_that_reply_alone(merchant, shop, monkeypatch):
    first, failing, last = (factories.urged(shop=shop) for _ in range(3))
    fail_for(monkeypatch, failing)
    response = client_for(merchant).post(
        "/api/v1/tickets/batch-reply/",
        {**BODY, "tickets": [first.pk, failing.pk, last.pk]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="batch-key",
    )
    assert response.status_code == 200
    assert response.json()["replied"] == 2
    assert [item["ok"] for item in response.json()["results"]] == [True, False, True]
    assert response.json()["results"][1]["code"] == "conflict"
    assert untouched(failing)
    assert [Ticket.objects.get(pk=t.pk).state for t in (first, last)] == [S.AWAITING_BUYER] * 2
