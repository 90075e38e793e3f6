"""A merchant's working day in a real browser: log in, read the dashboard, filter the list,
reply ship-later past the cap (the advice), correct it, watch the ticket move, claim buyer
fault with evidence in second handling, and switch to English."""

import datetime as dt
import io
import random
import re
import time

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from complaints import services as complaint_services
from tests import factories
from tickets import services
from tickets.models import platform_today

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def wait_until(page, expression: str, timeout: float = 10.0):
    """`page.wait_for_function` polls by evaluating the string inside the page, which the
    Content-Security-Policy forbids (no 'unsafe-eval') whenever the first check is false; this
    polls from here instead (an evaluation the policy does not govern)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {timeout} s: {expression}"
        page.wait_for_timeout(50)


def chat_screenshot_png() -> bytes:
    """A picture a merchant would upload: a chat where the buyer asks to hold the parcel."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (480, 360), "#ededed")
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 18)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle((0, 0, 480, 44), fill="#ff5000")
    draw.text((16, 12), "买家 buyer-demo", fill="white", font=font)
    bubbles = [
        (False, "你好，我下周才回家"),
        (False, "请先别发货，等我通知"),
        (True, "好的，我们先保留订单"),
        (False, "谢谢，到时候再说"),
    ]
    y = 64
    for mine, text in bubbles:
        width = int(draw.textlength(text, font=font)) + 28
        x = 480 - width - 16 if mine else 16
        draw.rounded_rectangle((x, y, x + width, y + 40), 8, fill="#95ec69" if mine else "white")
        draw.text((x + 14, y + 10), text, fill="#1f2329", font=font)
        y += 64
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def seed_history(shop, staff, now):
    """Thirty days of tickets, handled after a few hours each, some timed out and upheld."""
    rng = random.Random(7)
    reviewer = factories.UserFactory(username="reviewer-browser", groups=["reviewers"])
    for day in range(30, 1, -1):
        for _ in range(rng.randint(1, 3)):
            urged_at = now - dt.timedelta(days=day, hours=rng.randint(0, 12))
            ticket = factories.urged(shop=shop, at=urged_at)
            hours = rng.uniform(0.5, 10 if day > 12 else 5)
            exchange = rng.random() < 0.3
            replied_at = urged_at + dt.timedelta(hours=hours)
            services.ticket_reply(
                ticket_id=ticket.pk,
                actor=staff,
                plan="exchange_agreed" if exchange else "ship_later",
                reason="buyer_changed_details" if exchange else "stock_shortage",
                ship_by=platform_today(urged_at) + dt.timedelta(days=7),
                at=replied_at,
            )
            if not exchange:
                services.ticket_buyer_respond(
                    ticket_id=ticket.pk, buyer=ticket.buyer, accept=True, at=replied_at
                )
            shipped_at = min(replied_at + dt.timedelta(days=2), now - dt.timedelta(hours=1))
            services.order_settle(
                order_no=ticket.order.order_no, settlement="shipped", at=shipped_at
            )
    for day in (20, 9):
        ticket = factories.urged(shop=shop, at=now - dt.timedelta(days=day))
        services.ticket_reply_timeout(ticket_id=ticket.pk, at=ticket.reply_due_at)
        complaint = ticket.complaints.get()
        complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
        if day == 20:
            complaint_services.complaint_uphold(
                complaint_id=complaint.pk, reviewer=reviewer, note="未在 24 小时内回复"
            )
        # The order was refunded the next day: that is the first action of §9.
        services.order_settle(
            order_no=ticket.order.order_no,
            settlement="refunded",
            at=ticket.reply_due_at + dt.timedelta(hours=6),
        )


@pytest.fixture
def demo(db, compiled_messages):
    now = timezone.now()
    shop = factories.ShopFactory(code="taobao-demo-1", name="淘宝示例店")
    services.shop_enable_second_handling(shops=[shop], at=now - dt.timedelta(days=40))
    staff = factories.merchant(shop=shop, username="merchant1")
    seed_history(shop, staff, now)
    # Open work: replies due soon and later, a plan waiting on the buyer, an agreed date.
    urgent = factories.urged(shop=shop, at=now - dt.timedelta(hours=21), order_no="TB20261126001")
    factories.urged(shop=shop, at=now - dt.timedelta(hours=3), order_no="TB20261126002")
    factories.urged(
        shop=shop, at=now - dt.timedelta(hours=23, minutes=10), order_no="TB20261126003"
    )
    factories.urged(
        shop=shop, at=now - dt.timedelta(hours=9), order_no="TB20261126004", is_fresh=True
    )
    factories.replied(shop=shop, at=now - dt.timedelta(hours=20), order_no="TB20261125007")
    agreed = factories.agreed(shop=shop, at=now - dt.timedelta(hours=30), order_no="TB20261124015")
    factories.urged(shop=shop, at=now - dt.timedelta(hours=26), order_no="TB20261125003")
    factories.urged(order_no="TM-OTHER-SHOP")  # another shop's: never shown
    return {"urgent": urgent, "agreed": agreed, "staff": staff}


