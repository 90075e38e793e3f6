"""Serializers of complaints over the API (§7, §11): read shapes and the appeal's input."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tickets.api.fields import AmountOutputField, TextField

from ..models import Compensation, Complaint, Evidence, Liability


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "original_name", "content_type", "size", "sha256", "uploaded_at"]
        read_only_fields = fields


class LiabilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Liability
        fields = ["points", "created_at", "reversed_at"]
        read_only_fields = fields


class CompensationSerializer(serializers.ModelSerializer):
    amount = AmountOutputField()

    class Meta:
        model = Compensation
        fields = ["id", "kind", "amount", "payout", "points", "created_at", "reversed_at"]
        read_only_fields = fields


class ComplaintSerializer(serializers.ModelSerializer):
    order_no = serializers.CharField(source="ticket.order.order_no", read_only=True)
    shop = serializers.CharField(source="ticket.shop.code", read_only=True)
    shop_id = serializers.IntegerField(source="ticket.shop_id", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    past_review_target = serializers.SerializerMethodField(
        help_text=_("Open and older than the review target (48 h).")
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "ticket",
            "order_no",
            "shop",
            "shop_id",
            "kind",
            "kind_display",
            "state",
            "state_display",
            "filed_at",
            "review_due_at",
            "past_review_target",
            "decided_at",
            "appeal_due_at",
            "appealed_at",
        ]
        read_only_fields = fields

    def get_past_review_target(self, complaint) -> bool:
        return complaint.is_past_review_target(self.context.get("now") or timezone.now())


class ComplaintDetailSerializer(ComplaintSerializer):
    evidence = EvidenceSerializer(many=True, read_only=True)
    liability = serializers.SerializerMethodField()
    compensations = CompensationSerializer(many=True, read_only=True)
    can_appeal = serializers.SerializerMethodField(
        help_text=_("Upheld and still inside the 30-day appeal window.")
    )

    class Meta(ComplaintSerializer.Meta):
        fields = [
            *ComplaintSerializer.Meta.fields,
            "merchant_note",
            "decision_note",
            "appeal_note",
            "appeal_decided_at",
            "appeal_decision_note",
            "can_appeal",
            "evidence",
            "liability",
            "compensations",
        ]
        read_only_fields = fields

    @extend_schema_field(LiabilitySerializer(allow_null=True))
    def get_liability(self, complaint):
        try:
            liability = complaint.liability
        except Liability.DoesNotExist:
            return None
        return LiabilitySerializer(liability).data

    def get_can_appeal(self, complaint) -> bool:
        return complaint.appeal_window_open(self.context.get("now") or timezone.now())


class AppealSerializer(serializers.Serializer):
    note = TextField(max_length=4000, help_text=_("Why the decision should be overturned."))
