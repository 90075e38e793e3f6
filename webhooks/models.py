"""§15: a shop's webhook subscriptions, the events written for them and one delivery per
(event, subscription), an outbox row of the delivery machinery (`tickets/delivery.py`)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Complaint
from tickets.models import OutboxRow, Shop, Ticket, outbox_indexes

MAX_SUBSCRIPTIONS = 10  # per shop (§15)


class EventType(models.TextChoices):
    TICKET_OPENED = "ticket.opened", _("Ticket opened")
    REPLY_DUE_SOON = "ticket.reply_due_soon", _("Reply due soon")
    BUYER_RESPONDED = "ticket.buyer_responded", _("Buyer responded")
    TICKET_COMPLETED = "ticket.completed", _("Ticket completed")
    COMPLAINT_FILED = "complaint.filed", _("Complaint filed")
    COMPLAINT_DECIDED = "complaint.decided", _("Complaint decided")
    APPEAL_DECIDED = "complaint.appeal_decided", _("Appeal decided")
    PING = "ping", _("Ping")


# What a subscription may ask for; `ping` is sent on request to one subscription.
SUBSCRIBABLE = [t for t in EventType.values if t != EventType.PING]


class Subscription(models.Model):
    """A receiver of the shop's events. `events` is stored as `,type,type,` so that the
    set-based writes of the sweeps match a type with one LIKE on any engine."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, related_name="webhooks", verbose_name=_("shop")
    )
    url = models.URLField(_("URL"), max_length=2000)
    events = models.CharField(_("events"), max_length=400)
    secret = models.CharField(_("signing secret"), max_length=64)
    active = models.BooleanField(_("active"), default=True)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_reason = models.TextField(_("why paused"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["shop", "active"], name="webhook_shop_active_idx")]

    def __str__(self):
        return f"{self.shop_id} → {self.url}"

    @staticmethod
    def pack(types) -> str:
        return "," + ",".join(sorted(set(types))) + ","

    @property
    def event_types(self) -> list[str]:
        return [t for t in self.events.split(",") if t]


def wants(event_type: str, prefix: str = "") -> models.Q:
    """Subscriptions (or rows related to them through `prefix`) that take `event_type`."""
    return models.Q(**{f"{prefix}active": True, f"{prefix}events__contains": f",{event_type},"})


class Event(models.Model):
    """One event of a shop, written in the transaction of the change that caused it (only when
    an active subscription of the shop takes its type). Its body is rendered then too (the
    state as of the event) and kept: every attempt and every subscription gets the same bytes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(_("type"), max_length=40, choices=EventType.choices)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    ticket = models.ForeignKey(Ticket, null=True, on_delete=models.CASCADE, related_name="+")
    complaint = models.ForeignKey(Complaint, null=True, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(_("body"), blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes = [models.Index(fields=["ticket", "type"], name="event_ticket_type_idx")]

    def __str__(self):
        return f"{self.type} {self.pk}"


class Delivery(OutboxRow):
    """One event to one subscription: the outbox row (`merchant_events`) and its log line."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="deliveries"
    )

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        indexes = [
            *outbox_indexes("webhook"),
            models.Index(fields=["subscription", "created_at"], name="webhook_log_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event", "subscription"], name="webhook_delivery_once")
        ]

    def __str__(self):
        return f"{self.event_id} → {self.subscription_id}"
