"""Seed data every installation needs: the reason catalogue of §5, the default policy of §8
for both platforms, and the role groups of §3."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import migrations

# code, side, 中文, English, buyer-facing text, allowed plans
REASONS = [
    (
        "stock_shortage",
        "seller",
        "商品缺货，正在补货",
        "Out of stock, restocking",
        "商品暂时缺货，商家正在加急补货。",
        ("ship_later", "cannot_ship"),
    ),
    (
        "production_delay",
        "seller",
        "定制或生产周期延长",
        "Custom or production lead time extended",
        "商品为定制或生产周期延长，需要更多时间制作。",
        ("ship_later", "cannot_ship"),
    ),
    (
        "warehouse_backlog",
        "seller",
        "仓库发货积压",
        "Warehouse backlog",
        "仓库发货积压，商家正在加紧处理。",
        ("ship_later",),
    ),
    (
        "carrier_suspended",
        "seller",
        "快递停运或区域停发",
        "Carrier suspended or region not served",
        "快递停运或您所在区域暂停发货。",
        ("ship_later", "cannot_ship"),
    ),
    (
        "force_majeure",
        "seller",
        "天气等不可抗力",
        "Weather or other force majeure",
        "受天气等不可抗力影响，暂时无法按时发货。",
        ("ship_later", "cannot_ship"),
    ),
    (
        "presale_misconfigured",
        "seller",
        "预售时间设置有误",
        "Presale time set wrongly",
        "商品预售时间设置有误，实际发货时间晚于页面显示。",
        ("ship_later", "cannot_ship"),
    ),
    (
        "buyer_requested_delay",
        "buyer",
        "买家要求延迟发货",
        "Buyer asked to ship later",
        "根据您的要求延迟发货。",
        ("ship_later",),
    ),
    (
        "buyer_changed_details",
        "buyer",
        "买家修改地址或规格，待确认",
        "Buyer changed address or options",
        "您修改了地址或规格，商家确认后发货。",
        ("ship_later", "exchange_agreed"),
    ),
    (
        "buyer_unreachable",
        "buyer",
        "联系不上买家",
        "Buyer cannot be reached",
        "商家暂时联系不上您，请留意商家消息。",
        ("ship_later", "cannot_ship"),
    ),
    (
        "exchange_negotiated",
        "buyer",
        "已与买家协商一致换货",
        "Exchange agreed with the buyer",
        "商家已与您协商一致换货。",
        ("exchange_agreed",),
    ),
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# The announcement's rollout began on 2023-05-08; the first version is in force from then.
FIRST_EFFECTIVE = dt.datetime(2023, 5, 8, tzinfo=SHANGHAI)

POLICIES = [
    dict(
        platform="taobao",
        late_rate=Decimal("0.05"),
        late_min=Decimal("5.00"),
        late_max=Decimal("30.00"),
        payout="cash",
        points_per_yuan=0,
    ),
    dict(
        platform="tmall",
        late_rate=Decimal("0.30"),
        late_min=Decimal("5.00"),
        late_max=Decimal("500.00"),
        payout="tmall_points",
        points_per_yuan=100,
    ),
]

GROUPS = ["reviewers", "operations", "order_system", "buyers"]


def seed(apps, schema_editor):
    ReplyReason = apps.get_model("tickets", "ReplyReason")
    Policy = apps.get_model("tickets", "Policy")
    Group = apps.get_model("auth", "Group")
    for order, (code, side, label, label_en, text, plans) in enumerate(REASONS):
        ReplyReason.objects.update_or_create(
            code=code,
            defaults=dict(
                side=side,
                label=label,
                label_en=label_en,
                buyer_text=text,
                sort_order=order,
                allows_ship_later="ship_later" in plans,
                allows_exchange_agreed="exchange_agreed" in plans,
                allows_cannot_ship="cannot_ship" in plans,
            ),
        )
    for p in POLICIES:
        if Policy.objects.filter(platform=p["platform"]).exists():
            continue
        Policy.objects.create(
            version=1,
            effective_from=FIRST_EFFECTIVE,
            reply_window=dt.timedelta(hours=24),
            buyer_window=dt.timedelta(hours=24),
            ship_later_cap_days=30,
            fresh_ship_later_cap_days=15,
            review_target=dt.timedelta(hours=48),
            appeal_window=dt.timedelta(days=30),
            stockout_rate=p["late_rate"],
            stockout_min=p["late_min"],
            stockout_max=p["late_max"],
            points_per_upheld=3,
            note="Defaults of the spec (§8).",
            **p,
        )
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
