"""The review queue (§7, §11): oldest first, what is to do, filters, search, the age and the
past-target flag, and the claim/release actions and 'take the oldest' looping the services."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

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


def test_age_and_the_past_target_flag(reviewer_client):
    now = timezone.now()
    fresh = pending(at=now - dt.timedelta(hours=2))
    late = pending(at=now - dt.timedelta(hours=50))  # review target is 48 h
    html = reviewer_client.get(queue_url()).content.decode()
    assert html.count("rv-badge rv-overdue") == 1
    assert listed(reviewer_client.get(queue_url("?overdue=yes"))) == [late.pk]
    assert listed(reviewer_client.get(queue_url("?overdue=no"))) == [fresh.pk]


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


def test_search_by_order_number_and_shop(reviewer_client):
    a, b = pending(), pending()
    assert listed(reviewer_client.get(queue_url(f"?q={a.ticket.order.order_no}"))) == [a.pk]
    assert listed(reviewer_client.get(queue_url(f"?q={b.ticket.shop.code}"))) == [b.pk]
    assert listed(reviewer_client.get(queue_url(f"?q={b.ticket.shop.name}"))) == [b.pk]


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
