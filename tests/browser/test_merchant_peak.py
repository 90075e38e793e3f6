"""Peak days in a browser (§14), on a phone (390×844) and at a desk (1440×900), in Chinese and
in English: the filtered list with its sort labels whole (defect 10), ticking tickets and
sending one batch reply, the result page listing each ticket, and the export link carrying
the list's filters to a CSV with a BOM and headers in the page's language."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.browser.test_merchant_layout import (
    CJK,
    LABELS,
    MEASURE,
    TARGETS,
    VIEWPORTS,
    check,
    english_names,
    session_cookie,
)
from tickets.models import Ticket, TicketState

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Each option of the sort select, measured in the select's own font: does it fit the box
# (less its padding and the arrow)?
SORT_FITS = """() => {
  const select = document.querySelector("select[name=sort]");
  const style = getComputedStyle(select);
  const canvas = document.createElement("canvas").getContext("2d");
  canvas.font = style.font;
  const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
  const room = select.clientWidth - padding - 18;
  const width = (text) => Math.ceil(canvas.measureText(text).width);
  return [...select.options].map((o) => [o.text, width(o.text), room]);
}"""


@pytest.fixture
def shop_world(db, compiled_messages):
    now = timezone.now()
    shop = factories.ShopFactory(code="taobao-demo-1", name="淘宝示例店")
    staff = factories.merchant(shop=shop, username="merchant1")
    waiting = [
        factories.urged(shop=shop, at=now - dt.timedelta(hours=h), order_no=f"TB2026061800{h:02d}")
        for h in (2, 5, 9)
    ]
    fresh = factories.urged(shop=shop, is_fresh=True, order_no="TB2026061800FRESH")
    factories.replied(shop=shop)
    factories.urged(order_no="TB-OTHER-SHOP")  # another shop's: never seen
    return {"staff": staff, "waiting": waiting, "fresh": fresh}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "desk"])
def test_batch_reply_and_export_from_the_filtered_list(
    browser, live_server, shop_world, size, language
):
    base = live_server.url
    english = english_names()
    ctx = browser.new_context(viewport=VIEWPORTS[size], locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.add_cookies(
        [
            {"name": "django_language", "value": language, "url": base},
            session_cookie(shop_world["staff"], base),
        ]
    )
    try:
        page = ctx.new_page()
        url = f"{base}/merchant/tickets/?state=awaiting_reply&sort=reply_due&per_page=50"
        check(page, url, size=size, language=language, english=english, name="queue")
        if page.locator("details.filter-panel:not([open]) summary").count():
            page.locator("details.filter-panel summary").click()  # folded on a phone
        for text, width, room in page.evaluate(SORT_FITS):
            assert width <= room, (size, language, text, width, room)

        # The export link keeps the list's filters; the CSV is the list's rows.
        href = page.locator("#export-link").get_attribute("href")
        assert href.startswith("/merchant/tickets/export/?")
        assert "state=awaiting_reply" in href and "sort=reply_due" in href
        csv = page.request.get(base + href)
        assert csv.ok and csv.headers["content-type"] == "text/csv; charset=utf-8"
        body = csv.body()
        assert body.startswith(b"\xef\xbb\xbf")
        lines = body.decode("utf-8-sig").strip().splitlines()
        assert lines[0].startswith(
            "工单,订单,买家" if language == "zh-hans" else "Ticket,Order,Buyer"
        )
        assert len(lines) == 1 + 4 and "TB-OTHER-SHOP" not in body.decode()

        # Tick two tickets and the fresh one; 20 days is past the fresh cap of 15.
        chosen = [*shop_world["waiting"][:2], shop_world["fresh"]]
        for ticket in chosen:
            page.locator(f"input[name=tickets][value='{ticket.pk}']").check()
        ticked = page.locator("[data-selected-count]").inner_text()
        assert ticked == ("已勾选：3" if language == "zh-hans" else "Ticked: 3")
        page.select_option("#batch_plan", "ship_later")
        page.select_option("#batch_reason", "stock_shortage")
        day = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
        page.fill("#batch_ship_by", day)
        page.fill("#batch_note", "618")
        page.locator("#batch-submit").click()
        page.wait_for_selector("#batch-summary")
        # The result page (the answer to a POST: measured where it is, not loaded again).
        found = page.evaluate(MEASURE, [TARGETS, LABELS])
        assert found["scrollWidth"] <= found["innerWidth"] and found["clipped"] == []
        if size == "phone":
            assert found["small"] == []
        if language == "en":
            assert [t for t in found["texts"] if CJK.search(t)] == []
        else:
            assert [t for t in found["texts"] if t in english] == []
        summary = page.locator("#batch-summary").inner_text()
        expected = "已回复：2 · 被拒绝：1" if language == "zh-hans" else "Replied: 2 · Refused: 1"
        assert summary == expected
        refused = page.locator(f"[data-batch-ticket='{shop_world['fresh'].pk}']").inner_text()
        assert "15" in refused
        states = dict(
            Ticket.objects.filter(pk__in=[t.pk for t in chosen]).values_list("pk", "state")
        )
        assert states[chosen[0].pk] == TicketState.AWAITING_BUYER
        assert states[shop_world["fresh"].pk] == TicketState.AWAITING_REPLY
    finally:
        ctx.close()
