"""Writing §15 events: in the transaction of the change that causes them, one `Event` and one
`Delivery` per active subscription of the shop that takes the type (no subscriber: nothing is
written). The services call `ticket_event` / `complaint_event`; the sweeps call `emit_for`,
set-based, as they write buyer messages (`tickets.bulk`). The body is rendered there too, in
the same transaction (`bodies`): the state as of the event. Delivery is asked for after commit."""

from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, Value

from tickets import delivery
from tickets.bulk import insert_select

from . import bodies
from .models import Delivery, Event, EventType, Subscription, wants

OUTBOX = "merchant_events"  # the outbox's name (§16 metrics label)


def request_delivery():
    """Ask for a delivery run of the merchant events after a commit (debounced, best effort)."""
    delivery.request_delivery(OUTBOX)


def emit(event_type: str, *, shop_id: int, at, ticket=None, complaint=None, subscriptions=None):
    """One event for the shop's subscriptions that take `event_type` (or for `subscriptions`,
    a list of ids: a ping). Returns the event, or None when nobody takes it."""
    if subscriptions is None:
        subscriptions = list(
            Subscription.objects.filter(wants(event_type), shop_id=shop_id).values_list(
                "pk", flat=True
            )
        )
    if not subscriptions:
        return None
    event = Event(
        shop_id=shop_id, type=event_type, created_at=at, ticket=ticket, complaint=complaint
    )
    bodies.render([event], at=at)
    event.save(force_insert=True)
    Delivery.objects.bulk_create(
        Delivery(event=event, subscription_id=pk, created_at=at, next_attempt_at=at)
        for pk in subscriptions
    )
    transaction.on_commit(request_delivery, robust=True)
    return event


def ticket_event(event_type: str, ticket, *, at, complaint=None):
    return emit(event_type, shop_id=ticket.shop_id, ticket=ticket, complaint=complaint, at=at)


def complaint_event(event_type: str, complaint, *, at):
    ticket = complaint.ticket
    return emit(event_type, shop_id=ticket.shop_id, ticket=ticket, complaint=complaint, at=at)


class RandomUUID(models.Expression):
    """A new random (version 4) UUID per row, made by the database: set-based inserts need one
    per row, not the field's Python default once for all."""

    output_field = models.UUIDField()

    def as_sql(self, compiler, connection):  # SQLite stores a UUID as 32 hex digits
        return (
            "lower(hex(randomblob(6)) || '4' || substr(hex(randomblob(2)), 2) "
            "|| substr('89ab', 1 + abs(random()) %% 4, 1) || substr(hex(randomblob(8)), 2))",
            [],
        )

    def as_postgresql(self, compiler, connection):
        return "gen_random_uuid()", []


# rows' model → (path to the shop id, to the ticket id, to the complaint id or None)
PATHS = {
    "ticket": ("shop_id", "pk", None),
    "complaint": ("ticket__shop_id", "ticket_id", "pk"),
}


def emit_for(rows: models.QuerySet, event_type: str, *, at) -> int:
    """`emit` for every ticket or complaint of `rows` whose shop has a subscriber: one INSERT
    ... SELECT of the events, their bodies rendered together (a few queries), one
    INSERT ... SELECT of their deliveries. Returns how many events."""
    shop, ticket, complaint = PATHS[rows.model._meta.model_name]
    subscribed = Subscription.objects.filter(wants(event_type), shop_id=OuterRef(shop))
    moment = Value(at, output_field=models.DateTimeField())
    events = insert_select(
        Event,
        rows.filter(Exists(subscribed)).order_by("pk"),
        id=RandomUUID(),
        shop=F(shop),
        type=Value(event_type),
        created_at=moment,
        ticket=F(ticket),
        complaint=F(complaint) if complaint else Value(None, output_field=models.IntegerField()),
    )
    if not events:
        return 0
    bodies.render_written(events, at=at)
    insert_select(
        Delivery,
        Event.objects.filter(pk__in=events).filter(wants(event_type, "shop__webhooks__")),
        event=F("pk"),
        subscription=F("shop__webhooks__pk"),
        created_at=moment,
        next_attempt_at=moment,
    )
    transaction.on_commit(request_delivery, robust=True)
    return len(events)


__all__ = ["EventType", "complaint_event", "emit", "emit_for", "ticket_event"]
