"""Operations in the admin: policy versions are published, never edited (§8); reply reasons are
edited, added and deactivated, never deleted once used (§5); second handling is rolled out to
shops by selection or by a schedule (§6)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets.models import Policy, ReplyReason, RolloutSchedule, Shop

from .helpers import policy_form, publish, texts

pytestmark = pytest.mark.django_db


# -- policy versions ----------------------------------------------------------------------


def test_the_publish_form_is_prefilled_from_the_latest_version(ops_client):
    response = ops_client.get(reverse("admin:tickets_policy_add") + "?platform=tmall")
    form = response.context["adminform"].form
    assert form.initial["platform"] == "tmall"
    assert form.initial["late_max"] == Decimal("500.00")
    assert "version" not in form.fields


def test_operations_publish_the_next_version(ops_client, ops):
    response = publish(ops_client, policy_form(late_max="40.00", note="raise the cap"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    new = Policy.objects.get(platform="taobao", version=2)
    assert new.late_max == Decimal("40.00") and new.created_by == ops
    assert new.effective_from > timezone.now()
    assert any("Published" in m for m in texts(response))


def test_a_version_cannot_start_in_the_past(ops_client):
    past = timezone.localtime(timezone.now() - dt.timedelta(days=1))
    data = policy_form(
        effective_from_0=past.strftime("%Y-%m-%d"), effective_from_1=past.strftime("%H:%M:%S")
    )
    response = ops_client.post(reverse("admin:tickets_policy_add"), data)
    assert response.status_code == 200
    assert "effective_from" in response.context["adminform"].form.errors
    assert Policy.objects.filter(platform="taobao").count() == 1


def test_bad_numbers_are_refused_by_the_form(ops_client):
    response = ops_client.post(
        reverse("admin:tickets_policy_add"), policy_form(late_min="50.00", late_max="30.00")
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Policy.objects.filter(platform="taobao").count() == 1


def test_a_version_in_force_is_read_only(ops_client):
    policy = Policy.objects.get(platform="taobao", version=1)
    url = reverse("admin:tickets_policy_change", args=[policy.pk])
    assert 'name="late_max"' not in ops_client.get(url).content.decode()
    response = ops_client.post(url, policy_form(late_max="99.00"))
    assert response.status_code == 403
    policy.refresh_from_db()
    assert policy.late_max == Decimal("30.00")
    delete = reverse("admin:tickets_policy_delete", args=[policy.pk])
    assert ops_client.post(delete, {"post": "yes"}).status_code == 403


def test_the_list_shows_when_each_version_applies_and_its_open_tickets(ops_client):
    factories.urged()
    factories.urged()
    assert publish(ops_client, policy_form(points_per_upheld="4")).status_code == 302
    response = ops_client.get(reverse("admin:tickets_policy_changelist") + "?platform=taobao")
    rows = {p.version: p for p in response.context["cl"].result_list}
    assert rows[1].open_count == 2 and rows[2].open_count == 0
    assert rows[1].next_from == rows[2].effective_from
    html = response.content.decode()
    assert "in force" in html and "scheduled" in html


# -- reply reasons ------------------------------------------------------------------------


def reason_form(reason, **changes):
    data = {
        "side": reason.side,
        "label": reason.label,
        "label_en": reason.label_en,
        "buyer_text": reason.buyer_text,
        "allows_ship_later": "on" if reason.allows_ship_later else "",
        "allows_exchange_agreed": "on" if reason.allows_exchange_agreed else "",
        "allows_cannot_ship": "on" if reason.allows_cannot_ship else "",
        "is_active": "on" if reason.is_active else "",
        "sort_order": reason.sort_order,
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_operations_edit_a_reason_text(ops_client):
    reason = ReplyReason.objects.get(code="warehouse_backlog")
    url = reverse("admin:tickets_replyreason_change", args=[reason.pk])
    response = ops_client.post(url, reason_form(reason, buyer_text="仓库爆仓，正在加紧发货。"))
    assert response.status_code == 302
    reason.refresh_from_db()
    assert reason.buyer_text == "仓库爆仓，正在加紧发货。"
    assert reason.code == "warehouse_backlog"  # the code is fixed


def test_operations_add_a_reason(ops_client):
    data = reason_form(
        ReplyReason(
            side="seller",
            label="节日停发",
            label_en="Holiday",
            buyer_text="节日期间暂停发货。",
            allows_ship_later=True,
            is_active=True,
            sort_order=20,
        )
    )
    data["code"] = "holiday_pause"
    response = ops_client.post(reverse("admin:tickets_replyreason_add"), data)
    assert response.status_code == 302
    assert ReplyReason.objects.get(code="holiday_pause").allows("ship_later")


def test_deactivate_sets_the_instant_and_hides_the_reason(ops_client):
    reason = ReplyReason.objects.get(code="force_majeure")
    response = ops_client.post(
        reverse("admin:tickets_replyreason_changelist"),
        {"action": "deactivate", "_selected_action": [reason.pk]},
    )
    assert response.status_code == 302
    reason.refresh_from_db()
    assert not reason.is_active and reason.deactivated_at is not None
    assert not ReplyReason.objects.active().filter(pk=reason.pk).exists()
    ops_client.post(
        reverse("admin:tickets_replyreason_changelist"),
        {"action": "reactivate", "_selected_action": [reason.pk]},
    )
    reason.refresh_from_db()
    assert reason.is_active and reason.deactivated_at is None


def test_unticking_active_in_the_form_records_when(ops_client):
    reason = ReplyReason.objects.get(code="force_majeure")
    url = reverse("admin:tickets_replyreason_change", args=[reason.pk])
    ops_client.post(url, reason_form(reason, is_active=""))
    reason.refresh_from_db()
    assert not reason.is_active and reason.deactivated_at is not None


def test_a_reason_in_use_is_never_deleted(admin_client):
    ticket = factories.replied(plan="ship_later", reason="stock_shortage")
    reason = ticket.reply_reason
    url = reverse("admin:tickets_replyreason_delete", args=[reason.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403  # even a superuser
    assert ReplyReason.objects.filter(pk=reason.pk).exists()
    response = admin_client.get(reverse("admin:tickets_replyreason_changelist"))
    assert "delete_selected" not in response.content.decode()


def test_operations_cannot_delete_reasons(ops_client):
    reason = ReplyReason.objects.get(code="force_majeure")
    url = reverse("admin:tickets_replyreason_delete", args=[reason.pk])
    assert ops_client.post(url, {"post": "yes"}).status_code == 403


# -- shops and rollout --------------------------------------------------------------------


def test_enable_second_handling_now_for_selected_shops(ops_client):
    since = timezone.now() - dt.timedelta(days=3)
    had = factories.ShopFactory(second_handling_since=since)
    new = factories.ShopFactory()
    untouched = factories.ShopFactory()
    response = ops_client.post(
        reverse("admin:tickets_shop_changelist"),
        {"action": "enable_second_handling", "_selected_action": [had.pk, new.pk]},
    )
    assert any("enabled for 1 shop(s); 1 already had it" in m for m in texts(response))
    had.refresh_from_db()
    new.refresh_from_db()
    untouched.refresh_from_db()
    assert had.second_handling_since == since  # keeps its instant
    assert new.second_handling_since is not None
    assert untouched.second_handling_since is None
    html = ops_client.get(reverse("admin:tickets_shop_changelist")).content.decode()
    assert timezone.localtime(since).strftime("%Y-%m-%d %H:%M") in html


def test_the_rollout_instant_is_not_editable_by_form(ops_client):
    shop = factories.ShopFactory()
    url = reverse("admin:tickets_shop_change", args=[shop.pk])
    ops_client.post(
        url,
        {
            "name": "Renamed",
            "second_handling_since_0": "2020-01-01",
            "second_handling_since_1": "00:00:00",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "revocations-TOTAL_FORMS": 0,
            "revocations-INITIAL_FORMS": 0,
        },
    )
    shop.refresh_from_db()
    assert shop.name == "Renamed" and shop.second_handling_since is None


def test_reviewers_cannot_roll_out(reviewer_client):
    shop = factories.ShopFactory()
    reviewer_client.post(
        reverse("admin:tickets_shop_changelist"),
        {"action": "enable_second_handling", "_selected_action": [shop.pk]},
    )
    shop.refresh_from_db()
    assert shop.second_handling_since is None


def schedule_form(starts, ends, **extra):
    s, e = timezone.localtime(starts), timezone.localtime(ends)
    return {
        "platform": "",
        "starts_at_0": s.strftime("%Y-%m-%d"),
        "starts_at_1": s.strftime("%H:%M:%S"),
        "ends_at_0": e.strftime("%Y-%m-%d"),
        "ends_at_1": e.strftime("%H:%M:%S"),
        "start_percentage": "0",
        "target_percentage": "100",
        "note": "",
        **extra,
    }


def test_operations_schedule_a_rollout_and_apply_it(ops_client, ops):
    now = timezone.now()
    shops = [factories.ShopFactory() for _ in range(10)]
    response = ops_client.post(
        reverse("admin:tickets_rolloutschedule_add"),
        schedule_form(now - dt.timedelta(days=1), now + dt.timedelta(days=1)),
    )
    assert response.status_code == 302
    schedule = RolloutSchedule.objects.get()
    assert schedule.created_by == ops
    response = ops_client.get(reverse("admin:tickets_rolloutschedule_changelist"))
    assert "0 / 10" in response.content.decode()
    response = ops_client.post(
        reverse("admin:tickets_rolloutschedule_changelist"),
        {"action": "apply_now", "_selected_action": [schedule.pk]},
    )
    having = Shop.objects.filter(second_handling_since__isnull=False).count()
    assert having == 5  # half-way through the schedule: 50 % of 10 shops
    assert any("5 of 10 have it" in m for m in texts(response))
    schedule.refresh_from_db()
    assert schedule.last_applied_percentage is not None
    assert len(shops) == 10


@pytest.mark.parametrize(
    "change",
    [
        {"target_percentage": "150"},
        {"start_percentage": "60", "target_percentage": "50"},
        {"swap": True},
        {"past": True},
    ],
)
def test_bad_schedules_are_refused(ops_client, change):
    now = timezone.now()
    starts, ends = now + dt.timedelta(days=1), now + dt.timedelta(days=8)
    if change.pop("swap", False):
        starts, ends = ends, starts
    if change.pop("past", False):
        starts, ends = now - dt.timedelta(days=8), now - dt.timedelta(days=1)
    response = ops_client.post(
        reverse("admin:tickets_rolloutschedule_add"), schedule_form(starts, ends, **change)
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not RolloutSchedule.objects.exists()


def test_the_list_offers_a_publish_form_per_platform(ops_client):
    html = ops_client.get(reverse("admin:tickets_policy_changelist")).content.decode()
    add = reverse("admin:tickets_policy_add")
    assert f"{add}?platform=taobao" in html and f"{add}?platform=tmall" in html


def test_an_empty_start_publishes_now(ops_client):
    before = timezone.now()
    data = policy_form(effective_from_0="", effective_from_1="", late_rate="6")
    response = publish(ops_client, data)
    assert response.status_code == 302
    new = Policy.objects.get(platform="taobao", version=2)
    assert before <= new.effective_from <= timezone.now()
