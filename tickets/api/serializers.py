"""Serializers of the ticket side of the API: input shapes (validated, then handed to a service)
and output shapes (read from the selectors' querysets, no queries of their own)."""

import copy
import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from complaints.models import ComplaintKind, ComplaintState

from .. import roles
from ..models import (
    BuyerMessage,
    Order,
    Plan,
    ReplyReason,
    SecondPlan,
    Settlement,
    Shop,
    TicketState,
)
from ..selectors import ActorRole, buyer_timeline, ticket_timeline
from ..services import second_handling_open, second_handling_refusal
from .fields import (
    AmountField,
    AmountOutputField,
    BooleanField,
    DateField,
    InstantField,
    TextField,
)


class OptionalChoiceField(serializers.ChoiceField):
    """A choice that is not made yet: stored as "", shown as null."""

    def __init__(self, **kwargs):
        super().__init__(read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


# Instants before this are typos (and Asia/Shanghai's pre-1901 local mean time offset, +08:05:43,
# cannot even be written in RFC 3339): refused as input.
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def plausible_instant(value):
    if value is not None and value < EARLIEST:
        raise serializers.ValidationError(_("Enter a time in or after the year 2000."))
    return value


# -- orders (the order system) -------------------------------------------------------------


class OrderUpsertSerializer(serializers.Serializer):
    shop = serializers.SlugField(max_length=64, help_text=_("The shop's code."))
    buyer = TextField(
        max_length=150,
        help_text=_(
            "The buyer's username: a buyer account, or a new username (a buyer account is made). "
            "A merchant, platform or service account is refused."
        ),
    )
    amount = AmountField(
        help_text=_(
            'Paid amount in yuan, as a decimal string such as "129.90": ASCII digits, at most '
            "two decimal places (no sign, exponent, separator or full-width digit)."
        ),
    )
    is_fresh = BooleanField(
        default=False, help_text=_("Fresh category (生鲜): a 15-day ship-later cap.")
    )
    paid_at = InstantField(
        required=False,
        allow_null=True,
        default=None,
        validators=[plausible_instant],
        help_text=_(
            "When the buyer paid: an RFC 3339 instant with its offset or Z "
            "(2026-05-08T09:30:00+08:00); a date alone or a time without an offset is refused."
        ),
    )


class OrderSerializer(serializers.ModelSerializer):
    shop = serializers.SlugRelatedField(slug_field="code", read_only=True)
    buyer = serializers.SlugRelatedField(slug_field="username", read_only=True)
    amount = AmountOutputField()

    class Meta:
        model = Order
        fields = [
            "order_no",
            "shop",
            "buyer",
            "amount",
            "is_fresh",
            "paid_at",
            "shipped_at",
            "refunded_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrderEventSerializer(serializers.Serializer):
    type = serializers.ChoiceField(
        choices=Settlement.choices,
        help_text=_(
            "An order is settled once: the other type after one was recorded is a 409 conflict; "
            "the same type again changes nothing."
        ),
    )
    at = InstantField(
        required=False,
        allow_null=True,
        default=None,
        validators=[plausible_instant],
        help_text=_(
            "When it shipped or was refunded (an RFC 3339 instant with its offset); now when "
            "omitted."
        ),
    )


# -- catalogue, shops, messages --------------------------------------------------------------


class ReasonSerializer(serializers.ModelSerializer):
    allowed_plans = serializers.ListField(
        child=serializers.ChoiceField(choices=Plan.choices), read_only=True
    )

    class Meta:
        model = ReplyReason
        fields = ["code", "side", "label", "label_en", "buyer_text", "allowed_plans"]
        read_only_fields = fields


class ShopSerializer(serializers.ModelSerializer):
    class Meta:
        model = Shop
        fields = ["id", "code", "name", "platform", "second_handling_since"]
        read_only_fields = fields


class BuyerMessageSerializer(serializers.ModelSerializer):
    order_no = serializers.SerializerMethodField()

    class Meta:
        model = BuyerMessage
        fields = ["id", "ticket", "order_no", "kind", "text", "payload", "created_at"]
        read_only_fields = fields

    def get_order_no(self, message) -> str:
        # Written into every payload by the outbox: no join needed.
        return str(message.payload.get("order_no", ""))


class MetricsQuerySerializer(serializers.Serializer):
    since = InstantField(
        required=False,
        validators=[plausible_instant],
        help_text=_("Start of the window (default: 30 days ago)."),
    )
    until = InstantField(
        required=False,
        validators=[plausible_instant],
        help_text=_("End of the window (default: now). At most 366 days after since."),
    )

    def validate(self, attrs):
        now = timezone.now()
        attrs.setdefault("since", now - dt.timedelta(days=30))
        until = attrs.get("until") or now
        if attrs.get("until") and attrs["until"] <= attrs["since"]:
            raise serializers.ValidationError({"until": [_("until must be after since.")]})
        if until - attrs["since"] > dt.timedelta(days=366):
            # The figures by day are one row per day: the window is bounded.
            raise serializers.ValidationError({"since": [_("The window is at most 366 days.")]})
        return attrs


class DayFigureSerializer(serializers.Serializer):
    day = serializers.DateField()
    count = serializers.IntegerField()
    mean_seconds = serializers.FloatField(allow_null=True)


class ShopMetricsSerializer(serializers.Serializer):
    shop = serializers.SlugField(help_text=_("The shop's code."))
    shop_id = serializers.IntegerField()
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(allow_null=True)
    count = serializers.IntegerField(help_text=_("Tickets created in the window."))
    mean_seconds = serializers.FloatField(allow_null=True)
    median_seconds = serializers.FloatField(allow_null=True)
    p90_seconds = serializers.FloatField(allow_null=True)
    timeouts = serializers.IntegerField()
    complaints = serializers.IntegerField()
    upheld = serializers.IntegerField()
    upheld_rate = serializers.FloatField(allow_null=True)
    by_day = DayFigureSerializer(many=True)


# -- tickets -------------------------------------------------------------------------------


class UrgeSerializer(serializers.Serializer):
    order_no = TextField(max_length=64, help_text=_("The buyer's own order."))


class FlatInputSerializer(serializers.Serializer):
    """A request body of plain fields (no nested serializer, list or child field): each request
    binds shallow copies of the declared fields. DRF deep-copies them, re-creating every field
    with its validators, choices and lazy help texts; on the reply, the API's hot path, that
    was most of the validation's time. Binding sets attributes on the copy alone, and nothing
    a plain field shares with its original (validators, choices, messages) is changed by it."""

    def get_fields(self):
        return {name: copy.copy(field) for name, field in self._declared_fields.items()}


class ReplySerializer(FlatInputSerializer):
    plan = serializers.ChoiceField(choices=Plan.choices)
    reason = serializers.SlugField(
        max_length=64, help_text=_("A code from GET /api/v1/reasons/ that allows the plan.")
    )
    ship_by = DateField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "For ship_later and exchange_agreed: from today to today + 30 days (15 for fresh "
            "orders), Asia/Shanghai. Not for cannot_ship."
        ),
    )
    note = TextField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("Internal: for the shop's staff and the platform, never shown to the buyer."),
    )


