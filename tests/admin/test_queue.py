"""The review queue (§7, §11): oldest first, what is to do, filters, search, the age and the
past-target flag, and the claim/release actions and 'take the oldest' looping the services."""

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints import services as complaint_services
from complaints.admin.filters import ShopFilter
from complaints.models import Complaint
from tests import factories
from tickets.models import Platform

from .helpers import claimed, page, pending, queue_url, texts, upheld

pytestmark = pytest.mark.django_db


def listed(response):
    return [c.pk for c in response.context["cl"].result_list]


def test_the_queue_opens_on_what_is_to_do_oldest_first(reviewer_client, reviewer):
    now = timezone.now()
    newer = pending(at=now - dt.timedelta(hours=1))
    older = pending(at=now - dt.timedelta(hours=5))
    done = upheld(reviewer, at=now)
    response = reviewer_client.get(queue_url())
    assert listed(response) == [older.pk, newer.pk]
    assert done.pk in listed(reviewer_client.get(queue_url("?queue=all")))
    assert listed(reviewer_client.get(queue_url("?queue=upheld"))) == [done.pk]


def test_time_left_to_target_negative_in_red(reviewer_client):
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        fresh = pending(at=now - dt.timedelta(hours=2, minutes=30))
        late = pending(at=now - dt.timedelta(hours=50, minutes=5))  # review target is 48 h
        response = reviewer_client.get(queue_url())
    assert listed(response) == [late.pk, fresh.pk]
    html = response.content.decode()
    assert '<span class="rv-late">−2 h 5 min</span>' in html
    assert '<span class="rv-left">1 d 21 h</span>' in html
    assert html.count('class="rv-late"') == 1
    assert listed(reviewer_client.get(queue_url("?overdue=yes"))) == [late.pk]
    assert listed(reviewer_client.get(queue_url("?overdue=no"))) == [fresh.pk]


def test_an_appeal_counts_from_its_own_target(reviewer_client, reviewer):
    """§18: an appeal made nine days after filing is not shown 7 days late: it has 48 hours
    from the appeal; past them it is late like a complaint."""
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now - dt.timedelta(days=9), tick=False):
        appeal = upheld(reviewer)
    complaint_services.complaint_appeal(
        complaint_id=appeal.pk,
        actor=factories.staff_of(appeal.ticket),
        note="we shipped",
        at=now - dt.timedelta(hours=10),
    )
    with time_machine.travel(now, tick=False):
        html = reviewer_client.get(queue_url()).content.decode()
        assert '<span class="rv-left">1 d 14 h</span>' in html
        assert listed(reviewer_client.get(queue_url("?overdue=no"))) == [appeal.pk]
    with time_machine.travel(now + dt.timedelta(hours=40), tick=False):
        html = reviewer_client.get(queue_url()).content.decode()
        assert '<span class="rv-late">−2 h 0 min</span>' in html
        assert listed(reviewer_client.get(queue_url("?overdue=yes"))) == [appeal.pk]


def test_the_queue_sorts_by_time_to_target_both_ways(reviewer_client, reviewer):
    now = timezone.now()
    old = pending(at=now - dt.timedelta(hours=40))  # 8 h left
    new = pending(at=now - dt.timedelta(hours=1))  # 47 h left
    with time_machine.travel(now - dt.timedelta(days=5), tick=False):
        appeal = upheld(reviewer)
    complaint_services.complaint_appeal(
        complaint_id=appeal.pk,
        actor=factories.staff_of(appeal.ticket),
        note="we shipped",
        at=now - dt.timedelta(hours=20),
    )  # 28 h left, although filed five days ago
    assert listed(reviewer_client.get(queue_url())) == [old.pk, appeal.pk, new.pk]
    response = reviewer_client.get(queue_url())
    column = list(response.context["cl"].list_display).index("time_to_target")
    assert listed(reviewer_client.get(queue_url(f"?o=-{column}"))) == [new.pk, appeal.pk, old.pk]
    assert listed(reviewer_client.get(queue_url(f"?o={column}"))) == [old.pk, appeal.pk, new.pk]
    # the sort is the index's column, not a computed expression
    assert response.context["cl"].get_ordering(response.wsgi_request, Complaint.objects.all())[
        :1
    ] == ["review_due_at"]


