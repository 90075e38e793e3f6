"""Operations preview a stricter policy in a real browser (system Chromium) before publishing
it (§19): the numbers beside the version in force, the charts, the shops most affected; a
preview can be cancelled; nothing is published or written by previewing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tests.browser.conftest import compiled_messages  # noqa: F401 (a fixture)
from tickets.models import Policy

from .conftest import staff
from .test_browser_review import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1440, "height": 1100},
    }


@pytest.fixture
def history(seeded):
    """Last week's replies of two shops: promises 5, 21 and 25 days ahead (ordinary), and 12
    days for a fresh order; one reply 13 hours after the urge; one complaint upheld."""
    now = timezone.now()
    at = now - dt.timedelta(days=2)
    big = factories.ShopFactory(code="big-shop", name="大店")
    small = factories.ShopFactory(code="small-shop", name="小店")
    for days in (5, 21, 25):
        factories.replied(shop=big, days=days, at=at)
    factories.agreed(shop=small, days=12, at=at, is_fresh=True)
    late = factories.urged(shop=small, at=at - dt.timedelta(hours=13))
    from tickets import services

    services.ticket_reply(
        ticket_id=late.pk,
        actor=factories.staff_of(late),
        plan="ship_later",
        reason="stock_shortage",
        ship_by=at.date() + dt.timedelta(days=3),
        at=at,
    )
    reviewer = factories.reviewer_user()
    ticket, complaint = factories.in_review(
        reviewer=reviewer, shop=big, at=at, amount=Decimal("400.00")
    )
    from complaints import services as cs

    cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    return now


def log_in(page, live_server, user):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("input[type=submit]")


@pytest.mark.usefixtures("compiled_messages")
def test_operations_preview_a_stricter_policy_before_publishing(history, live_server, page):
    ops = staff(factories.UserFactory(username="ops1", groups=["operations"]))
    versions = Policy.objects.count()
    log_in(page, live_server, ops)
    page.goto(f"{live_server.url}/admin/tickets/policy/add/?platform=taobao")
    assert "预览影响" in page.inner_text("#pi-preview h2")

    page.fill("#id_ship_later_cap_days", "20")
    page.fill("#id_fresh_ship_later_cap_days", "10")
    page.fill("#id_reply_window", "12")
    page.fill("#id_late_rate", "8")
    page.fill("#id_late_max", "50.00")
    page.fill("#pi-days", "7")
    page.click("#pi-run")
    page.wait_for_selector("#pi-result:not([hidden])")
    assert "没有任何改动" in page.inner_text("#pi-status")

    def cells(row):
        return page.locator(f"#{row} td").all_inner_texts()

    assert cells("pi-row-over") == ["3（60.0%）", "0（0.0%）", "+3"]  # of 5 dated replies
    assert cells("pi-row-over-ordinary") == ["2", "0", "+2"]  # 21 and 25 days > 20
    assert cells("pi-row-over-fresh") == ["1", "0", "+1"]  # 12 days > 10
    assert cells("pi-row-late") == ["1", "0", "+1"]  # replied 13 hours after the urge
    # 8 % of ¥400 is ¥32.00 (at most ¥50); the version in force pays 5 %: ¥20.00
    assert cells("pi-row-late-shipment") == ["¥32.00", "¥20.00", "+¥12.00"]
    assert cells("pi-row-penalty") == ["3", "3", "0"]
    assert "v1" in page.text_content("#pi-head-current")
    shops = page.locator("#pi-shops tbody tr")
    assert "big-shop" in shops.nth(0).inner_text() and "small-shop" in shops.nth(1).inner_text()
    drawn = page.evaluate(
        "['pi-chart-counts', 'pi-chart-money'].map("
        "id => Chart.getChart(document.getElementById(id)).data.datasets[0].data)"
    )
    assert drawn == [[2, 1, 1, 3], [32, 0]]
    page.locator("#pi-preview").scroll_into_view_if_needed()
    shot(page, "admin-policy-preview.png", full_page=True)

    # A long preview can be cancelled: the request is held back here, never answered.
    held = []
    page.route("**/admin/tickets/policy/preview/", lambda route: held.append(route))
    page.fill("#pi-days", "90")
    page.click("#pi-run")
    page.wait_for_selector("#pi-cancel:not([hidden])")
    assert page.is_disabled("#pi-run")
    page.click("#pi-cancel")
    assert "已取消" in page.inner_text("#pi-status")
    assert page.is_enabled("#pi-run") and page.is_hidden("#pi-cancel")
    page.unroute("**/admin/tickets/policy/preview/")

    # Previewing published nothing.
    assert Policy.objects.count() == versions