def shot(page, artifacts, name):
    """For a human looking at a failure; the README's pictures are `manage.py screenshots`'."""
    page.screenshot(path=str(artifacts / name), full_page=True)


def test_merchant_day(page, live_server, demo, artifacts):
    base = live_server.url
    today = platform_today(timezone.now())

    # Log in: the pages are in Chinese for a Chinese browser.
    page.goto(f"{base}/merchant/")
    expect(page.locator("h1")).to_have_text("商家登录")
    page.fill("#id_username", "merchant1")
    page.fill("#id_password", factories.PASSWORD)
    page.click(".login-card button[type=submit]")
    expect(page.locator("h1")).to_have_text("概览")
    expect(page.locator("[data-metric=count]")).not_to_have_text("0")
    expect(page.locator("[data-due=reply] li")).to_have_count(2)
    wait_until(page, "document.querySelector('#handling-chart').width > 0")
    page.wait_for_timeout(300)  # the chart draws on the next frame
    shot(page, artifacts, "merchant-dashboard.png")

    # The list: filter to tickets awaiting a reply, then search one order.
    page.click("nav.mainnav >> text=工单")
    page.select_option("#id_state", "awaiting_reply")
    page.click("form.filters button[type=submit]")
    rows = page.locator("tbody tr[data-ticket]")
    expect(rows).to_have_count(5)
    expect(page.locator("tbody")).not_to_contain_text("TM-OTHER-SHOP")
    expect(page.locator("tr.row-overdue")).to_have_count(1)  # urged 26 h ago, sweep pending
    expect(rows.first.locator(".countdown")).to_contain_text("已超时")
    page.fill("#id_q", "TB20261126001")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first.locator(".countdown")).to_contain_text("剩余")
    shot(page, artifacts, "merchant-list.png")
    rows.first.locator("a").first.click()

    # Reply ship-later with a date past the 30-day cap: the advice, before and after sending.
    page.click("text=回复买家")
    page.check("input[name=plan][value=ship_later]")
    expect(page.locator("select[name=reason] option[value=exchange_negotiated]")).to_be_disabled()
    page.select_option("select[name=reason]", "stock_shortage")
    preview = page.locator("#buyer-preview")
    expect(preview).to_have_class(re.compile("invalid"))  # no date yet: not sendable as it is
    too_late = (today + dt.timedelta(days=40)).isoformat()
    page.fill("input[name=ship_by]", too_late)
    advice = page.locator("#ship-by-advice")
    expect(advice).to_be_visible()
    expect(advice).to_contain_text("预售时间")
    expect(preview).to_contain_text("无法按此发送")  # a date past the cap is shown as invalid
    page.click("text=提交回复")
    expect(page.locator("#field-ship_by .error")).to_contain_text("联系买家退款")
    expect(page.locator("#field-ship_by .error")).to_contain_text("无法发货")
    shot(page, artifacts, "merchant-reply-advice.png")
    good = (today + dt.timedelta(days=7)).isoformat()
    page.fill("input[name=ship_by]", good)
    expect(advice).to_be_hidden()
    # The preview is the message the reply sends, from the server: its last words included.
    expect(preview).to_contain_text(f"商家回复：后续可发。原因：商品缺货。预计 {good} 前发货")
    expect(preview).to_contain_text("逾期未操作视为认可。")
    page.click("text=提交回复")
    expect(page.locator(".message-success")).to_contain_text("回复已发送给买家")
    expect(page.locator(".page-head .badge")).to_have_text("待买家确认")
    expect(page.locator(".timeline-item")).to_have_count(2)
    expect(page.locator(".timeline")).to_contain_text("merchant1")

    # Second handling on the agreed ticket: buyer fault with two evidence files.
    page.goto(f"{base}/merchant/tickets/{demo['agreed'].pk}/")
    page.click("a:has-text('二次处理')")
    expect(page.locator(".choice-card .amount")).to_have_text("¥5.00")
    page.check("input[name=plan][value=buyer_fault]")
    page.fill("textarea[name=note]", "买家要求暂缓发货，见聊天记录截图。")
    page.set_input_files(
        "input[name=evidence]",
        [
            {"name": "聊天记录.png", "mimeType": "image/png", "buffer": chat_screenshot_png()},
            {"name": "说明.pdf", "mimeType": "application/pdf", "buffer": factories.PDF},
        ],
    )
    page.click("button:has-text('提交')")
    expect(page.locator(".message-success")).to_contain_text("已连同凭证提交平台审核")
    expect(page.locator(".page-head .badge")).to_have_text("平台介入中")
    thumb = page.locator(".evidence-thumbs img")
    expect(thumb).to_have_count(1)
    wait_until(page, "document.querySelector('.evidence-thumbs img').naturalWidth > 0")
    shot(page, artifacts, "merchant-ticket.png")

    # English by the switch, and it sticks.
    page.click("button:has-text('English')")
    expect(page.locator(".page-head .badge")).to_have_text("Platform review")
    page.click("nav.mainnav >> text=Dashboard")
    expect(page.locator("h1")).to_have_text("Dashboard")
    shot(page, artifacts, "merchant-dashboard-en.png")


