"""Lock order (PostgreSQL). `order_settle` locks the order, then its ticket; a complaint
decision locks the complaint, then the ticket. If a decision also locked the order, the two
would wait for each other (a deadlock, a 500 for one of them). A decision must never need the
order row."""

import threading

import pytest
from django.db import connection, transaction

from complaints import services as cs
from complaints.models import ComplaintState
from tests import factories as f
from tickets.models import Order


def hold_order_lock(order_pk, locked, release):
    try:
        with transaction.atomic():
            Order.objects.select_for_update().get(pk=order_pk)
            locked.set()
            release.wait(timeout=30)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("decision", ["uphold", "dismiss"])
def test_a_complaint_decision_does_not_wait_for_the_order_row(decision):
    reviewer = f.reviewer_user()
    ticket = f.ticket_in("platform_review")
    complaint = ticket.complaints.get()
    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)

    locked, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=hold_order_lock, args=(ticket.order_id, locked, release))
    holder.start()
    try:
        assert locked.wait(timeout=10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        try:
            getattr(cs, f"complaint_{decision}")(
                complaint_id=complaint.pk, reviewer=reviewer, note="decided"
            )
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = 0")
    finally:
        release.set()
        holder.join(timeout=30)
    complaint.refresh_from_db()
    assert complaint.state == (
        ComplaintState.UPHELD if decision == "uphold" else ComplaintState.DISMISSED
    )
