"""tickets.statements: the write path's prepared statements read and write exactly what the ORM
does (the same values, converted the same way), without compiling a queryset each time."""

import datetime as dt

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests import factories as f
from tickets import statements
from tickets.models import BuyerMessage, Order, ReplyReason, Ticket

pytestmark = pytest.mark.django_db


def fields_of(obj) -> dict:
    return {field.attname: getattr(obj, field.attname) for field in obj._meta.concrete_fields}


def test_first_reads_the_row_as_the_orm_does():
    order = f.urged().order  # a decimal amount, instants, a boolean, foreign keys
    found = statements.first(Order, order_no=order.order_no)
    assert fields_of(found) == fields_of(Order.objects.get(pk=order.pk))
    assert found._state.adding is False and found._state.db == "default"
    assert statements.first(Order, order_no="no-such-order") is None


def test_first_finds_only_an_active_reason():
    reason = ReplyReason.objects.get(code="stock_shortage")
    found = statements.first(ReplyReason, code="stock_shortage", is_active=True)
    assert fields_of(found) == fields_of(reason)
    ReplyReason.objects.filter(pk=reason.pk).update(is_active=False)
    assert statements.first(ReplyReason, code="stock_shortage", is_active=True) is None
    assert statements.first(ReplyReason, code="stock_shortage", is_active=False).pk == reason.pk


def test_insert_writes_one_row_as_save_does():
    ticket = f.urged()
    at = timezone.now() - dt.timedelta(minutes=1)
    message = BuyerMessage(
        ticket=ticket,
        buyer_id=ticket.buyer_id,
        kind="reply",
        text="商家回复。",
        payload={"ticket": ticket.pk, "nested": {"a": [1, "二"]}},
        created_at=at,
        next_attempt_at=at,
    )
    with CaptureQueriesContext(connection) as queries:
        saved = statements.insert(message)
    assert saved is message and message.pk is not None and not message._state.adding
    if connection.features.can_return_columns_from_insert:
        assert len(queries) == 1
    stored = BuyerMessage.objects.get(pk=message.pk)
    assert model_to_dict(stored) == model_to_dict(message)
    assert stored.payload == {"ticket": ticket.pk, "nested": {"a": [1, "二"]}}
    assert (stored.attempts, stored.last_error, stored.delivered_at) == (0, "", None)
    assert stored.ticket_id == ticket.pk and Ticket.objects.filter(pk=ticket.pk).exists()
