"""`audit.audited_save` (the reply's save): only the fields the transition changed, guarded by
its source state, with its audit row, in one statement on PostgreSQL; nothing written at all
when another transaction moved the ticket first."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm import ConcurrentTransition
from django_fsm_log.models import StateLog

from tests import factories as f
from tickets.audit import audited_save, load_payload
from tickets.models import ReplyReason, Ticket, platform_today
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db


def reply(ticket, merchant, at, reason):
    return ticket.reply(
        plan="ship_later",
        reason=reason,
        ship_by=platform_today(at) + dt.timedelta(days=3),
        note="restocking",
        by=merchant,
        at=at,
        buyer_window=ticket.policy.buyer_window,
    )


@pytest.fixture
def reason():
    return ReplyReason.objects.get(code="stock_shortage")


def logs(ticket):
    return StateLog.objects.filter(object_id=ticket.pk, transition="reply")


def test_the_transition_and_its_audit_row_are_one_statement(reason):
    ticket = f.urged()
    merchant, at = f.staff_of(ticket), timezone.now()
    ticket = Ticket.objects.select_related("policy").get(pk=ticket.pk)
    saving = audited_save(ticket, actor=merchant, payload={"plan": "ship_later"}, at=at)
    with CaptureQueriesContext(connection) as queries, saving:
        reply(ticket, merchant, at, reason)
    statements = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert len(statements) == 1, statements
        assert "UPDATE" in statements[0] and "INSERT" in statements[0]
    saved = Ticket.objects.get(pk=ticket.pk)
    assert saved.state == S.AWAITING_BUYER and saved.replied_by_id == merchant.pk
    assert saved.buyer_due_at == at + ticket.policy.buyer_window
    assert saved.first_action_at == at and saved.reply_note == "restocking"
    assert saved.updated_at > ticket.created_at
    (log,) = logs(ticket)
    assert (log.source_state, log.state, log.by_id) == (
        S.AWAITING_REPLY,
        S.AWAITING_BUYER,
        merchant.pk,
    )
    assert log.timestamp == at and load_payload(log.description) == {"plan": "ship_later"}


def test_only_the_changed_fields_are_written(reason):
    ticket = f.urged()
    merchant, at = f.staff_of(ticket), timezone.now()
    ticket = Ticket.objects.select_related("policy").get(pk=ticket.pk)
    # Written by someone else after the instance was read: a whole-row save would undo it.
    Ticket.objects.filter(pk=ticket.pk).update(second_handling_kept=True)
    saving = audited_save(ticket, actor=merchant, at=at)
    with CaptureQueriesContext(connection) as queries, saving:
        reply(ticket, merchant, at, reason)
    assert Ticket.objects.get(pk=ticket.pk).second_handling_kept is True
    assert "second_handling_kept" not in queries.captured_queries[0]["sql"]


def test_a_ticket_moved_meanwhile_gets_neither_the_update_nor_the_audit_row(reason):
    ticket = f.urged()
    merchant, at = f.staff_of(ticket), timezone.now()
    ticket = Ticket.objects.get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(state=S.PLATFORM_REVIEW)  # the sweep got there
    with pytest.raises(ConcurrentTransition), audited_save(ticket, actor=merchant, at=at):
        reply(ticket, merchant, at, reason)
    saved = Ticket.objects.get(pk=ticket.pk)
    assert saved.state == S.PLATFORM_REVIEW and saved.replied_at is None
    assert not logs(ticket).exists()


def test_a_refused_transition_writes_nothing(reason):
    ticket = f.replied()
    merchant, at = f.staff_of(ticket), timezone.now()
    before = f.row_counts()
    with pytest.raises(Exception, match="reply"), audited_save(ticket, actor=merchant, at=at):
        reply(ticket, merchant, at, reason)
    assert f.row_counts() == before
