"""§15 event bodies: `{"id", "type", "created_at", "shop", "data"}`, rendered when the event is
written, in the transaction of the change that caused it, so a receiver gets the ticket and the
complaint as they were at the event (a later reply or decision does not leak into an earlier
event). The body is stored; every attempt and every subscription gets the same bytes."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Prefetch

from tickets.models import Shop

from .models import Event


class ShopViewer:
    """The shops' merchant staff as the API's serializers see a caller: an event's data are
    exactly what its shop's staff read in the API's detail views, never more (each ticket and
    complaint is kept for its own shop's events only)."""

    is_authenticated = True
    pk = None
    _role_group_names = frozenset()

    def __init__(self, shop_ids):
        self._staffed_shop_ids = frozenset(shop_ids)


def _detail(events: list[Event], *, at) -> dict:
    """The API's merchant detail of every ticket and complaint the events name, as the staff
    of their shop see them: {(shop id, "ticket" | "complaint", id): data}. A fixed number of
    queries for the whole batch, whatever its events and shops (the timelines in one)."""
    from complaints.api.serializers import ComplaintDetailSerializer
    from complaints.models import Compensation
    from tickets.api.serializers import TicketDetailSerializer
    from tickets.selectors import (
        complaints_visible_to,
        ticket_timelines,
        tickets_visible_to,
        with_current_deadline,
    )

    viewer = ShopViewer({e.shop_id for e in events})
    context = {"request": type("Request", (), {"user": viewer})(), "now": at}
    ticket_ids = {e.ticket_id for e in events if e.ticket_id}
    complaint_ids = {e.complaint_id for e in events if e.complaint_id}
    found = {}
    if ticket_ids:
        tickets = list(
            with_current_deadline(tickets_visible_to(viewer))
            .prefetch_related("complaints")
            .filter(pk__in=ticket_ids)
        )
        serialized = TicketDetailSerializer(
            tickets, many=True, context={**context, "timelines": ticket_timelines(tickets)}
        ).data
        for ticket, data in zip(tickets, serialized, strict=True):
            found[ticket.shop_id, "ticket", ticket.pk] = data
    if complaint_ids:
        complaints = list(
            complaints_visible_to(viewer)
            .select_related("liability", "ticket")
            .prefetch_related(
                "evidence",
                Prefetch("compensations", queryset=Compensation.objects.order_by("created_at")),
            )
            .filter(pk__in=complaint_ids)
        )
        serialized = ComplaintDetailSerializer(complaints, many=True, context=context).data
        for complaint, data in zip(complaints, serialized, strict=True):
            found[complaint.ticket.shop_id, "complaint", complaint.pk] = data
    return found


def event_data(event: Event, detail: dict) -> dict:
    """`data`: the ticket and the complaint as the API's detail views show them to the shop."""
    data = {}
    if event.ticket_id:
        data["ticket"] = detail[event.shop_id, "ticket", event.ticket_id]
    if event.complaint_id:
        data["complaint"] = detail[event.shop_id, "complaint", event.complaint_id]
    return data


def render(events: list[Event], *, at) -> None:
    """Set `body` on each of `events` (not saved): the state of their tickets and complaints as
    this transaction sees it, as of `at`. A fixed number of queries, not per event or shop."""
    if not events:
        return
    detail = _detail(events, at=at)
    codes = dict(Shop.objects.filter(pk__in={e.shop_id for e in events}).values_list("pk", "code"))
    for event in events:
        event.body = json.dumps(
            {
                "id": str(event.pk),
                "type": event.type,
                "created_at": event.created_at,
                "shop": codes[event.shop_id],
                "data": event_data(event, detail),
            },
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
        )


def render_written(ids: list, *, at, batch_size: int = 500) -> None:
    """Render and store the bodies of events just written set-based (`ids`), in the same
    transaction: one read of the events, the renderer's few queries, and one UPDATE per
    `batch_size` events."""
    events = list(
        Event.objects.filter(pk__in=ids).only(
            "pk", "type", "created_at", "shop_id", "ticket_id", "complaint_id"
        )
    )
    render(events, at=at)
    Event.objects.bulk_update(events, ["body"], batch_size=batch_size)
