"""`locks.lock_ticket`, the first statement of every ticket service: the same instances the ORM's
`select_for_update().select_related(...)` gives, nothing for what is no ticket id, and a real
row lock on PostgreSQL."""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from tests import factories
from tickets.locks import RELATED, lock_ticket
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def values(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.mark.parametrize(
    "make",
    [
        factories.urged,
        factories.replied,
        factories.agreed,
        lambda: factories.replied(plan="cannot_ship"),
    ],
    ids=["awaiting_reply", "awaiting_buyer", "agreed", "platform_review"],
)
def test_the_ticket_and_its_rows_are_what_the_orm_loads(make, django_assert_num_queries):
    ticket = make()
    expected = Ticket.objects.select_related(*RELATED).get(pk=ticket.pk)
    with transaction.atomic(), django_assert_num_queries(1):
        locked = lock_ticket(ticket.pk)
        # Every related row came with the statement: reading them asks nothing more.
        related = {name: getattr(locked, name) for name in RELATED}
    assert values(locked) == values(expected)
    for name in RELATED:
        want = getattr(expected, name)
        if want is None:
            assert related[name] is None
        else:
            assert values(related[name]) == values(want)
            assert related[name]._state.adding is False
    assert locked._state.adding is False
    # A transition saved from the locked instance passes the concurrency guard.
    locked.reply_note = "checked"
    locked.save()
    assert Ticket.objects.get(pk=ticket.pk).reply_note == "checked"


@pytest.mark.parametrize("ticket_id", [None, "", "abc", "1.5", 0, -1, 2**63, "99999999"])
def test_anything_but_an_existing_id_is_no_ticket(ticket_id):
    factories.urged()
    with transaction.atomic():
        assert lock_ticket(ticket_id) is None


def test_an_id_as_text_or_as_the_ticket_itself_is_accepted():
    ticket = factories.urged()
    with transaction.atomic():
        assert lock_ticket(str(ticket.pk)).pk == ticket.pk
        assert lock_ticket(ticket).pk == ticket.pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_row_stays_locked_until_the_transaction_ends():
    ticket = factories.urged()
    other = factories.urged()
    seen = {}

    def try_lock(pk, key):
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update(nowait=True).get(pk=pk)
            seen[key] = "free"
        except DatabaseError:
            seen[key] = "locked"
        finally:
            connection.close()

    with transaction.atomic():
        assert lock_ticket(ticket.pk) is not None
        for pk, key in ((ticket.pk, "locked ticket"), (other.pk, "other ticket")):
            thread = threading.Thread(target=try_lock, args=(pk, key))
            thread.start()
            thread.join(timeout=30)
    try_lock(ticket.pk, "after commit")
    assert seen == {"locked ticket": "locked", "other ticket": "free", "after commit": "free"}


def test_the_reply_lock_reads_the_active_reason_asked_for_in_the_same_statement():
    from django.test.utils import CaptureQueriesContext

    from tickets.locks import lock_ticket_and_reason
    from tickets.models import ReplyReason

    ticket = factories.urged()
    active = ReplyReason.objects.get(code="stock_shortage")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        locked, reason = lock_ticket_and_reason(ticket.pk, "stock_shortage")
    assert locked.pk == ticket.pk and locked.order.order_no == ticket.order.order_no
    assert reason == active and reason.buyer_text == active.buyer_text
    assert len([q for q in queries.captured_queries if q["sql"].startswith("SELECT")]) == 1
    with transaction.atomic():
        assert lock_ticket_and_reason(ticket.pk, "no-such-reason")[1] is None
        ReplyReason.objects.filter(pk=active.pk).update(is_active=False)
        locked, reason = lock_ticket_and_reason(ticket.pk, "stock_shortage")
        assert locked.pk == ticket.pk and reason is None  # an inactive reason is none
        assert lock_ticket_and_reason(10**12, "stock_shortage") == (None, None)
        assert lock_ticket_and_reason("x", "stock_shortage") == (None, None)
