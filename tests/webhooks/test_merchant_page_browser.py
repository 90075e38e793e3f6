"""The webhook page in a browser (§15, §14): on a phone (390 px) and at a desk, in Chinese and
in English: no sideways scrolling, touch targets, one language per label; adding a webhook
shows its secret once; a paused webhook says why; the delivery log shows each attempt's
outcome with a way to send it again."""

import pytest
from django.utils import timezone

from tests import factories
from tests.browser.test_merchant_layout import VIEWPORTS, check, english_names, session_cookie
from tests.webhooks.receiver import Receiver
from tickets import delivery
from webhooks import services
from webhooks.models import Subscription
from webhooks.outbox import MERCHANT_EVENTS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def world(db, compiled_messages):
    shop = factories.ShopFactory(code="taobao-demo-1", name="淘宝示例店")
    staff = factories.merchant(shop=shop, username="merchant1")
    receiver = Receiver()
    working = services.subscription_create(
        actor=staff,
        shop_id=shop.pk,
        url=receiver.url + "/a-rather-long-path/for-an-erp/that-must-wrap?token=abcdef0123456789",
        events=["ticket.opened", "ticket.reply_due_soon", "complaint.filed"],
    )
    paused = services.subscription_create(
        actor=staff, shop_id=shop.pk, url="https://erp.example.com/urge", events=["ticket.opened"]
    )
    receiver.plan = [(500, 0, b'{"error": "database unavailable"}')]
    factories.urged(shop=shop)
    factories.urged(shop=shop)
    Subscription.objects.filter(pk=paused.pk).update(
        active=False, paused_at=timezone.now(), paused_reason="HTTP 503"
    )
    delivery.deliver_due(MERCHANT_EVENTS)
    yield {"staff": staff, "shop": shop, "working": working, "receiver": receiver}
    receiver.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "desk"])
def test_the_webhook_page_fits_and_works(browser, live_server, world, size, language):
    base = live_server.url
    ctx = browser.new_context(viewport=VIEWPORTS[size], locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.add_cookies(
        [
            {"name": "django_language", "value": language, "url": base},
            session_cookie(world["staff"], base),
        ]
    )
    english = english_names()
    try:
        page = ctx.new_page()
        kwargs = {"size": size, "language": language, "english": english}
        check(page, base + "/merchant/webhooks/", name="webhooks", **kwargs)
        assert page.locator("[data-paused]").count() == 1
        assert "HTTP 503" in page.locator(".webhook-card").nth(1).inner_text()
        log = f"/merchant/webhooks/{world['working'].pk}/deliveries/"
        check(page, base + log, name="delivery log", **kwargs)
        statuses = page.locator("tr[data-status]").evaluate_all(
            "rows => rows.map(r => r.dataset.status)"
        )
        assert sorted(statuses) == ["delivered", "failed"]
        assert "HTTP 500" in page.locator('tr[data-status="failed"]').inner_text()

        # Add one: the secret is shown once, then never again.
        page.goto(base + "/merchant/webhooks/")
        # every event's checkbox row is a touch target (§14: at least 44 px on a phone; the
        # desk's rows are the stylesheet's desk height)
        heights = page.locator("#id_events label").evaluate_all(
            "labels => labels.map(l => l.getBoundingClientRect().height)"
        )
        assert len(heights) == 7 and min(heights) >= (44 if size == "phone" else 36), heights
        page.fill("#id_url", "https://wms.example.com/events")
        page.check("input[value='ticket.completed']")
        page.click("#webhook-form button[type=submit]")
        secret = page.locator("[data-secret] code").inner_text()
        assert secret == Subscription.objects.get(url="https://wms.example.com/events").secret
        check(page, page.url, name="webhooks after adding", **kwargs)
        assert page.locator("[data-secret]").count() == 0  # reloaded: gone

        # Ping from the page lands in the log.
        card = page.locator(f"[data-webhook='{world['working'].pk}']")
        ping = "Send a ping" if language == "en" else "发送连通测试"
        card.get_by_role("button", name=ping).click()
        assert page.url.endswith(log)
        assert page.locator('tr[data-status="pending"]').count() == 1
    finally:
        ctx.close()
