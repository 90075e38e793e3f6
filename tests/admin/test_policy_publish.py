"""The policy publish form (§8, issue 14 defect 4): windows typed in hours (the appeal window
in days), rates as percentages, bounds as the model's; "Publish" first shows each changed
setting against the version the new one follows, and publishes only when confirmed with the
same numbers; a version that changes nothing is refused, and nothing is saved. A published
version reads as people say it ("24 小时", "30 天", "5%")."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tickets.models import Policy

from .helpers import CONFIRM, policy_form, publish

pytestmark = pytest.mark.django_db
ADD = "admin:tickets_policy_add"


def chinese(client):
    client.cookies["django_language"] = "zh-hans"
    return client


def versions():
    return Policy.objects.filter(platform="taobao").count()


def changes_table(html) -> dict:
    """The check before publishing: {setting: (label, before, after)}."""
    rows = re.findall(
        r'<tr data-setting="(\w+)"><th scope="row">([^<]+)</th>'
        r'<td class="pb-before">([^<]*)</td><td class="pb-after">([^<]*)</td></tr>',
        html,
    )
    return {name: (label, before, after) for name, label, before, after in rows}


def submit_labels(html) -> list[str]:
    return re.findall(r'<input type="submit"[^>]* value="([^"]+)"', html)


# -- typing the numbers ---------------------------------------------------------------------


def test_the_form_shows_hours_days_and_percentages_labelled_with_their_unit(ops_client):
    html = ops_client.get(reverse(ADD) + "?platform=taobao").content.decode()
    values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', html))
    assert values["reply_window"] == "24" and values["buyer_window"] == "24"
    assert values["review_target"] == "48" and values["appeal_review_target"] == "48"
    assert values["appeal_window"] == "30"  # days
    assert values["reply_reminder_lead"] == "2"  # hours (§15: ticket.reply_due_soon)
    assert values["late_rate"] == "5" and values["stockout_rate"] == "5"
    assert "00:00:00" not in html and "0.0500" not in html
    labels = dict(re.findall(r'<label class="required" for="id_(\w+)">([^<]+):</label>', html))
    assert labels["reply_window"] == "Reply window (hours)"
    assert labels["appeal_window"] == "Appeal window (days)"
    assert labels["reply_reminder_lead"] == "Reply reminder lead (hours)"
    assert labels["late_rate"] == "Late-shipment compensation rate (percent)"


def test_typed_hours_days_and_percentages_are_published_as_durations_and_rates(ops_client):
    response = publish(
        ops_client,
        policy_form(reply_window="1.5", appeal_window="45", late_rate="7.5", stockout_rate="0"),
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    new = Policy.objects.get(platform="taobao", version=2)
    assert new.reply_window == dt.timedelta(minutes=90)
    assert new.appeal_window == dt.timedelta(days=45)
    assert new.late_rate == Decimal("0.0750") and new.stockout_rate == Decimal("0")
    assert new.buyer_window == dt.timedelta(hours=24)  # untouched: carried over


@pytest.mark.parametrize(
    "field, typed, error",
    [
        ("reply_window", "0", "longer than zero"),
        ("reply_window", "-2", "longer than zero"),
        ("reply_window", "1 00:00:00", "Enter a number"),
        ("reply_window", "8761", "At most 8760 hours"),
        ("reply_window", "1.255", "2 decimal places"),
        ("appeal_window", "366", "At most 365 days"),
        ("appeal_review_target", "", "required"),
        ("reply_reminder_lead", "-1", "cannot be negative"),
        ("reply_reminder_lead", "02:00:00", "Enter a number"),
        ("late_rate", "101", "less than or equal to 100"),
        ("late_rate", "-1", "greater than or equal to 0"),
        ("late_rate", "0.05%", "Enter a number"),
        ("stockout_rate", "5.555", "2 decimal places"),
    ],
)
def test_bad_numbers_are_refused_under_their_field_and_nothing_is_saved(
    ops_client, field, typed, error
):
    response = ops_client.post(reverse(ADD), policy_form(**{field: typed}))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert error in " ".join(errors[field]), errors
    html = response.content.decode()
    assert "errornote" in html and CONFIRM.search(html) is None  # no check, no confirm
    assert versions() == 1


def test_a_reminder_lead_of_zero_hours_is_a_lead_a_window_of_zero_is_not(ops_client):
    response = publish(ops_client, policy_form(reply_reminder_lead="0"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Policy.objects.get(platform="taobao", version=2).reply_reminder_lead == dt.timedelta(0)
    response = publish(ops_client, policy_form(reply_reminder_lead="3", buyer_window="0"))
    assert response.status_code == 200 and versions() == 2


def test_the_bounds_of_the_model_hold_under_the_form(ops_client):
    response = ops_client.post(reverse(ADD), policy_form(late_min="50", late_max="30"))
    assert "at least the minimum" in " ".join(response.context["adminform"].form.non_field_errors())
    assert versions() == 1


# -- identical versions ----------------------------------------------------------------------


def test_a_version_identical_to_the_one_in_force_is_refused_with_a_clear_message(ops_client):
    response = ops_client.post(reverse(ADD), policy_form(note="nothing new"))
    assert response.status_code == 200
    html = response.content.decode()
    errors = response.context["adminform"].form.non_field_errors()
    assert errors == [
        "Nothing would change: every number is that of version 1. Change at least one number "
        "to publish a new version."
    ]
    assert "errornote" in html and CONFIRM.search(html) is None
    assert versions() == 1


def test_the_refusal_is_in_chinese_too(ops_client, compiled_messages):
    html = chinese(ops_client).post(reverse(ADD), policy_form()).content.decode()
    assert "没有任何变化：各项数值与版本 1 完全相同。" in html
    assert versions() == 1


# -- the changes before publishing --------------------------------------------------------------


def test_publish_first_lists_each_changed_setting_old_and_new_and_saves_nothing(ops_client):
    data = policy_form(
        reply_window="12", appeal_window="45", late_rate="8", late_max="50", reply_reminder_lead="3"
    )
    response = ops_client.post(reverse(ADD), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert changes_table(html) == {
        "reply_window": ("Reply window", "24 hours", "12 hours"),
        "appeal_window": ("Appeal window", "30 days", "45 days"),
        "late_rate": ("Late-shipment compensation rate", "5%", "8%"),
        "late_max": ("Late-shipment maximum (yuan)", "¥30.00", "¥50.00"),
        "reply_reminder_lead": ("Reply reminder lead", "2 hours", "3 hours"),
    }
    assert "Against version 1, in force since 2023-05-08 00:00." in html
    # a check, not an error: no "please correct", and the form keeps what was typed
    assert "errornote" not in html and "Error:" not in html
    assert 'name="reply_window" value="12"' in html
    assert versions() == 1


def test_the_changes_read_in_chinese(ops_client, compiled_messages):
    data = policy_form(reply_window="12", appeal_window="1", late_rate="8")
    html = chinese(ops_client).post(reverse(ADD), data).content.decode()
    assert changes_table(html) == {
        "reply_window": ("回复时限", "24 小时", "12 小时"),
        "appeal_window": ("申诉期", "30 天", "1 天"),
        "late_rate": ("延迟发货赔付比例", "5%", "8%"),
    }
    assert "发布前请核对变更" in html and "对比版本 1（自 2023-05-08 00:00 起生效）。" in html
    assert not re.search(r"\b(hours?|days?)\b", str(changes_table(html)))


def test_a_scheduled_version_is_the_one_compared_against(ops_client):
    assert publish(ops_client, policy_form(late_rate="6")).status_code == 302  # in an hour
    later = timezone.localtime(timezone.now() + dt.timedelta(hours=2))
    data = policy_form(
        late_rate="7",
        effective_from_0=later.strftime("%Y-%m-%d"),
        effective_from_1=later.strftime("%H:%M:%S"),
    )
    html = ops_client.post(reverse(ADD), data).content.decode()
    assert changes_table(html) == {
        "late_rate": ("Late-shipment compensation rate", "6%", "7%"),
    }
    assert re.search(r"Against version 2, scheduled from [\d-]+ [\d:]+\.", html)


def test_confirming_publishes_what_was_checked(ops_client, ops):
    data = policy_form(late_rate="8")
    html = ops_client.post(reverse(ADD), data).content.decode()
    digest = CONFIRM.search(html).group(1)
    response = ops_client.post(reverse(ADD), {**data, "confirm": digest})
    assert response.status_code == 302
    new = Policy.objects.get(platform="taobao", version=2)
    assert new.late_rate == Decimal("0.08") and new.created_by == ops


def test_a_number_changed_after_the_check_is_shown_again_not_published(ops_client):
    data = policy_form(late_rate="8")
    digest = CONFIRM.search(ops_client.post(reverse(ADD), data).content.decode()).group(1)
    response = ops_client.post(reverse(ADD), {**data, "late_rate": "9", "confirm": digest})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The form changed after the check" in html
    assert changes_table(html)["late_rate"] == ("Late-shipment compensation rate", "5%", "9%")
    assert versions() == 1
    # a made-up confirmation is no confirmation either
    ops_client.post(reverse(ADD), {**data, "confirm": "0" * 64})
    assert versions() == 1


def test_a_version_published_meanwhile_asks_for_a_new_check(ops_client):
    data = policy_form(late_rate="8")
    digest = CONFIRM.search(ops_client.post(reverse(ADD), data).content.decode()).group(1)
    # someone else publishes meanwhile, in force at once
    meanwhile = policy_form(points_per_upheld="4", effective_from_0="", effective_from_1="")
    assert publish(ops_client, meanwhile).status_code == 302
    response = ops_client.post(reverse(ADD), {**data, "confirm": digest})
    assert response.status_code == 200 and versions() == 2
    assert "Against version 2" in response.content.decode()


# -- the button ---------------------------------------------------------------------------------


def test_the_button_says_publish_then_confirm_and_publish(ops_client):
    html = ops_client.get(reverse(ADD) + "?platform=taobao").content.decode()
    assert submit_labels(html) == ["Publish"]
    assert "<h1>Publish a policy version</h1>" in html
    html = ops_client.post(reverse(ADD), policy_form(late_rate="8")).content.decode()
    assert set(submit_labels(html)) == {"Confirm and publish"}
    assert "Save" not in submit_labels(html)


def test_the_button_says_fabu_in_chinese(ops_client, compiled_messages):
    html = chinese(ops_client).get(reverse(ADD) + "?platform=taobao").content.decode()
    assert submit_labels(html) == ["发布"]
    assert "<h1>发布规则版本</h1>" in html and "保存" not in html
    html = chinese(ops_client).post(reverse(ADD), policy_form(late_rate="8")).content.decode()
    assert set(submit_labels(html)) == {"确认发布"}


# -- a published version, read ------------------------------------------------------------------


def test_a_published_version_reads_in_hours_days_and_percent(ops_client, compiled_messages):
    policy = Policy.objects.get(platform="taobao", version=1)
    url = reverse("admin:tickets_policy_change", args=[policy.pk])
    html = chinese(ops_client).get(url).content.decode()
    shown = dict(
        re.findall(
            r'field-shown_(\w+)">.*?<div class="readonly">([^<]*)<',
            html,
            re.S,
        )
    )
    assert shown["reply_window"] == "24 小时" and shown["review_target"] == "48 小时"
    assert shown["appeal_window"] == "30 天" and shown["ship_later_cap_days"] == "30 天"
    assert shown["reply_reminder_lead"] == "2 小时"
    assert shown["late_rate"] == "5%" and shown["late_max"] == "¥30.00"
    assert shown["payout"] == "现金"
    assert "day," not in html and "0:00:00" not in html
    listing = chinese(ops_client).get(reverse("admin:tickets_policy_changelist")).content.decode()
    assert '<td class="field-reply_hours">24 小时</td>' in listing
    assert '<td class="field-late_terms">5% · ¥5.00–¥30.00 · 现金</td>' in listing
