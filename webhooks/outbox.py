"""The `merchant_events` outbox (§15) on the one delivery machinery (`tickets/delivery.py`):
how a delivery becomes a signed request to its subscription, and the pause of a subscription
whose last 50 deliveries died."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from tickets import delivery

from . import addresses
from .events import OUTBOX
from .models import Delivery, Event, Subscription

PAUSE_AFTER_DEAD = 50


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
    queries per shop, not per event (the timeline is still one per ticket)."""
    from complaints.api.serializers import ComplaintDetailSerializer
    from complaints.models import Compensation
    from tickets.api.serializers import TicketDetailSerializer
    from tickets.selectors import complaints_visible_to, tickets_visible_to, with_current_deadline

    found = {}
    for shop_id in {e.shop_id for e in events}:
        mine = [e for e in events if e.shop_id == shop_id]
        viewer = ShopViewer(shop_id)
        context = {"request": type("Request", (), {"user": viewer})(), "now": at}
        ticket_ids = {e.ticket_id for e in mine if e.ticket_id}
        complaint_ids = {e.complaint_id for e in mine if e.complaint_id}
        tickets = (
            with_current_deadline(tickets_visible_to(viewer))
            .prefetch_related("complaints")
            .filter(pk__in=ticket_ids)
        )
        for ticket in tickets if ticket_ids else ():
            found[shop_id, "ticket", ticket.pk] = TicketDetailSerializer(
                ticket, context=context
            ).data
        complaints = (
            complaints_visible_to(viewer)
            .select_related("liability")
            .prefetch_related(
                "evidence",
                Prefetch("compensations", queryset=Compensation.objects.order_by("created_at")),
            )
            .filter(pk__in=complaint_ids)
        )
        for complaint in complaints if complaint_ids else ():
            found[shop_id, "complaint", complaint.pk] = ComplaintDetailSerializer(
                complaint, context=context
            ).data
    return found


def event_data(event: Event, detail: dict) -> dict:
    """`data`: the ticket and the complaint as the API's detail views show them to the shop."""
    data = {}
    if event.ticket_id:
        data["ticket"] = detail[event.shop_id, "ticket", event.ticket_id]
    if event.complaint_id:
        data["complaint"] = detail[event.shop_id, "complaint", event.complaint_id]
    return data


def render_all(events: list[Event], *, at=None) -> None:
    """Render the bodies of `events` not rendered yet: `{"id", "type", "created_at", "shop",
    "data"}`, at their first delivery, then kept, so every attempt and every subscription gets
    the same bytes (of two workers rendering one event at once, the first stored wins)."""
    events = [e for e in {e.pk: e for e in events}.values() if not e.body]
    if not events:
        return
    detail = _detail(events, at=at or timezone.now())
    for event in events:
        body = json.dumps(
            {
                "id": str(event.pk),
                "type": event.type,
                "created_at": event.created_at,
                "shop": event.shop.code,
                "data": event_data(event, detail),
            },
            cls=DjangoJSONEncoder,
            ensure_ascii=False,
        )
        if Event.objects.filter(pk=event.pk, body="").update(body=body):
            event.body = body
        else:
            event.body = Event.objects.values_list("body", flat=True).get(pk=event.pk)


def render(event: Event, *, at=None) -> bytes:
    render_all([event], at=at)
    return event.body.encode()


def prepare(rows: list[Delivery]) -> None:
    """A claimed batch's bodies, rendered together (rows of one event share its object)."""
    events = {}
    for row in rows:
        row.event = events.setdefault(row.event_id, row.event)
    render_all(list(events.values()))


def envelope(row: Delivery) -> delivery.Envelope:
    return delivery.Envelope(
        url=row.subscription.url,
        secret=row.subscription.secret,
        event_id=str(row.event_id),
        event_type=row.event.type,
        body=render(row.event),
        check=addresses.check,
    )


def pause_if_dying(row: Delivery) -> bool:
    """§15: a subscription whose last PAUSE_AFTER_DEAD deliveries all died is paused; it keeps
    the last error as the reason (the merchant pages and the API say so). True if this death
    paused it."""
    last = list(
        Delivery.objects.filter(subscription_id=row.subscription_id)
        .order_by("-created_at", "-id")
        .values_list("dead_at", flat=True)[:PAUSE_AFTER_DEAD]
    )
    if len(last) < PAUSE_AFTER_DEAD or any(dead_at is None for dead_at in last):
        return False
    now = timezone.now()
    with transaction.atomic():
        paused = Subscription.objects.filter(pk=row.subscription_id, active=True).update(
            active=False,
            paused_at=now,
            paused_reason=row.last_error,
        )
    return bool(paused)


MERCHANT_EVENTS = delivery.register(
    delivery.Outbox(
        name=OUTBOX,
        model=Delivery,
        envelope=envelope,
        related=("subscription", "event", "event__shop"),
        on_dead=pause_if_dying,
        prepare=prepare,
    )
)
