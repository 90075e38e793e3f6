"""Reading webhooks (§15): a shop's subscriptions and a subscription's delivery log."""

from django.db import models

from .models import Delivery, Subscription

LOG_LENGTH = 100  # the merchant page's delivery log: the latest deliveries


def subscriptions_of(shop_id: int) -> models.QuerySet:
    return Subscription.objects.filter(shop_id=shop_id).order_by("created_at", "id")


def deliveries_of(subscription: Subscription) -> models.QuerySet:
    """The delivery log, newest first (index `webhook_log_idx`), with each event's type."""
    return (
        Delivery.objects.filter(subscription=subscription)
        .select_related("event")
        .order_by("-created_at", "-id")
    )
