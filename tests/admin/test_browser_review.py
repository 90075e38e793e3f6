"""A reviewer's morning in a real browser (system Chromium): log in, take the oldest case,
read it, judge it with a note, and see the ticket complete once the order is settled.
Screenshots go to test-artifacts/ (the README's pictures are `manage.py screenshots`')."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from complaints.models import Complaint
from tests import factories
from tickets import services as ticket_services
from tickets.models import TicketState

from .conftest import staff
from .helpers import pending

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


def shot(page, name, **options):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), **options)


@pytest.fixture
def browser_context_args(browser_context_args):
    # A reviewer's browser in China: Chinese first, the platform's time zone.
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1440, "height": 1000},
    }


def test_a_reviewer_works_the_queue(seeded, live_server, page):
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    # the oldest waiting case: a Tmall order the merchant answered "cannot ship" two days ago
    shop = factories.ShopFactory(code="tmall-flagship", name="天猫旗舰店", platform="tmall")
    complaint = pending(shop=shop, at=timezone.now() - dt.timedelta(hours=50), amount="268.00")
    newer = pending()

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", reviewer.username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#rv-panel")
    assert complaint.ticket.order.order_no in page.inner_text("#rv-oldest")
    shot(page, "admin-index.png", full_page=True)

    # take the oldest waiting case from the queue
    page.goto(f"{live_server.url}/admin/complaints/complaint/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2
    assert complaint.ticket.order.order_no in rows.nth(0).inner_text()  # least time left first
    assert rows.nth(0).locator(".rv-late").inner_text().startswith("−")  # past the 48 h target
    shot(page, "admin-queue.png")
    page.click("#rv-take-next")
    page.wait_for_selector("#rv-decision-form")
    assert page.url.endswith(f"/admin/complaints/complaint/{complaint.pk}/change/")
    assert Complaint.objects.get(pk=complaint.pk).assignee == reviewer

    # everything needed to judge it on one page
    assert "¥80.40" in page.inner_text("#rv-liability")  # Tmall: 30 % of ¥268.00
    assert "8040" in page.inner_text("#rv-liability")  # paid as Tmall points
    assert page.locator("#rv-timeline-table tbody tr").count() == 4
    page.fill("#id_note", "商家选择无法发货，且未提供任何不可抗力证明，投诉成立。")
    shot(page, "admin-complaint.png", full_page=True)

    # judge it: the decision, then its confirmation, through the service
    page.click("button[value=uphold]")
    page.wait_for_selector("#rv-confirm-button")
    assert Complaint.objects.get(pk=complaint.pk).state == "in_review"  # not yet
    page.click("#rv-confirm-button")
    page.wait_for_selector(".messagelist .success")
    assert page.locator("#rv-decision-form").count() == 0
    complaint.refresh_from_db()
    assert complaint.state == "upheld" and complaint.decided_by == reviewer

    # the order system reports the shipment; the ticket completes
    ticket = complaint.ticket
    ticket.refresh_from_db()
    assert ticket.state == TicketState.AWAITING_SETTLEMENT
    ticket_services.order_settle(
        order_no=ticket.order.order_no, settlement="shipped", at=timezone.now()
    )
    page.click(f"#rv-ticket h2 a[href$='/tickets/ticket/{ticket.pk}/change/']")
    page.wait_for_selector("#rv-timeline-table")
    ticket.refresh_from_db()
    assert ticket.state == TicketState.COMPLETED
    assert str(TicketState.COMPLETED.label) in page.content() or "已完结" in page.content()

    # and the next case is one click away
    page.goto(f"{live_server.url}/admin/complaints/complaint/")
    page.click("#rv-take-next")
    page.wait_for_selector("#rv-decision-form")
    assert page.url.endswith(f"/admin/complaints/complaint/{newer.pk}/change/")