def test_filters_by_kind_platform_shop_and_holder(reviewer_client, reviewer, other_reviewer):
    mine = claimed(reviewer)
    theirs = claimed(other_reviewer)
    waiting = pending(shop=factories.ShopFactory(platform=Platform.TMALL))
    assert listed(reviewer_client.get(queue_url("?holder=me"))) == [mine.pk]
    assert listed(reviewer_client.get(queue_url("?holder=others"))) == [theirs.pk]
    assert listed(reviewer_client.get(queue_url("?holder=nobody"))) == [waiting.pk]
    assert listed(reviewer_client.get(queue_url("?ticket__shop__platform__exact=tmall"))) == [
        waiting.pk
    ]
    assert listed(reviewer_client.get(queue_url(f"?shop={mine.ticket.shop_id}"))) == [mine.pk]
    assert listed(reviewer_client.get(queue_url("?kind__exact=reply_timeout"))) == []
    assert len(listed(reviewer_client.get(queue_url("?kind__exact=cannot_ship")))) == 3
    # nonsense in a filter shows nothing rather than failing
    assert reviewer_client.get(queue_url("?shop=abc")).status_code == 200


def shop_choices(response) -> list:
    (spec,) = [s for s in response.context["cl"].filter_specs if isinstance(s, ShopFilter)]
    return spec.lookup_choices


def test_the_shop_filter_offers_the_shops_with_the_most_open_complaints(
    reviewer_client, reviewer, monkeypatch
):
    """Most open complaints first, ties by code; a shop whose complaints are all decided (or
    appealed) is not offered; the shop chosen is added when not among them. One statement,
    from the per-shop counter: no complaint is read for the list."""
    shops = {code: factories.ShopFactory(code=code) for code in ("m", "k", "z", "a", "d")}
    for code, n in (("m", 3), ("k", 2), ("z", 2), ("a", 1)):
        for _ in range(n):
            pending(shop=shops[code])
    claimed(reviewer, shop=shops["m"])  # in review: open too
    upheld(reviewer, shop=shops["d"])
    appeal = upheld(reviewer, shop=shops["a"])
    complaint_services.complaint_appeal(
        complaint_id=appeal.pk, actor=factories.staff_of(appeal.ticket), note="n"
    )
    for code in ("k", "a"):  # one of each decided: k keeps 1, a has none left
        complaint = Complaint.objects.filter(ticket__shop=shops[code], state="pending").first()
        complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
        complaint_services.complaint_dismiss(complaint_id=complaint.pk, reviewer=reviewer, note="n")
    with CaptureQueriesContext(connection) as queries:
        response = reviewer_client.get(queue_url())
    assert shop_choices(response) == [
        (str(shops["m"].pk), "m (4)"),
        (str(shops["z"].pk), "z (2)"),
        (str(shops["k"].pk), "k (1)"),
    ]
    reads = [q["sql"] for q in queries if "tickets_shopopencomplaints" in q["sql"]]
    assert len(reads) == 1 and "complaints_complaint" not in reads[0], reads
    monkeypatch.setattr(ShopFilter, "shown", 2)
    chosen = shop_choices(reviewer_client.get(queue_url(f"?shop={shops['d'].pk}")))
    top_two = [(str(shops["m"].pk), "m (4)"), (str(shops["z"].pk), "z (2)")]
    assert chosen == [*top_two, (str(shops["d"].pk), "d")]
    among = shop_choices(reviewer_client.get(queue_url(f"?shop={shops['z'].pk}")))
    assert among == top_two


def test_search_by_order_number_and_shop(reviewer_client):
    a, b = pending(), pending()
    assert listed(reviewer_client.get(queue_url(f"?q={a.ticket.order.order_no}"))) == [a.pk]
    assert listed(reviewer_client.get(queue_url(f"?q={b.ticket.shop.code}"))) == [b.pk]
    assert listed(reviewer_client.get(queue_url(f"?q={b.ticket.shop.name}"))) == [b.pk]


