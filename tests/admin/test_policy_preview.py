"""The publish form's "preview impact" (§19): the form's numbers, as typed, replayed over the
platform's recent tickets beside the version in force; operations only; bad input answered
with the field and a sentence; time-bounded; nothing written."""

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets import services
from tickets.impact import policy_impact

from .helpers import policy_form

pytestmark = pytest.mark.django_db
URL = "admin:tickets_policy_preview"


@pytest.fixture
def history(db):
    now = timezone.now()
    shop = factories.ShopFactory(code="preview-shop")
    for days in (5, 21, 25):
        factories.replied(shop=shop, days=days, at=now - 2 * dt.timedelta(days=1))
    return shop


def preview(client, platform_sent=None, **changes):
    data = policy_form(**changes)
    if platform_sent:
        data["platform"] = platform_sent
    return client.post(reverse(URL), data)


def test_the_preview_replays_the_forms_numbers_beside_the_version_in_force(ops_client, history):
    before = factories.row_counts()
    response = preview(ops_client, ship_later_cap_days="20", late_rate="8", days="7")
    assert response.status_code == 200
    figures = response.json()
    assert figures["replies_over_cap"]["count"] == 2  # 21 and 25 days ahead
    assert figures["current"]["replies_over_cap"]["count"] == 0
    expected = policy_impact(
        platform="taobao",
        draft=services.policy_draft(platform="taobao", ship_later_cap_days=20, late_rate="0.08"),
        days=7,
    )
    assert figures == json.loads(json.dumps(expected, default=str))
    assert factories.row_counts() == before


def test_the_add_page_offers_the_preview_and_a_published_version_does_not(ops_client):
    page = ops_client.get(reverse("admin:tickets_policy_add") + "?platform=taobao")
    assert b'id="pi-preview"' in page.content and b"policy_preview.js" in page.content
    assert reverse(URL).encode() in page.content
    published = services.policy_draft(platform="taobao")
    published.save()
    change = ops_client.get(reverse("admin:tickets_policy_change", args=[published.pk]))
    assert change.status_code == 200 and b'id="pi-preview"' not in change.content


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"days": "6"}, "days"),
        ({"days": "91"}, "days"),
        ({"days": "soon"}, "days"),
        ({"late_rate": "lots"}, "late_rate"),
        ({"late_rate": "101"}, "late_rate"),
        ({"late_rate": "5.555"}, "late_rate"),
        ({"reply_window": "0"}, "reply_window"),
        ({"reply_window": "1 00:00:00"}, "reply_window"),
        ({"late_min": "40", "late_max": "30"}, None),
        ({"platform_sent": "jd"}, "platform"),
    ],
)
def test_bad_input_is_answered_with_the_field_and_a_sentence(ops_client, changes, field):
    before = factories.row_counts()
    response = preview(ops_client, **changes)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field and body["error"]
    assert factories.row_counts() == before


def test_a_preview_past_its_time_bound_is_stopped(ops_client, history, settings):
    settings.POLICY_IMPACT_TIMEOUT_SECONDS = 1e-9
    before = factories.row_counts()
    response = preview(ops_client, days="30")
    assert response.status_code == 503
    assert "took too long" in response.json()["error"]
    assert factories.row_counts() == before


def test_only_those_who_may_publish_may_preview(reviewer_client):
    assert preview(reviewer_client).status_code == 403
    assert preview(Client()).status_code == 302  # to the login page


def test_the_preview_is_posted(ops_client):
    assert ops_client.get(reverse(URL)).status_code == 405
