"""`POST /api/v1/tickets/batch-reply/` (§14 批量回复): thin, like every endpoint: the serializer
shapes the batch, `ticket_batch_reply` judges each ticket by the single reply's rules."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, generics, serializers
from rest_framework.response import Response

from idempotency.api import idempotent

from .. import roles
from ..batch_reply import MAX_BATCH, ticket_batch_reply
from .serializers import ReplySerializer
from .views import ApiMixin

MAX_ID = 2**63 - 1  # the primary key is a bigint


class TicketIdField(serializers.IntegerField):
    """A ticket id as a JSON integer: not a string, a float or a boolean (DRF's IntegerField
    takes "12", 12.0 and true)."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class BatchReplySerializer(ReplySerializer):
    tickets = serializers.ListField(
        child=TicketIdField(min_value=1, max_value=MAX_ID),
        min_length=1,
        max_length=MAX_BATCH,
        help_text=_("1 to 200 distinct ticket ids."),
    )

    def validate_tickets(self, value):
        if len(set(value)) != len(value):
            raise serializers.ValidationError(_("Each ticket may appear only once."))
        return value


class BatchItemSerializer(serializers.Serializer):
    ticket = serializers.IntegerField()
    ok = serializers.BooleanField()
    state = serializers.CharField(
        required=False, help_text=_("The state the ticket went to (replied only).")
    )
    code = serializers.CharField(
        required=False,
        help_text=_(
            "Why it was refused: not_found, invalid_transition, deadline_passed, invalid "
            "(plan, reason or ship-by date), conflict."
        ),
    )
    detail = serializers.CharField(required=False)


class BatchReplyResultSerializer(serializers.Serializer):
    replied = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BatchItemSerializer(many=True)


@extend_schema(tags=["tickets"])
class BatchReplyView(ApiMixin, generics.GenericAPIView):
    serializer_class = BatchReplySerializer

    @extend_schema(
        summary="Batch reply: one plan for up to 200 tickets (merchant)",
        description=_(
            "批量回复. Each ticket is judged by exactly the rules of a single reply (scope, "
            "state, deadline, reason/plan fit, the ship-by cap of its own order) and replied "
            "or refused on its own: one refusal never blocks the others. Tickets outside the "
            "caller's shops are refused as not_found, like missing ones. More than 200 ids, "
            "none, or an id twice is a 400 and nothing changes."
        ),
        request=BatchReplySerializer,
        responses=BatchReplyResultSerializer,
        examples=[
            OpenApiExample(
                "ship later",
                request_only=True,
                value={
                    "tickets": [101, 102, 103],
                    "plan": "ship_later",
                    "reason": "warehouse_backlog",
                    "ship_by": "2026-06-20",
                    "note": "",
                },
            )
        ],
    )
    @idempotent
    def post(self, request):
        if not roles.shop_ids(request.user):
            raise exceptions.PermissionDenied(_("Only merchant staff can reply to tickets."))
        serializer = BatchReplySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        result = ticket_batch_reply(
            ticket_ids=data["tickets"],
            actor=request.user,
            plan=data["plan"],
            reason=data["reason"],
            ship_by=data["ship_by"],
            note=data["note"],
        )
        return Response(result.as_dict())