def test_search_by_any_part_of_an_order_number(reviewer_client):
    first = pending(order_no="TB2026000000254")
    second = pending(order_no="TB2026000001254")
    other = pending(order_no="TM2026000000999")
    assert listed(reviewer_client.get(queue_url("?q=000000254"))) == [first.pk]
    assert sorted(listed(reviewer_client.get(queue_url("?q=254")))) == [first.pk, second.pk]
    assert sorted(listed(reviewer_client.get(queue_url("?q=tb2026")))) == [first.pk, second.pk]
    assert listed(reviewer_client.get(queue_url("?q=TM2026000000999"))) == [other.pk]
    # one or two characters match whole numbers only (a part that short matches everything)
    assert listed(reviewer_client.get(queue_url("?q=25"))) == []
    # characters LIKE treats specially are searched for as they are
    assert listed(reviewer_client.get(queue_url("?q=%25%25%25"))) == []
    assert listed(reviewer_client.get(queue_url("?q=___"))) == []


def test_claim_action_claims_and_reports_refusals(reviewer_client, reviewer, other_reviewer):
    free = pending()
    taken = claimed(other_reviewer)
    response = reviewer_client.post(
        queue_url(),
        {"action": "claim_selected", "_selected_action": [free.pk, taken.pk]},
    )
    assert response.status_code == 302
    free.refresh_from_db()
    taken.refresh_from_db()
    assert free.state == "in_review" and free.assignee == reviewer
    assert taken.assignee == other_reviewer
    messages = texts(response)
    assert any("Claimed 1" in m for m in messages)
    assert any(f"#{taken.pk}" in m and "claimed by reviewer-b" in m for m in messages)


