"""The review desk at volume (§18) in a real browser (system Chromium, 1440 px): the queue
sorted by time to target, a lead's assignment, a canned note inserted and edited, the
confirmation, the English queue fitting the screen, the timeline's note readable beside the
decision, and the evidence viewer's zoom. Pictures go to test-artifacts/."""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.utils import timezone

from complaints import services as complaint_services
from complaints.models import Complaint, ComplaintKind, DecisionTemplate
from tests import factories
from tickets import services as ticket_services

from .conftest import staff
from .helpers import claimed, pending, upheld

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CJK = re.compile(r"[\u4e00-\u9fff]")


def shot(page, name, **options):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), **options)


@pytest.fixture
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1440, "height": 1000},
    }


def log_in(page, live_server, user, language=None):
    if language:
        page.context.add_cookies(
            [{"name": "django_language", "value": language, "url": live_server.url}]
        )
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", factories.PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#rv-panel")


def queue_rows(page):
    return [int(t.strip("#")) for t in page.locator("#result_list tbody th a").all_inner_texts()]


def test_the_queue_sorts_by_time_to_target_and_shows_the_late_in_red(
    seeded, live_server, page, compiled_messages
):
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    now = timezone.now()
    late = pending(at=now - dt.timedelta(hours=52))  # 4 h past target
    fresh = pending(at=now - dt.timedelta(hours=1))  # 47 h left
    with_appeal = upheld(reviewer, at=now - dt.timedelta(days=6))
    complaint_services.complaint_appeal(
        complaint_id=with_appeal.pk,
        actor=factories.staff_of(with_appeal.ticket),
        note="补充了发货记录",
        at=now - dt.timedelta(hours=30),
    )  # 18 h left, although filed six days ago
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/complaints/complaint/")
    assert queue_rows(page) == [late.pk, with_appeal.pk, fresh.pk]
    late_cell = page.locator("#result_list tbody tr").nth(0).locator(".rv-late")
    assert late_cell.inner_text().startswith("−4小时")
    assert late_cell.evaluate("e => getComputedStyle(e).color") == "rgb(198, 40, 40)"
    shot(page, "admin-queue-by-target.png")
    # the column is the queue's sort: its header turns it round, and back
    header = page.locator("th.column-time_to_target")
    assert "sorted" in header.get_attribute("class")
    header.locator(".text a").click()
    page.wait_for_url(re.compile(r".*[?&]o=-8"))
    assert queue_rows(page) == [fresh.pk, with_appeal.pk, late.pk]
    page.locator("th.column-time_to_target .text a").click()
    page.wait_for_url(re.compile(r".*[?&]o=8"))
    assert queue_rows(page) == [late.pk, with_appeal.pk, fresh.pk]


def test_a_lead_assigns_a_complaint_to_a_reviewer(seeded, live_server, page):
    lead = staff(factories.UserFactory(username="lead1", groups=["review_leads"]))
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    complaint = pending()
    log_in(page, live_server, lead, language="en")
    page.goto(f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/")
    page.select_option("#rv-assignee", str(reviewer.pk))
    page.click("#rv-assign-button")
    page.wait_for_selector(".messagelist .success")
    assert "assigned to reviewer1" in page.inner_text(".messagelist")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.assignee) == ("in_review", reviewer)
    assert "assigned to reviewer1" in page.inner_text("#rv-timeline-table")
    shot(page, "admin-assigned.png", full_page=True)
    # and takes it back
    page.click("#rv-take-back")
    page.wait_for_selector(".messagelist .success")
    complaint.refresh_from_db()
    assert (complaint.state, complaint.assignee) == ("pending", None)


def test_a_canned_note_is_inserted_edited_and_confirmed(seeded, live_server, page):
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    complaint = claimed(reviewer)
    DecisionTemplate.objects.create(
        kind=ComplaintKind.CANNOT_SHIP,
        decision="uphold",
        title="无不可抗力证明",
        text="商家选择无法发货，未提供不可抗力证明。",
    )
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/")
    assert page.locator("#rv-template-insert").is_hidden()  # the script inserts at once
    page.fill("#id_note", "核实：")
    page.focus("#id_note")
    page.keyboard.press("End")
    page.select_option("#rv-template", label="无不可抗力证明 · 投诉成立")
    assert page.input_value("#id_note") == "核实：\n商家选择无法发货，未提供不可抗力证明。"
    assert page.input_value("#rv-template") == ""  # ready for another
    # edited afterwards like any text
    page.focus("#id_note")
    page.keyboard.press("End")
    page.keyboard.type("投诉成立。")
    shot(page, "admin-canned-note.png", full_page=True)
    page.click("button[value=uphold]")
    # the confirmation shows the note as it will be sent, and nothing is decided yet
    page.wait_for_selector("#rv-confirm-button")
    assert "商家选择无法发货，未提供不可抗力证明。投诉成立。" in page.inner_text("#rv-confirm-note")
    assert Complaint.objects.get(pk=complaint.pk).state == "in_review"
    shot(page, "admin-confirm.png", full_page=True)
    # back to edit keeps the note; then confirmed
    page.click("#rv-confirm-back")
    page.wait_for_selector("#id_note")
    assert page.input_value("#id_note").endswith("投诉成立。")
    page.click("button[value=uphold]")
    page.click("#rv-confirm-button")
    page.wait_for_selector(".messagelist .success")
    complaint.refresh_from_db()
    assert complaint.state == "upheld"
    assert complaint.decision_note == "核实：\n商家选择无法发货，未提供不可抗力证明。投诉成立。"


