"""What the buyer reads (§10): every message a sentence ending in "。", every seeded reason
right with every plan it allows, a buyer-fault claim told as the merchant's claim (not a
complaint on the buyer's behalf), and Chinese punctuation throughout, in the messages and in
the zh catalogue."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from complaints import services as complaint_services
from tests import factories
from tickets import outbox, services
from tickets.models import MessageKind, Plan, ReplyReason, platform_today

pytestmark = pytest.mark.django_db

CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
# ASCII punctuation touching Chinese (spaces between allowed), a doubled full stop, or a space
# beside full-width punctuation: "¥8.40. 不产生", "回复截止: ", "处理： 您的", "赔付, 以".
MIXED_PUNCTUATION = re.compile(
    rf"[{CJK}] *[,.:;]|[,.:;] *[{CJK}]|。。|[，。：；！？、] +\S|\S +[，。：；！？、]"
)

# Each seeded reason's text with each plan it allows, as the buyer reads it (the ship-by part
# of dated plans aside). A reason states the cause; the plan's sentence says what happens.
EXPECTED_REASON_TEXTS = {
    ("stock_shortage", "ship_later"): "商家回复：后续可发。原因：商品缺货。预计",
    ("stock_shortage", "cannot_ship"): "商家回复：无法发货。原因：商品缺货。",
    (
        "production_delay",
        "ship_later",
    ): "商家回复：后续可发。原因：商品为定制商品或生产周期延长。预计",
    ("production_delay", "cannot_ship"): "商家回复：无法发货。原因：商品为定制商品或生产周期延长。",
    (
        "warehouse_backlog",
        "ship_later",
    ): "商家回复：后续可发。原因：仓库发货积压，商家正在加紧处理。预计",
    (
        "carrier_suspended",
        "ship_later",
    ): "商家回复：后续可发。原因：快递停运或您所在区域暂停发货。预计",
    (
        "carrier_suspended",
        "cannot_ship",
    ): "商家回复：无法发货。原因：快递停运或您所在区域暂停发货。",
    ("force_majeure", "ship_later"): "商家回复：后续可发。原因：受天气等不可抗力影响。预计",
    ("force_majeure", "cannot_ship"): "商家回复：无法发货。原因：受天气等不可抗力影响。",
    ("presale_misconfigured", "ship_later"): (
        "商家回复：后续可发。原因：商品预售时间设置有误，页面显示的发货时间不准确。预计"
    ),
    ("presale_misconfigured", "cannot_ship"): (
        "商家回复：无法发货。原因：商品预售时间设置有误，页面显示的发货时间不准确。"
    ),
    ("buyer_requested_delay", "ship_later"): "商家回复：后续可发。原因：根据您的要求延迟发货。预计",
    ("buyer_changed_details", "ship_later"): (
        "商家回复：后续可发。原因：您修改了收货地址或商品规格。预计"
    ),
    ("buyer_changed_details", "exchange_agreed"): (
        "商家回复：协商一致换货。原因：您修改了收货地址或商品规格。换货预计"
    ),
    (
        "buyer_unreachable",
        "ship_later",
    ): "商家回复：后续可发。原因：商家联系不上您，请留意商家消息。预计",
    (
        "buyer_unreachable",
        "cannot_ship",
    ): "商家回复：无法发货。原因：商家联系不上您，请留意商家消息。",
    ("exchange_negotiated", "exchange_agreed"): (
        "商家回复：协商一致换货。原因：商家已与您协商一致换货。换货预计"
    ),
}
# What a reason may not promise beside a plan that says otherwise.
CONTRADICTIONS = {
    Plan.CANNOT_SHIP: ("补货", "尽快", "稍后", "后发货", "更多时间", "晚于", "确认后"),
    Plan.SHIP_LATER: ("无法发货", "退款"),
    Plan.EXCHANGE_AGREED: ("无法发货", "退款"),
}


def sent_reply(reason, plan):
    ticket = factories.urged()
    ship_by = None
    if plan != Plan.CANNOT_SHIP:
        ship_by = platform_today(timezone.now()) + dt.timedelta(days=5)
    services.ticket_reply(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan=plan,
        reason=reason.code,
        ship_by=ship_by,
    )
    return ticket.messages.get(kind=MessageKind.REPLY).text


def test_every_seeded_reason_reads_right_with_every_plan_it_allows():
    pairs = [(r, p) for r in ReplyReason.objects.all() for p in r.allowed_plans]
    assert {(r.code, p) for r, p in pairs} == set(EXPECTED_REASON_TEXTS)
    for reason, plan in pairs:
        text = sent_reply(reason, plan)
        assert text.startswith(EXPECTED_REASON_TEXTS[(reason.code, plan)]), text
        assert text.endswith("。") and not MIXED_PUNCTUATION.search(text), text
        for word in CONTRADICTIONS[plan]:
            assert word not in reason.buyer_text, (reason.code, plan, word)


def test_sent_reply_messages_end_with_a_full_stop():
    reason = ReplyReason.objects.get(code="stock_shortage")
    assert sent_reply(reason, Plan.SHIP_LATER).endswith("逾期未操作视为认可。")
    exchange = ReplyReason.objects.get(code="exchange_negotiated")
    assert sent_reply(exchange, Plan.EXCHANGE_AGREED).endswith("前发出。")


def test_a_reason_text_without_or_with_its_own_full_stop_gives_one():
    reason = ReplyReason.objects.get(code="stock_shortage")
    for text in ("商品缺货", "商品缺货。", "商品缺货. "):
        reason.buyer_text = text
        fields = outbox.reply_fields(
            plan="cannot_ship", reason=reason, ship_by=None, buyer_due_at=None
        )
        assert (
            outbox.buyer_text(MessageKind.REPLY, **fields) == "商家回复：无法发货。原因：商品缺货。"
        )


SAMPLE_FIELDS = {
    "reply_due_at": "2026-01-01 10:00",
    "ship_by": "2026-01-05",
    "answer": "接受",
    "kind_text": outbox.KIND_TEXTS["missed_ship_date"],
    "outcome": outbox.OUTCOME_TEXTS["upheld"],
    "compensation_kind": outbox.COMPENSATION_TEXTS["late_shipment"],
    "amount_text": "4326 天猫积分（¥43.26）",
    "plan": outbox.PLAN_TEXTS["ship_later"],
    "reason_text": "商品缺货",
    "ship_by_text": "。预计 2026-01-05 前发货，请在 2026-01-02 10:00 前确认，逾期未操作视为认可",
}


def test_every_buyer_text_is_a_chinese_sentence():
    texts = [outbox.buyer_text(kind, **SAMPLE_FIELDS) for kind in outbox.TEXTS]
    texts += [
        outbox.buyer_text(kind, complaint_kind="buyer_fault_claim", **SAMPLE_FIELDS)
        for kind in outbox.BUYER_FAULT_CLAIM_TEXTS
    ]
    for text in texts:
        assert text.endswith("。"), text
        assert not MIXED_PUNCTUATION.search(text), text


def test_buyer_fault_claim_is_not_a_complaint_on_the_buyers_behalf():
    reviewer = factories.reviewer_user()
    shop = factories.rolled_out_shop()
    ticket = factories.agreed(shop=shop)
    services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="买家要求暂缓发货",
        evidence=[factories.upload()],
    )
    filed = ticket.messages.get(kind=MessageKind.COMPLAINT_FILED).text
    assert "代您" not in filed and "投诉" not in filed
    assert filed == "商家主张因您的原因无法按约定履约，并已提交凭证，平台介入审核中。"
    complaint = ticket.complaints.get()
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="n")
    decided = ticket.messages.get(kind=MessageKind.COMPLAINT_DECIDED).text
    assert "您的投诉" not in decided
    assert decided == (
        "平台已审核商家关于买家原因无法履约的主张，审核结果：商家举证不成立，由商家承担责任。"
    )


def test_buyer_fault_claim_dismissed_reads_as_the_merchants_claim_upheld():
    assert outbox.outcome_text("buyer_fault_claim", "dismissed") == "商家举证成立，商家不承担责任"
    assert outbox.outcome_text("missed_ship_date", "dismissed") == "投诉不成立"


def test_a_complaint_for_the_buyer_still_says_so():
    ticket = factories.replied(plan="cannot_ship")
    filed = ticket.messages.get(kind=MessageKind.COMPLAINT_FILED).text
    assert filed == "平台已代您发起投诉（商家选择无法发货），平台介入处理中。"


def po_entries():
    po = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        fields, key = {}, None
        for line in block.splitlines():
            match = re.match(r'^(msgid|msgstr(?:\[\d\])?) "(.*)"$', line)
            if match:
                key = match.group(1)
                fields[key] = match.group(2)
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            yield fields["msgid"], [v for k, v in fields.items() if k.startswith("msgstr")]


def test_the_chinese_catalogue_uses_full_width_punctuation():
    offenders = []
    for msgid, msgstrs in po_entries():
        for msgstr in msgstrs:
            # Placeholders stand for values (dates, amounts); judge the text around them.
            text = re.sub(r"%\(\w+\)[sd]|%%", "0", msgstr)
            if MIXED_PUNCTUATION.search(text):
                offenders.append((msgid, msgstr))
    assert offenders == []


@pytest.mark.parametrize(
    "text",
    [
        "¥8.40. 不产生投诉",
        "回复截止: ",
        "无法进行二次处理： 您的",
        "延迟发货赔付, 以 4326 天猫积分支付",
    ],
)
def test_the_punctuation_check_catches_the_walks_examples(text):
    assert MIXED_PUNCTUATION.search(text)


@pytest.mark.parametrize(
    "text", ["剩余 3 小时 2 分", "¥8.40", "2026-01-01 10:00 前确认", "以 4326 天猫积分支付。"]
)
def test_the_punctuation_check_lets_numbers_and_spacing_be(text):
    assert not MIXED_PUNCTUATION.search(text)
