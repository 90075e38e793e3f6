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
    """The shop's merchant staff as the API's serializers see a caller: an event's data are
    exactly what the shop's staff read in the API's detail views, never more."""

    is_authenticated = True
    pk = None
    _role_group_names = frozenset()

    def __init__(self, shop_id: int):
        self._staffed_shop_ids = frozenset({shop_id})


def _detail(events: list[Event], *, at) -> dict:
    """The API's merchant detail of every ticket and complaint the events name, as the staff
    of each event's shop see them: {(shop id, "ticket" | "complaint", id): data}. A few
    queries per shop, not per event (the tickets' timelines too: one query)."""
    from complaints.api.serializers import ComplaintDetailSerializer
    from complaints.models import Compensation
    from tickets.api.serializers import TicketDetailSerializer
    from tickets.selectors import (
        complaints_visible_to,
        ticket_timelines,
        tickets_visible_to,
        with_current_deadline,
    )

    found = {}
    for shop_id in {e.shop_id for e in events}:
        mine = [e for e in events if e.shop_id == shop_id]
        viewer = ShopViewer(shop_id)
        context = {"request": type("Request", (), {"user": viewer})(), "now": at}
        ticket_ids = {e.ticket_id for e in mine if e.ticket_id}
        complaint_ids = {e.complaint_id for e in mine if e.complaint_id}
        tickets = list(
            with_current_deadline(tickets_visible_to(viewer))
            .prefetch_related("complaints")
            .filter(pk__in=ticket_ids)
            if ticket_ids
            else ()
        )
        timelines = ticket_timelines(tickets)
        serialized = TicketDetailSerializer(
            tickets, many=True, context={**context, "timelines": timelines}
        ).data
        for ticket in serialized:
            found[shop_id, "ticket", ticket["id"]] = ticket
        complaints = (
            complaints_visible_to(viewer)
            .select_related("liability")
            .prefetch_related(
                "evidence",
                Prefetch("compensations", queryset=Compensation.objects.order_by("created_at")),
            )
            .filter(pk__in=complaint_ids)
        )
        serialized = ComplaintDetailSerializer(
            complaints if complaint_ids else [], many=True, context=context
        ).data
        for complaint in serialized:
            found[shop_id, "complaint", complaint["id"]] = complaint
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
    this transaction sees it, as of `at`. A few queries per shop, not per event."""
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
    transaction: one read of the events, the renderer's few queries per shop, and one UPDATE
    per `batch_size` events."""
    events = list(
        Event.objects.filter(pk__in=ids).only(
            "pk", "type", "created_at", "shop_id", "ticket_id", "complaint_id"
        )
    )
    render(events, at=at)
    Event.objects.bulk_update(events, ["body"], batch_size=batch_size)