def test_an_empty_note_is_stopped_at_the_field(seeded, live_server, page):
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    complaint = claimed(reviewer)
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/")
    page.click("button[value=dismiss]")
    # the browser itself asks for the note: no page is loaded
    assert page.evaluate("document.getElementById('id_note').validity.valueMissing")
    assert page.locator("#rv-confirm-button").count() == 0
    # releasing needs no note
    page.click("button[value=release]")
    page.wait_for_selector(".messagelist .success")
    assert Complaint.objects.get(pk=complaint.pk).state == "pending"


def test_the_english_queue_fits_1440_px_in_one_language(seeded, live_server, page):
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    other = staff(factories.UserFactory(username="reviewer-with-a-long-name", groups=["reviewers"]))
    now = timezone.now()
    shop = factories.ShopFactory(code="tmall-flagship-store-with-a-long-code", name="天猫旗舰店")
    for hours in (1, 30, 50):
        pending(at=now - dt.timedelta(hours=hours), shop=shop)
    claimed(other, at=now - dt.timedelta(hours=60))
    ticket = factories.ticket_in("agreed")
    ticket_services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="n",
        evidence=[factories.upload()],
    )
    appeal = upheld(reviewer)
    complaint_services.complaint_appeal(
        complaint_id=appeal.pk, actor=factories.staff_of(appeal.ticket), note="a"
    )
    log_in(page, live_server, reviewer, language="en")
    page.goto(f"{live_server.url}/admin/complaints/complaint/")
    assert page.locator("#result_list tbody tr").count() == 6
    shot(page, "admin-queue-en.png")
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], width
    # every column whole on the screen, the last (claimed by) too
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('#result_list th, #result_list td')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= 1440
    assert "reviewer-with-a-long-name" in page.inner_text("#result_list")
    # labels in the active language only
    for column in ("kind_label", "state_badge", "time_to_target"):
        texts = page.locator(f"#result_list td.field-{column}").all_inner_texts()
        assert texts and not any(CJK.search(t) for t in texts), (column, texts)
    # the time to target on one line ("past target" is never cut): the text's own line
    # boxes, not the cell, whose height is the row's (a long shop code may take two lines)
    lines = page.locator("#result_list td.field-time_to_target").evaluate_all(
        "cells => cells.map(c => { const r = document.createRange(); r.selectNodeContents(c);"
        " const tops = new Set([...r.getClientRects()].map(b => Math.round(b.top)));"
        " return [c.innerText, tops.size]; })"
    )
    assert all(count == 1 for _, count in lines), lines


def test_the_timeline_note_is_readable_beside_the_decision(seeded, live_server, page):
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    complaint = claimed(reviewer)
    note = "商家在约定时间内既未发货也未联系买家，聊天记录中没有任何关于延迟原因的说明。"
    complaint_services.complaint_release(complaint_id=complaint.pk, reviewer=reviewer)
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note=note)
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/")
    cell = page.locator("#rv-timeline-table td.rv-note", has_text=note[:10])
    box = cell.bounding_box()
    assert box["width"] >= 200, box  # not one character per line
    assert box["height"] <= 80, box
    shot(page, "admin-timeline.png", full_page=True)


def test_the_evidence_viewer_zooms_beside_the_decision(seeded, live_server, page):
    reviewer = staff(factories.UserFactory(username="reviewer1", groups=["reviewers"]))
    ticket = factories.ticket_in("agreed")
    ticket_services.ticket_second_handling(
        ticket_id=ticket.pk,
        actor=factories.staff_of(ticket),
        plan="buyer_fault",
        note="the buyer asked us to hold the parcel",
        evidence=[factories.upload("chat.png"), factories.upload("waybill.png")],
    )
    complaint = ticket.complaints.get()
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    log_in(page, live_server, reviewer)
    page.goto(f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/")
    page.wait_for_selector("#rv-zoom:not([hidden])")
    decision = page.locator("#rv-decision").bounding_box()
    viewer = page.locator("#rv-stage").bounding_box()
    assert abs(viewer["x"] - decision["x"]) < 20  # the same column, beside the case
    assert viewer["width"] >= 400  # large, not a 120 px thumbnail
    image = page.locator("#rv-stage-img")
    fit = image.bounding_box()["width"]
    page.click("#rv-zoom [data-zoom=in]")
    page.click("#rv-zoom [data-zoom=in]")
    assert page.inner_text("#rv-zoom-level") == "200%"
    assert image.bounding_box()["width"] == pytest.approx(fit * 2, rel=0.05)
    # a click on the picture zooms in place rather than opening a tab
    pages = len(page.context.pages)
    page.click("#rv-stage-img")
    assert page.inner_text("#rv-zoom-level") == "300%" and len(page.context.pages) == pages
    page.click("#rv-zoom [data-zoom=fit]")
    assert page.inner_text("#rv-zoom-level") == "100%"
    # the second picture from the strip
    page.locator("#rv-strip a").nth(1).click()
    assert page.inner_text("#rv-stage-name") == "waybill.png"
    shot(page, "admin-evidence.png", full_page=True)
