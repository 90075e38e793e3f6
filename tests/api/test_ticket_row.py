"""`TicketSerializer` builds its row in one step (`ticket_row`, the write path's answer and every
list row); its declared fields (what the schema shows) must say exactly the same thing. Each
test would fail if a field were added, dropped or written differently on one side only."""

import datetime as dt

import pytest
from django.utils import timezone, translation
from rest_framework import serializers

from tests import factories
from tickets.api.serializers import TicketSerializer
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def field_by_field(ticket, now) -> dict:
    """DRF's own walk over the declared fields."""
    serializer = TicketSerializer(ticket, context={"now": now})
    return dict(serializers.Serializer.to_representation(serializer, ticket))


def one_step(ticket, now) -> dict:
    return dict(TicketSerializer(ticket, context={"now": now}).data)


@pytest.mark.parametrize("state", factories.TICKET_STATES)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_row_is_what_the_fields_declare_in_every_state(state, language):
    ticket = factories.ticket_in(state)
    ticket = Ticket.objects.select_related("order", "shop", "buyer", "reply_reason").get(
        pk=ticket.pk
    )
    with translation.override(language):
        for now in (timezone.now(), timezone.now() + dt.timedelta(days=60)):
            expected = field_by_field(ticket, now)
            assert one_step(ticket, now) == expected
            assert list(one_step(ticket, now)) == list(expected)  # the same order of keys
    assert set(expected) == set(TicketSerializer().fields)


def test_the_row_in_utc_writes_z_as_drf_does():
    ticket = factories.ticket_in("awaiting_buyer")
    now = timezone.now()
    with timezone.override(dt.UTC):
        row = one_step(ticket, now)
        assert row == field_by_field(ticket, now)
    assert row["created_at"].endswith("Z") and row["ship_by"] == ticket.ship_by.isoformat()


def test_lists_use_the_row(merchant, shop):
    tickets = [factories.urged(shop=shop), factories.replied(shop=shop)]
    now = timezone.now()
    many = TicketSerializer(tickets, many=True, context={"now": now}).data
    assert [dict(row) for row in many] == [field_by_field(t, now) for t in tickets]