class BuyerResponseSerializer(serializers.Serializer):
    accept = BooleanField(
        help_text=_("true accepts the ship-later plan; false rejects it (a complaint is filed).")
    )


class SecondHandlingSerializer(serializers.Serializer):
    plan = serializers.ChoiceField(choices=SecondPlan.choices)
    note = TextField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("Required for buyer_fault. Internal: never shown to the buyer."),
    )
    evidence = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        default=list,
        help_text=_(
            "buyer_fault: 1 to 5 files, JPEG, PNG or PDF by content, each at most 5 MiB "
            "(multipart field `evidence`, repeated; `evidence[]` is accepted too)."
        ),
    )


# Output shapes of tickets are plain serializers with declared fields: a ModelSerializer
# rebuilds its fields from the model on every instance, which dominated the write path's time.
RO = {"read_only": True}
RO_NULL = {"read_only": True, "allow_null": True}


class ReasonBriefSerializer(serializers.Serializer):
    code = serializers.SlugField(**RO)
    side = serializers.ChoiceField(choices=ReplyReason._meta.get_field("side").choices, **RO)
    label = serializers.CharField(**RO)
    label_en = serializers.CharField(**RO)
    buyer_text = serializers.CharField(**RO)


class TicketSerializer(serializers.Serializer):
    """A ticket in a list: everything on its row and its order's, shop's and buyer's rows."""

    id = serializers.IntegerField(**RO)
    order_no = serializers.CharField(source="order.order_no", **RO)
    shop = serializers.CharField(source="shop.code", help_text=_("The shop's code."), **RO)
    shop_id = serializers.IntegerField(**RO)
    shop_name = serializers.CharField(source="shop.name", **RO)
    buyer = serializers.CharField(
        source="buyer.username", help_text=_("The buyer's username."), **RO
    )
    state = serializers.ChoiceField(choices=TicketState.choices, **RO)
    state_display = serializers.CharField(source="get_state_display", **RO)
    created_at = serializers.DateTimeField(**RO)
    reply_due_at = serializers.DateTimeField(**RO)
    reply_plan = OptionalChoiceField(choices=Plan.choices)
    reply_reason = serializers.SerializerMethodField(help_text=_("The reason's code."))
    replied_at = serializers.DateTimeField(**RO_NULL)
    ship_by = serializers.DateField(**RO_NULL)
    ship_deadline = serializers.DateTimeField(
        help_text=_("The end of the ship-by day, Asia/Shanghai."), **RO_NULL
    )
    buyer_due_at = serializers.DateTimeField(**RO_NULL)
    buyer_accepted = serializers.BooleanField(**RO_NULL)
    second_handling_plan = OptionalChoiceField(choices=SecondPlan.choices)
    settlement = OptionalChoiceField(choices=Settlement.choices)
    settled_at = serializers.DateTimeField(**RO_NULL)
    completed_at = serializers.DateTimeField(**RO_NULL)
    deadline = serializers.DateTimeField(
        source="current_deadline",
        help_text=_("The instant the current state waits for, if any."),
        **RO_NULL,
    )
    is_overdue = serializers.SerializerMethodField()

    def get_reply_reason(self, ticket) -> str | None:
        return ticket.reply_reason.code if ticket.reply_reason_id else None

    def get_is_overdue(self, ticket) -> bool:
        # As the list's `overdue` filter: the merchant late, never a buyer's silence.
        return ticket.merchant_overdue(self.context.get("now") or timezone.now())

    def to_representation(self, ticket):
        """What the fields above declare (the schema shows them), built in one step: every
        list row and every action's answer (the write path) is this, and DRF's field-by-field
        walk costs more than the rest of a reply's Python. tests/api/test_ticket_row.py holds
        the two to the same output; subclasses walk their fields."""
        if type(self) is not TicketSerializer:
            return super().to_representation(ticket)
        return ticket_row(ticket, self)


