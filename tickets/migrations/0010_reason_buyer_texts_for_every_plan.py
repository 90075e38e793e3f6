"""The seeded reasons' buyer texts say only the cause, so that each reads right with every plan
the reason allows: the plan's own sentence says what happens next ("商品暂时缺货，商家正在加急补货"
promised a restock even beside 无法发货). A text that operations already edited is left alone."""

from django.db import migrations

# code: (seeded text, text that reads right with every allowed plan)
TEXTS = {
    "stock_shortage": ("商品暂时缺货，商家正在加急补货。", "商品缺货。"),
    "production_delay": (
        "商品为定制或生产周期延长，需要更多时间制作。",
        "商品为定制商品或生产周期延长。",
    ),
    "force_majeure": ("受天气等不可抗力影响，暂时无法按时发货。", "受天气等不可抗力影响。"),
    "presale_misconfigured": (
        "商品预售时间设置有误，实际发货时间晚于页面显示。",
        "商品预售时间设置有误，页面显示的发货时间不准确。",
    ),
    "buyer_changed_details": (
        "您修改了地址或规格，商家确认后发货。",
        "您修改了收货地址或商品规格。",
    ),
    "buyer_unreachable": (
        "商家暂时联系不上您，请留意商家消息。",
        "商家联系不上您，请留意商家消息。",
    ),
}


def forward(apps, schema_editor):
    ReplyReason = apps.get_model("tickets", "ReplyReason")
    for code, (old, new) in TEXTS.items():
        ReplyReason.objects.filter(code=code, buyer_text=old).update(buyer_text=new)


def backward(apps, schema_editor):
    ReplyReason = apps.get_model("tickets", "ReplyReason")
    for code, (old, new) in TEXTS.items():
        ReplyReason.objects.filter(code=code, buyer_text=new).update(buyer_text=old)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0009_english_choice_labels")]

    operations = [migrations.RunPython(forward, backward)]
