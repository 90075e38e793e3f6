"""The `merchant_events` outbox (§15) on the one delivery machinery (`tickets/delivery.py`):
how a delivery becomes a signed request to its subscription, and the pause of a subscription
whose last 50 deliveries died."""

from django.db import transaction
from django.utils import timezone

from tickets import delivery

from . import addresses
from .events import OUTBOX
from .models import Delivery, Subscription

PAUSE_AFTER_DEAD = 50


def envelope(row: Delivery) -> delivery.Envelope:
    return delivery.Envelope(
        url=row.subscription.url,
        secret=row.subscription.secret,
        event_id=str(row.event_id),
        event_type=row.event.type,
        body=row.event.body.encode(),  # rendered when written (`bodies`)
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
        related=("subscription", "event"),
        on_dead=pause_if_dying,
    )
)