def _instant(value, zone) -> str | None:
    """As DRF's DateTimeField writes an aware instant: in the time zone `zone` (the current
    one, looked up once per row), ISO 8601, UTC as "Z"."""
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def ticket_row(ticket, serializer: TicketSerializer) -> dict:
    """`TicketSerializer`'s output for `ticket` (its order, shop and buyer loaded); the method
    fields by the serializer's own methods."""
    zone = timezone.get_current_timezone()
    return {
        "id": ticket.pk,
        "order_no": ticket.order.order_no,
        "shop": ticket.shop.code,
        "shop_id": ticket.shop_id,
        "shop_name": ticket.shop.name,
        "buyer": ticket.buyer.username,
        "state": ticket.state,
        # get_state_display() builds and translates the whole choice list on every call
        "state_display": str(TicketState(ticket.state).label),
        "created_at": _instant(ticket.created_at, zone),
        "reply_due_at": _instant(ticket.reply_due_at, zone),
        "reply_plan": ticket.reply_plan or None,
        "reply_reason": serializer.get_reply_reason(ticket),
        "replied_at": _instant(ticket.replied_at, zone),
        "ship_by": ticket.ship_by.isoformat() if ticket.ship_by else None,
        "ship_deadline": _instant(ticket.ship_deadline, zone),
        "buyer_due_at": _instant(ticket.buyer_due_at, zone),
        "buyer_accepted": ticket.buyer_accepted,
        "second_handling_plan": ticket.second_handling_plan or None,
        "settlement": ticket.settlement or None,
        "settled_at": _instant(ticket.settled_at, zone),
        "completed_at": _instant(ticket.completed_at, zone),
        "deadline": _instant(ticket.current_deadline, zone),
        "is_overdue": serializer.get_is_overdue(ticket),
    }


