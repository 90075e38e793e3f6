"""Buyer messages (§10): one row per buyer-visible event, written in the transition's own
transaction, delivered through the delivery outbox (`tickets/delivery.py`) as the
`buyer_messages` outbox: a task runs after commit; if the broker is down the row waits in the
outbox and the periodic re-send picks it up."""

import json

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from . import delivery, statements
from .models import BuyerMessage, MessageKind, Ticket

# Buyer-facing texts (the buyer app shows them as they are, in Chinese). `{…}` fields are filled
# from the ticket; the set-based sweeps use the same templates. Each is a sentence ending in "。".
TEXTS = {
    MessageKind.TICKET_OPENED: "您的催发货已提交，商家需在 {reply_due_at} 前回复。",
    MessageKind.REPLY: "商家回复：{plan}。原因：{reason_text}{ship_by_text}。",
    MessageKind.DEEMED_ACCEPTED: (
        "您未在时限内处理商家的后续可发方案，视为认可：商家将在 {ship_by} 前发货。"
    ),
    MessageKind.BUYER_RESPONSE: "您已{answer}商家的后续可发方案。",
    MessageKind.COMPLAINT_FILED: "平台已代您发起投诉（{kind_text}），平台介入处理中。",
    MessageKind.COMPLAINT_DECIDED: "您的投诉（{kind_text}）审核结果：{outcome}。",
    MessageKind.COMPENSATION: "您获得{compensation_kind}：{amount_text}。",
    MessageKind.COMPLETED: "您的催发货工单已完结。",
}

# A buyer-fault claim is the merchant's case against the buyer, not a complaint filed for them:
# its messages say so (§6), and its outcomes read from the merchant's claim.
BUYER_FAULT_CLAIM = "buyer_fault_claim"
BUYER_FAULT_CLAIM_TEXTS = {
    MessageKind.COMPLAINT_FILED: "商家主张因您的原因无法按约定履约，并已提交凭证，平台介入审核中。",
    MessageKind.COMPLAINT_DECIDED: (
        "平台已审核商家关于买家原因无法履约的主张，审核结果：{outcome}。"
    ),
}

OUTCOME_TEXTS = {"upheld": "投诉成立", "dismissed": "投诉不成立"}
BUYER_FAULT_CLAIM_OUTCOMES = {
    "upheld": "商家举证不成立，由商家承担责任",
    "dismissed": "商家举证成立，商家不承担责任",
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


def outcome_text(complaint_kind: str, outcome: str) -> str:
    """A decision (`upheld` or `dismissed`) as the buyer reads it for this kind."""
    table = BUYER_FAULT_CLAIM_OUTCOMES if complaint_kind == BUYER_FAULT_CLAIM else OUTCOME_TEXTS
    return table[outcome]


def buyer_text(kind: str, *, complaint_kind: str | None = None, **fields) -> str:
    """The text of a buyer message of `kind`; a complaint's messages depend on its kind."""
    template = TEXTS[kind]
    if complaint_kind == BUYER_FAULT_CLAIM:
        template = BUYER_FAULT_CLAIM_TEXTS.get(kind, template)
    return template.format(**fields)


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
    # The template ends the message with "。", and the ship-by sentence starts with its own:
    # the reason's text is given without its final full stop.
    reason_text = reason.buyer_text.strip().rstrip("。.． ")
    return {"plan": PLAN_TEXTS[plan], "reason_text": reason_text, "ship_by_text": ship_by_text}


def reply_text(*, plan: str, reason, ship_by, buyer_due_at) -> str:
    """The REPLY message exactly as the buyer reads it (the reply form previews this)."""
    return buyer_text(
        MessageKind.REPLY,
        **reply_fields(plan=plan, reason=reason, ship_by=ship_by, buyer_due_at=buyer_due_at),
    )


def amount_text(terms) -> str:
    """A compensation as the buyer reads it: yuan, or Tmall points with their yuan value."""
    return f"{terms.points} 天猫积分（¥{terms.amount}）" if terms.points else f"¥{terms.amount}"


def message_buyer(
    *,
    ticket: Ticket,
    kind: str,
    at,
    payload: dict | None = None,
    complaint_kind: str | None = None,
    **fields,
):
    """Write one outbox row for `ticket`'s buyer and ask for delivery after commit."""
    text = buyer_text(kind, complaint_kind=complaint_kind, **fields)
    message = statements.insert(
        BuyerMessage(
            ticket=ticket,
            buyer_id=ticket.buyer_id,
            kind=kind,
            text=text,
            payload={"ticket": ticket.pk, "order_no": ticket.order.order_no, **(payload or {})},
            created_at=at,
            next_attempt_at=at,
        )
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
