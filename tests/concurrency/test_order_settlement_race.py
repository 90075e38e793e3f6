"""§17: an order is settled once. `shipped` and `refunded` events racing on real threads against
PostgreSQL: exactly one settlement type stands (on the order and its ticket), every event of
that type answers as a success (the first records it, the rest change nothing), every event of
the other type is refused as a conflict, and the ticket completes once."""

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django_fsm_log.models import StateLog

from tests import factories
from tickets import services
from tickets.exceptions import Conflict
from tickets.models import BuyerMessage, MessageKind, Order, Ticket, TicketState

N = 10  # events per order, half of each type
ORDERS = 6


def race(order_no: str) -> dict:
    barrier = threading.Barrier(N)
    results = {"ok": [], "conflict": [], "error": []}

    def event(kind):
        try:
            barrier.wait()
            services.order_settle(order_no=order_no, settlement=kind, at=None)
            results["ok"].append(kind)
        except Conflict:
            results["conflict"].append(kind)
        except Exception as error:  # reported by the test
            results["error"].append(repr(error))
        finally:
            connection.close()

    kinds = ["shipped", "refunded"] * (N // 2)
    threads = [threading.Thread(target=event, args=(kind,)) for kind in kinds]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_shipped_and_refunded_events_leave_exactly_one_settlement(merchant, shop):
    tickets = [factories.urged(shop=shop) for _ in range(ORDERS - 2)]
    in_review = factories.replied(plan="cannot_ship", shop=shop)  # recorded, not completed
    bare = factories.OrderFactory(shop=shop)  # an order without a ticket
    order_nos = [t.order.order_no for t in (*tickets, in_review)] + [bare.order_no]
    ticket_type = ContentType.objects.get_for_model(Ticket)

    for order_no in order_nos:
        results = race(order_no)
        assert results["error"] == [], results["error"]
        order = Order.objects.get(order_no=order_no)
        assert (order.shipped_at is None) != (order.refunded_at is None), order_no
        stands = "shipped" if order.shipped_at else "refunded"
        assert set(results["ok"]) == {stands} and len(results["ok"]) == N // 2
        assert set(results["conflict"]) == {"shipped", "refunded"} - {stands}
        assert len(results["conflict"]) == N // 2

        ticket = Ticket.objects.filter(order=order).first()
        if ticket is None:
            continue
        assert ticket.settlement == stands
        settles = StateLog.objects.filter(
            content_type=ticket_type,
            object_id=ticket.pk,
            transition__in=("settle", "record_settlement"),
        )
        assert settles.count() == 1
        completed = BuyerMessage.objects.filter(ticket=ticket, kind=MessageKind.COMPLETED)
        if ticket.pk == in_review.pk:
            assert ticket.state == TicketState.PLATFORM_REVIEW and not completed.exists()
        else:
            assert ticket.state == TicketState.COMPLETED and completed.count() == 1