class TicketOrderSerializer(serializers.Serializer):
    order_no = serializers.CharField(**RO)
    amount = AmountOutputField(**RO)
    is_fresh = serializers.BooleanField(**RO)
    paid_at = serializers.DateTimeField(**RO_NULL)
    shipped_at = serializers.DateTimeField(**RO_NULL)
    refunded_at = serializers.DateTimeField(**RO_NULL)


class TicketComplaintSerializer(serializers.Serializer):
    id = serializers.IntegerField(**RO)
    kind = serializers.ChoiceField(choices=ComplaintKind.choices, **RO)
    state = serializers.ChoiceField(choices=ComplaintState.choices, **RO)
    filed_at = serializers.DateTimeField(**RO)


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(**RO)
    subject = serializers.ChoiceField(choices=["ticket", "complaint"], **RO)
    subject_id = serializers.IntegerField(**RO)
    transition = serializers.CharField(**RO)
    source_state = serializers.CharField(**RO_NULL)
    state = serializers.CharField(**RO)
    actor = serializers.SerializerMethodField(help_text=_("Username, or null for the system."))
    payload = serializers.DictField(
        help_text=_("What the action recorded (plan, reason, ...)."), **RO
    )

    def get_actor(self, entry) -> str | None:
        return entry.actor.get_username() if entry.actor is not None else None


ACTIONS = ["reply", "buyer_response", "second_handling"]


class TicketDetailSerializer(TicketSerializer):
    """A ticket with its order, reason text, complaints and timeline (a fixed number of
    queries: the complaints are prefetched, the timeline is one query)."""

    order = TicketOrderSerializer(read_only=True)
    reply_reason = ReasonBriefSerializer(read_only=True, allow_null=True)
    complaints = TicketComplaintSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text=_("What the caller may do on this ticket now.")
    )
    second_handling_unavailable = serializers.SerializerMethodField(
        help_text=_("For the shop's staff: why second handling is not offered, if it is not.")
    )

    reply_note = serializers.CharField(**RO)
    buyer_responded_at = serializers.DateTimeField(**RO_NULL)
    second_handled_at = serializers.DateTimeField(**RO_NULL)
    second_handling_note = serializers.CharField(**RO)
    first_action_at = serializers.DateTimeField(**RO_NULL)

    @extend_schema_field(TimelineEntrySerializer(many=True))
    def get_timeline(self, ticket):
        timelines = self.context.get("timelines")  # many tickets' at once (`ticket_timelines`)
        entries = timelines[ticket.pk] if timelines is not None else ticket_timeline(ticket)
        return TimelineEntrySerializer(entries, many=True).data

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=ACTIONS)))
    def get_actions(self, ticket) -> list[str]:
        user = self.context["request"].user
        now = self.context.get("now") or timezone.now()
        actions = []
        if roles.is_merchant_of(user, ticket.shop_id):
            if ticket.reply_open(now):
                actions.append("reply")
            if second_handling_open(ticket, now):
                actions.append("second_handling")
        if ticket.buyer_id == user.pk and ticket.buyer_answer_open(now):
            actions.append("buyer_response")
        return actions

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_second_handling_unavailable(self, ticket) -> str | None:
        user = self.context["request"].user
        if not roles.is_merchant_of(user, ticket.shop_id):
            return None
        refusal = second_handling_refusal(ticket)
        return str(refusal[1]) if refusal else None


# -- the buyer's projection of a ticket (§17) -------------------------------------------------
# Declared field by field, not derived from the staff's shapes, so that a field added there is
# never shown to buyers by accident: states, times, the plan, the reason's buyer text, the
# ship-by date, deadlines, their own response; the actor of each step as a role. No username
# but their own, no note, no evidence, no liability.