def test_merchant_of_two_shops_compensates_and_appeals(page, live_server, db, compiled_messages):
    """The rest of §3 in the browser: switch shops, compensate proactively, appeal an upheld
    complaint within its window."""
    from tickets.models import ShopMembership

    now = timezone.now()
    reviewer = factories.UserFactory(username="reviewer-appeal", groups=["reviewers"])
    first = factories.ShopFactory(name="第一家店")
    second = factories.ShopFactory(name="第二家店")
    services.shop_enable_second_handling(shops=[second], at=now - dt.timedelta(days=1))
    staff = factories.merchant(shop=first, username="multi-shop")
    ShopMembership.objects.create(user=staff, shop=second)
    waiting = factories.replied(shop=second, order_no="SECOND-0001", amount="300.00")
    _ticket, complaint = factories.in_review(reviewer=reviewer, shop=first, order_no="FIRST-0001")
    complaint_services.complaint_uphold(
        complaint_id=complaint.pk, reviewer=reviewer, note="未按时发货"
    )

    page.goto(f"{live_server.url}/merchant/login/")
    page.fill("#id_username", "multi-shop")
    page.fill("#id_password", factories.PASSWORD)
    page.click(".login-card button[type=submit]")
    expect(page.locator("#shop-select")).to_have_value(str(first.pk))

    # Appeal the upheld complaint of the first shop.
    page.click("nav.mainnav >> text=投诉")
    expect(page.locator("tbody tr[data-complaint]")).to_have_count(1)
    page.click("tbody tr[data-complaint] a.strong")
    page.fill("#appeal textarea[name=note]", "物流记录显示已按时揽收。")
    page.click("#appeal button[type=submit]")
    expect(page.locator(".message-success")).to_contain_text("申诉已提交")
    expect(page.locator(".page-head .badge")).to_have_text("申诉中")

    # Switch to the second shop: its tickets only; compensate proactively.
    page.select_option("#shop-select", str(second.pk))
    expect(page.locator(".message-info")).to_contain_text("第二家店")
    page.click("nav.mainnav >> text=工单")
    expect(page.locator("tbody tr[data-ticket]")).to_have_count(1)
    page.click("text=SECOND-0001")
    page.click("a:has-text('二次处理')")
    expect(page.locator(".buyer-fault-only")).to_be_hidden()
    page.check("input[name=plan][value=compensate]")
    page.click("button:has-text('提交')")
    # Money, once per ticket: asked first, paid on confirmation.
    expect(page.locator("#confirm-form .confirm-amount")).to_have_text("¥15.00")
    waiting.refresh_from_db()
    assert waiting.state == "awaiting_buyer"
    page.click("#confirm-form button[type=submit]")
    expect(page.locator(".message-success")).to_contain_text("赔付已记录")
    expect(page.locator(".page-head .badge")).to_have_text("已主动赔付")
    expect(page.locator(".detail-side")).to_contain_text("¥15.00")
    waiting.refresh_from_db()
    assert waiting.state == "compensated"