def test_release_action_releases_mine_and_refuses_the_rest(
    reviewer_client, reviewer, other_reviewer
):
    mine = claimed(reviewer)
    theirs = claimed(other_reviewer)
    waiting = pending()
    response = reviewer_client.post(
        queue_url(),
        {"action": "release_selected", "_selected_action": [mine.pk, theirs.pk, waiting.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.state == "pending"
    assert theirs.state == "in_review"
    messages = texts(response)
    assert any("Released 1" in m for m in messages)
    assert any(f"#{waiting.pk}" in m and "Only a complaint in review" in m for m in messages)
    assert any(f"#{theirs.pk}" in m for m in messages)


def test_take_the_oldest_waiting_case(reviewer_client, reviewer, other_reviewer):
    now = timezone.now()
    oldest_taken = claimed(other_reviewer, at=now - dt.timedelta(hours=9))
    oldest_waiting = pending(at=now - dt.timedelta(hours=8))
    pending(at=now - dt.timedelta(hours=1))
    response = reviewer_client.post(queue_url("next/"))
    assert response.status_code == 302 and response.url == page(oldest_waiting)
    oldest_waiting.refresh_from_db()
    assert oldest_waiting.assignee == reviewer
    oldest_taken.refresh_from_db()
    assert oldest_taken.assignee == other_reviewer


def test_take_next_respects_the_kind_and_platform_asked(reviewer_client):
    taobao = pending()
    tmall = pending(shop=factories.ShopFactory(platform=Platform.TMALL))
    response = reviewer_client.post(queue_url("next/"), {"platform": "tmall"})
    assert response.url == page(tmall)
    response = reviewer_client.post(queue_url("next/"), {"kind": "reply_timeout"})
    assert any("queue is empty" in m for m in texts(response))
    taobao.refresh_from_db()
    assert taobao.state == "pending"


def test_take_next_on_an_empty_queue(reviewer_client):
    response = reviewer_client.post(queue_url("next/"))
    assert response.url == queue_url()
    assert any("queue is empty" in m for m in texts(response))
    assert reviewer_client.get(queue_url("next/")).status_code == 302


def test_operations_see_the_queue_without_review_actions(ops_client):
    complaint = pending()
    response = ops_client.get(queue_url())
    assert listed(response) == [complaint.pk]
    assert "claim_selected" not in response.content.decode()
    assert 'id="rv-take-next"' not in response.content.decode()
    response = ops_client.post(
        queue_url(), {"action": "claim_selected", "_selected_action": [complaint.pk]}
    )
    complaint.refresh_from_db()
    assert complaint.state == "pending"
    response = ops_client.post(queue_url("next/"))
    assert any("Only reviewers" in m for m in texts(response))
    assert Complaint.objects.get().state == "pending"


def test_the_queue_reads_the_clock_of_now(reviewer_client, reviewer):
    complaint = pending()
    with time_machine.travel(complaint.review_due_at + dt.timedelta(minutes=1), tick=False):
        reviewer_client.force_login(reviewer)
        assert listed(reviewer_client.get(queue_url("?overdue=yes"))) == [complaint.pk]


def test_the_queue_exports_as_csv_with_its_filters(reviewer_client, reviewer, other_reviewer):
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        late = pending(at=now - dt.timedelta(hours=50), order_no="TB0000000254")
        mine = claimed(reviewer, at=now - dt.timedelta(hours=1), order_no="TB0000000255")
        theirs = claimed(other_reviewer, at=now - dt.timedelta(hours=2), order_no="TB0000000256")
        tmall = pending(shop=factories.ShopFactory(platform=Platform.TMALL))
        done = upheld(reviewer, at=now)
        response = reviewer_client.get(queue_url("export/"))
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith('attachment; filename="complaints-')
        body = b"".join(response.streaming_content)
        assert body.startswith("\ufeff".encode())  # a byte-order mark: spreadsheets read UTF-8
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        header, *rows = rows
        assert header[:4] == ["case", "kind", "kind code", "state"]
        # the queue's own view: what is to do, least time left first, all of it (not a page)
        assert [int(r[0]) for r in rows] == [late.pk, theirs.pk, mine.pk, tmall.pk]
        assert done.pk not in [int(r[0]) for r in rows]
        row = dict(zip(header, rows[0], strict=True))
        assert row["order"] == "TB0000000254" and row["kind code"] == "cannot_ship"
        assert row["hours to target"] == "-2.0" and row["time to target"] == "−2 h 0 min"
        assert row["claimed by"] == ""
        assert dict(zip(header, rows[2], strict=True))["claimed by"] == reviewer.username
        # with the filters and the search of the page it was asked from
        filtered = reviewer_client.get(queue_url("export/?holder=me&q=TB0000000"))
        rows = list(
            csv.reader(io.StringIO(b"".join(filtered.streaming_content).decode("utf-8-sig")))
        )
        assert [int(r[0]) for r in rows[1:]] == [mine.pk]
        platform = reviewer_client.get(queue_url("export/?ticket__shop__platform__exact=tmall"))
        rows = list(
            csv.reader(io.StringIO(b"".join(platform.streaming_content).decode("utf-8-sig")))
        )
        assert [int(r[0]) for r in rows[1:]] == [tmall.pk]
        # the page links to the export of what it shows
        html = reviewer_client.get(queue_url("?holder=me")).content.decode()
        assert 'href="/admin/complaints/complaint/export/?holder=me"' in html


def test_the_export_speaks_the_reader_s_language(reviewer_client, compiled_messages):
    pending()
    reviewer_client.cookies["django_language"] = "zh-hans"
    response = reviewer_client.get(queue_url("export/"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(body)))
    assert header[:5] == ["案件", "类型", "类型代码", "状态", "订单"]
    assert "距目标时间" in header
    assert "商家选择无法发货" in row


def test_bad_export_parameters_change_nothing(reviewer_client, client, merchant):
    pending()
    assert reviewer_client.get(queue_url("export/?nonsense__lookup=1")).status_code == 302
    client.force_login(merchant)
    assert client.get(queue_url("export/")).status_code == 302  # to the admin's login
