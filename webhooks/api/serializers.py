"""Serializers of the webhooks API (§15)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import SUBSCRIBABLE, Delivery, Subscription

RO = {"read_only": True}


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(
        source="event_types", child=serializers.ChoiceField(choices=SUBSCRIBABLE), **RO
    )
    active = serializers.BooleanField(
        help_text=_("False while paused: its last 50 deliveries died (see paused_reason)."), **RO
    )
    paused_reason = serializers.CharField(
        help_text=_("The last error when it was paused; empty when active."), **RO
    )

    class Meta:
        model = Subscription
        fields = ["id", "url", "events", "active", "paused_at", "paused_reason", "created_at"]
        read_only_fields = fields


class CreatedSubscriptionSerializer(SubscriptionSerializer):
    secret = serializers.CharField(
        help_text=_("The signing secret; shown in this answer only, never again."), **RO
    )

    class Meta(SubscriptionSerializer.Meta):
        fields = [*SubscriptionSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class SubscriptionInputSerializer(serializers.Serializer):
    url = serializers.CharField(
        max_length=Subscription._meta.get_field("url").max_length,
        help_text=_("Where events are POSTed: https with a public address in production."),
    )
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=SUBSCRIBABLE), allow_empty=False, max_length=20
    )


class DeliverySerializer(serializers.ModelSerializer):
    event_id = serializers.UUIDField(**RO)
    event_type = serializers.CharField(source="event.type", **RO)
    status = serializers.ChoiceField(
        source="delivery_status", choices=["pending", "delivered", "failed", "dead"], **RO
    )
    last_response = serializers.CharField(
        help_text=_("The start (at most 4 KiB) of the receiver's last answer."), **RO
    )

    class Meta:
        model = Delivery
        fields = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "last_status_code",
            "last_error",
            "last_response",
            "created_at",
            "delivered_at",
            "next_attempt_at",
        ]
        read_only_fields = fields


class AcceptedSerializer(serializers.Serializer):
    event_id = serializers.UUIDField(**RO)
