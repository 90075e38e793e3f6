"""Webhook use cases (§15): one service each, for the API and the merchant pages alike. Only
staff of the shop manage its subscriptions; anything of another shop is "not found"."""

import secrets

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import delivery, roles
from tickets.exceptions import Conflict, NotFound, ValidationError, domain_errors
from tickets.models import Shop

from . import addresses
from .events import emit
from .models import MAX_SUBSCRIPTIONS, SUBSCRIBABLE, EventType, Subscription
from .outbox import MERCHANT_EVENTS

URL_LENGTH = Subscription._meta.get_field("url").max_length


def require_staff(actor, shop_id) -> None:
    if not roles.is_merchant_of(actor, shop_id):
        raise NotFound(_("No such shop."))


def _subscription(actor, shop_id, subscription_id, *, lock=False) -> Subscription:
    require_staff(actor, shop_id)
    rows = Subscription.objects.filter(pk=subscription_id, shop_id=shop_id)
    subscription = (rows.select_for_update() if lock else rows).first()
    if subscription is None:
        raise NotFound(_("No such webhook."))
    return subscription


def clean_url(url) -> str:
    url = (url or "").strip() if isinstance(url, str) else ""
    if not url:
        raise ValidationError(_("Give the receiver's URL."), field="url")
    if len(url) > URL_LENGTH:
        raise ValidationError(_("The URL is too long."), field="url")
    try:
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        raise ValidationError(_("Enter a valid http or https URL."), field="url") from None
    reason = addresses.subscription_refusal(url)
    if reason:
        raise ValidationError(reason, field="url")
    return url


def clean_events(events) -> list[str]:
    if not isinstance(events, list | tuple) or not events:
        raise ValidationError(_("Choose at least one event type."), field="events")
    unknown = [e for e in events if e not in SUBSCRIBABLE]
    if unknown:
        raise ValidationError(
            _("Unknown event type: %(type)s.") % {"type": str(unknown[0])[:60]}, field="events"
        )
    return sorted(set(events))


@domain_errors
@transaction.atomic
def subscription_create(*, actor, shop_id, url, events, at=None) -> Subscription:
    """A new subscription with a fresh signing secret (shown once: the caller shows
    `subscription.secret` now and never again). At most MAX_SUBSCRIPTIONS a shop."""
    require_staff(actor, shop_id)
    url, events = clean_url(url), clean_events(events)
    Shop.objects.select_for_update().filter(pk=shop_id).first()  # one creation at a time
    if Subscription.objects.filter(shop_id=shop_id).count() >= MAX_SUBSCRIPTIONS:
        raise Conflict(
            _("A shop can have at most %(max)d webhooks; delete one first.")
            % {"max": MAX_SUBSCRIPTIONS}
        )
    return Subscription.objects.create(
        shop_id=shop_id,
        url=url,
        events=Subscription.pack(events),
        secret=secrets.token_hex(32),
        created_at=at or timezone.now(),
        created_by=actor,
    )


@domain_errors
@transaction.atomic
def subscription_delete(*, actor, shop_id, subscription_id) -> None:
    """Deleted with its delivery log; pending deliveries are not sent."""
    _subscription(actor, shop_id, subscription_id, lock=True).delete()


@domain_errors
@transaction.atomic
def subscription_ping(*, actor, shop_id, subscription_id, at=None):
    """A `ping` event to this subscription only (paused or not: it tests the receiver)."""
    subscription = _subscription(actor, shop_id, subscription_id)
    return emit(
        EventType.PING,
        shop_id=shop_id,
        at=at or timezone.now(),
        subscriptions=[subscription.pk],
    )


@domain_errors
@transaction.atomic
def subscription_resume(*, actor, shop_id, subscription_id) -> Subscription:
    """A paused subscription takes events again (from now on; what died stays dead until
    redelivered)."""
    subscription = _subscription(actor, shop_id, subscription_id, lock=True)
    subscription.active, subscription.paused_at, subscription.paused_reason = True, None, ""
    subscription.save(update_fields=["active", "paused_at", "paused_reason"])
    return subscription


@domain_errors
def delivery_redeliver(*, actor, shop_id, subscription_id, delivery_id, at=None) -> None:
    """Send a delivered or dead delivery again (the same event, the same id): pending again,
    due now, with a fresh 24-hour horizon. One still being tried cannot be hurried."""
    subscription = _subscription(actor, shop_id, subscription_id)
    row = subscription.deliveries.filter(pk=delivery_id).first()
    if row is None:
        raise NotFound(_("No such delivery."))
    sent = delivery.redeliver(MERCHANT_EVENTS, ids=[row.pk], at=at, delivered_too=True)
    if not sent:
        raise Conflict(_("This delivery is still being tried; it is sent again on its own."))