ACTOR_LABELS = {
    ActorRole.BUYER: _("Buyer"),
    ActorRole.MERCHANT: _("Merchant"),
    ActorRole.PLATFORM: _("Platform"),
    ActorRole.SYSTEM: _("System"),
}


class BuyerReasonSerializer(serializers.Serializer):
    code = serializers.SlugField(**RO)
    buyer_text = serializers.CharField(**RO)


class BuyerComplaintSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ComplaintKind.choices, **RO)
    state = serializers.ChoiceField(choices=ComplaintState.choices, **RO)
    filed_at = serializers.DateTimeField(**RO)


class BuyerTimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(**RO)
    subject = serializers.ChoiceField(choices=["ticket", "complaint"], **RO)
    transition = serializers.CharField(**RO)
    source_state = serializers.CharField(**RO_NULL)
    state = serializers.CharField(**RO)
    actor_role = serializers.ChoiceField(choices=list(ACTOR_LABELS), **RO)
    actor = serializers.SerializerMethodField(
        help_text=_("Who acted, in the caller's language: buyer, merchant, platform, system.")
    )
    payload = serializers.DictField(
        help_text=_("plan, reason, ship_by, accept, settlement, at, kind, order_no: as recorded."),
        **RO,
    )

    def get_actor(self, entry) -> str:
        return str(ACTOR_LABELS[entry.actor_role])


class BuyerTicketDetailSerializer(serializers.Serializer):
    """A ticket as its buyer sees it (GET /tickets/{id}/ by the buyer)."""

    id = serializers.IntegerField(**RO)
    order_no = serializers.CharField(source="order.order_no", **RO)
    shop = serializers.CharField(source="shop.code", help_text=_("The shop's code."), **RO)
    shop_id = serializers.IntegerField(**RO)
    shop_name = serializers.CharField(source="shop.name", **RO)
    buyer = serializers.CharField(source="buyer.username", help_text=_("The caller."), **RO)
    state = serializers.ChoiceField(choices=TicketState.choices, **RO)
    state_display = serializers.CharField(source="get_state_display", **RO)
    created_at = serializers.DateTimeField(**RO)
    reply_due_at = serializers.DateTimeField(**RO)
    reply_plan = OptionalChoiceField(choices=Plan.choices)
    reply_reason = BuyerReasonSerializer(read_only=True, allow_null=True)
    replied_at = serializers.DateTimeField(**RO_NULL)
    ship_by = serializers.DateField(**RO_NULL)
    ship_deadline = serializers.DateTimeField(**RO_NULL)
    buyer_due_at = serializers.DateTimeField(**RO_NULL)
    buyer_accepted = serializers.BooleanField(**RO_NULL)
    buyer_responded_at = serializers.DateTimeField(**RO_NULL)
    second_handling_plan = OptionalChoiceField(choices=SecondPlan.choices)
    second_handled_at = serializers.DateTimeField(**RO_NULL)
    settlement = OptionalChoiceField(choices=Settlement.choices)
    settled_at = serializers.DateTimeField(**RO_NULL)
    completed_at = serializers.DateTimeField(**RO_NULL)
    deadline = serializers.DateTimeField(source="current_deadline", **RO_NULL)
    is_overdue = serializers.SerializerMethodField()
    order = TicketOrderSerializer(read_only=True)
    complaints = BuyerComplaintSerializer(many=True, read_only=True)
    timeline = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(
        help_text=_("What the caller may do on this ticket now.")
    )

    def get_is_overdue(self, ticket) -> bool:
        # As the list's `overdue` filter: the merchant late, never a buyer's silence.
        return ticket.merchant_overdue(self.context.get("now") or timezone.now())

    @extend_schema_field(BuyerTimelineEntrySerializer(many=True))
    def get_timeline(self, ticket):
        return BuyerTimelineEntrySerializer(buyer_timeline(ticket), many=True).data

    @extend_schema_field(
        serializers.ListField(child=serializers.ChoiceField(choices=["buyer_response"]))
    )
    def get_actions(self, ticket) -> list[str]:
        now = self.context.get("now") or timezone.now()
        user = self.context["request"].user
        may_answer = ticket.buyer_id == user.pk and ticket.buyer_answer_open(now)
        return ["buyer_response"] if may_answer else []
