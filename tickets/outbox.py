"""Buyer messages (§10): one row per buyer-visible event, written in the transition's own
transaction, delivered through the delivery outbox (`tickets/delivery.py`) as the
`buyer_messages` outbox: a task runs after commit; if the broker is down the row waits in the
outbox and the periodic re-send picks it up."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from . import delivery
from .models import BuyerMessage, MessageKind, Ticket

# Buyer-facing texts (the buyer app shows them as they are, in Chinese). `{…}` fields are filled
# from the ticket; the set-based sweeps use the same templates.
TEXTS = {
    MessageKind.TICKET_OPENED: "您的催发货已提交，商家需在 {reply_due_at} 前回复。",
    MessageKind.REPLY: "商家回复：{plan}。原因：{reason_text}{ship_by_text}",
    MessageKind.DEEMED_ACCEPTED: (
        "您未在时限内处理商家的后续可发方案，视为认可：商家将在 {ship_by} 前发货。"
    ),
    MessageKind.BUYER_RESPONSE: "您已{answer}商家的后续可发方案。",
    MessageKind.COMPLAINT_FILED: "平台已代您发起投诉（{kind_text}），平台介入处理中。",
    MessageKind.COMPLAINT_DECIDED: "您的投诉（{kind_text}）审核结果：{outcome}。",
    MessageKind.COMPENSATION: "您获得{compensation_kind}：{amount_text}。",
    MessageKind.COMPLETED: "您的催发货工单已完结。",
}

PLAN_TEXTS = {
    "ship_later": "后续可发",
    "exchange_agreed": "协商一致换货",
    "cannot_ship": "无法发货",
}

COMPENSATION_TEXTS = {"stockout": "缺货赔付", "late_shipment": "延迟发货赔付"}

KIND_TEXTS = {
    "reply_timeout": "商家超时未回复",
    "plan_rejected": "后续可发未达成一致",
    "cannot_ship": "商家选择无法发货",
    "missed_ship_date": "约定时间未发货",
    "buyer_fault_claim": "商家主张买家原因无法履约",
}


def local_text(value) -> str:
    """A date or instant as the buyer reads it (Asia/Shanghai)."""
    from django.utils import timezone

    from .models import PLATFORM_TZ

    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return timezone.localtime(value, PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")
    return value.isoformat() if value is not None else ""


def reply_fields(*, plan: str, reason, ship_by, buyer_due_at) -> dict:
    """The fields of the REPLY text: the plan, the reason's buyer-facing text and, for dated
    plans, the promised date (and for ship-later, until when the buyer may answer)."""
    ship_by_text = ""
    if plan == "ship_later":
        ship_by_text = (
            f"。预计 {ship_by.isoformat()} 前发货，请在 {local_text(buyer_due_at)} "
            "前确认，逾期未操作视为认可"
        )
    elif plan == "exchange_agreed":
        ship_by_text = f"。换货预计 {ship_by.isoformat()} 前发出"
    # The ship-by sentence starts with its own "。"; avoid "。。" after the reason's text.
    reason_text = reason.buyer_text.rstrip("。") if ship_by_text else reason.buyer_text
    return {"plan": PLAN_TEXTS[plan], "reason_text": reason_text, "ship_by_text": ship_by_text}


def amount_text(terms) -> str:
    """A compensation as the buyer reads it: yuan, or Tmall points with their yuan value."""
    return f"{terms.points} 天猫积分（¥{terms.amount}）" if terms.points else f"¥{terms.amount}"


def message_buyer(*, ticket: Ticket, kind: str, at, payload: dict | None = None, **fields):
    """Write one outbox row for `ticket`'s buyer and ask for delivery after commit."""
    text = TEXTS[kind].format(**fields)
    message = BuyerMessage.objects.create(
        ticket=ticket,
        buyer_id=ticket.buyer_id,
        kind=kind,
        text=text,
        payload={"ticket": ticket.pk, "order_no": ticket.order.order_no, **(payload or {})},
        created_at=at,
        next_attempt_at=at,
    )
    transaction.on_commit(request_delivery, robust=True)
    return message


def message_body(message: BuyerMessage) -> bytes:
    return json.dumps(
        {
            "id": message.pk,
            "ticket": message.ticket_id,
            "buyer": message.buyer.get_username(),
            "kind": message.kind,
            "text": message.text,
            "payload": message.payload,
            "created_at": message.created_at,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def message_envelope(message: BuyerMessage) -> delivery.Envelope:
    """To the buyer app's webhook (`BUYER_MESSAGE_WEBHOOK_URL`; none: logged), signed with
    `BUYER_MESSAGE_WEBHOOK_SECRET`; the event id is the message's id."""
    return delivery.Envelope(
        url=settings.BUYER_MESSAGE_WEBHOOK_URL,
        secret=settings.BUYER_MESSAGE_WEBHOOK_SECRET,
        event_id=str(message.pk),
        event_type=f"buyer_message.{message.kind}",
        body=message_body(message),
    )


BUYER_MESSAGES = delivery.register(
    delivery.Outbox(
        name="buyer_messages", model=BuyerMessage, envelope=message_envelope, related=("buyer",)
    )
)


def request_delivery():
    """Ask for a delivery run of the buyer messages after a commit (debounced, best effort)."""
    delivery.request_delivery(BUYER_MESSAGES.name)
