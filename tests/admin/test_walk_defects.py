"""Defects found walking the admin as reviewer1 and ops1 (issue 14), one test each: every one
of them failed before its fix."""

import datetime as dt
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets.models import Platform, RolloutSchedule

from .helpers import pending

pytestmark = pytest.mark.django_db

YEAR_MONTH_DAY = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日")


def chinese(client):
    client.cookies["django_language"] = "zh-hans"
    return client


# -- 6: one date format everywhere in the admin -------------------------------------------


def test_dates_read_the_same_on_read_only_and_editable_pages(reviewer_client, ops_client):
    at = dt.datetime(2026, 11, 29, 10, 52, tzinfo=dt.UTC)  # 18:52 in Asia/Shanghai
    with time_machine.travel(at, tick=False):
        complaint = pending()
        html = chinese(reviewer_client).get(
            reverse("admin:tickets_ticket_change", args=[complaint.ticket_id])
        )
        html = html.content.decode()
        # the read-only fields (urged at, reply due at) as everywhere else
        assert "2026-11-29 18:52" in html and "2026-11-30 18:52" in html
        assert not YEAR_MONTH_DAY.search(html)
        schedule = RolloutSchedule.objects.create(
            platform=Platform.TAOBAO,
            starts_at=at + dt.timedelta(days=1),
            ends_at=at + dt.timedelta(days=2),
            target_percentage=50,
        )
        html = chinese(ops_client).get(
            reverse("admin:tickets_rolloutschedule_change", args=[schedule.pk])
        )
        html = html.content.decode()
    # the editable instant: the same date, the same hour and minute
    assert 'value="2026-11-30"' in html and 'value="18:52"' in html
    assert not YEAR_MONTH_DAY.search(html)
    assert "2026/11/30" not in html


def test_a_typed_instant_is_read_in_the_same_format(ops_client):
    response = chinese(ops_client).post(
        reverse("admin:tickets_rolloutschedule_add"),
        {
            "platform": "taobao",
            "starts_at_0": "2099-01-02",
            "starts_at_1": "09:30",
            "ends_at_0": "2099-01-03",
            "ends_at_1": "09:30",
            "start_percentage": "0",
            "target_percentage": "20",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    schedule = RolloutSchedule.objects.get()
    assert timezone.localtime(schedule.starts_at).strftime("%Y-%m-%d %H:%M") == "2099-01-02 09:30"


# -- 2: the shop page's inline headers in the Chinese admin -------------------------------


def test_the_shop_page_inline_headers_are_translated(ops_client, compiled_messages):
    shop = factories.merchant().shops.get()
    html = chinese(ops_client).get(reverse("admin:tickets_shop_change", args=[shop.pk]))
    html = html.content.decode()
    headers = dict(re.findall(r'<th class="column-(\w+)[^"]*"[^>]*>\s*([^<]+?)\s*<', html))
    assert headers["user"] == "用户" and headers["created_at"] == "创建时间"
    assert not [h for h in headers.values() if re.search("[A-Za-z]", h)], headers


# -- 3: the reasons catalogue's sort and use columns ----------------------------------------


def test_the_reasons_catalogue_says_sort_position_and_in_use(ops_client, compiled_messages):
    html = chinese(ops_client).get(reverse("admin:tickets_replyreason_changelist"))
    html = html.content.decode()
    columns = dict(
        re.findall(
            r'<th scope="col" class="[^"]*column-(\w+)[^"]*">.*?<a [^>]*>([^<]+)</a>', html, re.S
        )
    )
    assert columns["sort_order"] == "排序"
    assert columns["in_use"] == "已使用"
    assert "订单" not in columns.values() and "使用次数" not in columns.values()
    reason = (
        chinese(ops_client)
        .get(reverse("admin:tickets_replyreason_change", args=[1]))
        .content.decode()
    )
    assert re.search(r"<label[^>]* for=\"id_sort_order\">排序[:：]</label>", reason)


# -- 5: rollout taken back from a shop, with who and why ------------------------------------


def test_operations_take_second_handling_back_saying_why(ops_client, ops):
    shop = factories.rolled_out_shop()
    kept = factories.replied(plan="ship_later", shop=shop)
    changelist = reverse("admin:tickets_shop_changelist")
    selected = {"action": "revoke_second_handling", "_selected_action": [shop.pk]}
    # first the question: why?
    response = ops_client.post(changelist, selected)
    assert response.status_code == 200
    assert 'id="rv-revoke-shops"' in response.content.decode()
    # no reason: asked again, nothing changed
    response = ops_client.post(changelist, {**selected, "apply": "1", "reason": " "})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    shop.refresh_from_db()
    assert shop.second_handling_since is not None
    # with a reason: taken back, and said so
    response = ops_client.post(
        changelist, {**selected, "apply": "1", "reason": "enabled by mistake"}, follow=True
    )
    messages = [str(m) for m in response.context["messages"]]
    assert any(f"taken back from {shop.code}; 1 replied ticket(s) keep" in m for m in messages)
    shop.refresh_from_db()
    assert shop.second_handling_since is None
    kept.refresh_from_db()
    assert kept.second_handling_kept
    # the shop page shows who and why
    html = ops_client.get(reverse("admin:tickets_shop_change", args=[shop.pk])).content.decode()
    assert "enabled by mistake" in html and ops.username in html


def test_reviewers_cannot_take_second_handling_back(reviewer_client):
    shop = factories.rolled_out_shop()
    reviewer_client.post(
        reverse("admin:tickets_shop_changelist"),
        {
            "action": "revoke_second_handling",
            "_selected_action": [shop.pk],
            "apply": "1",
            "reason": "x",
        },
    )
    shop.refresh_from_db()
    assert shop.second_handling_since is not None
