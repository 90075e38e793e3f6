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
    headers = re.findall(r'<th class="column-(\w+)[^"]*"[^>]*>\s*([^<]+?)\s*<', html)
    assert dict(headers) == {"user": "用户", "created_at": "创建时间"}


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
