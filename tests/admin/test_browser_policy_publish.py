"""Operations publish a policy version in a real browser (system Chromium), in Chinese and in
English: numbers typed in hours and percentages, "Publish" shows the changes against the
version in force (nothing published yet), the impact preview runs on that same page, and
"Confirm and publish" publishes exactly what was checked."""

import datetime as dt
from decimal import Decimal

import pytest

from tests import factories
from tests.browser.conftest import compiled_messages  # noqa: F401 (a fixture)
from tickets.models import Policy

from .conftest import staff
from .test_browser_policy_preview import browser_context_args, log_in  # noqa: F401 (1440 px)
from .test_browser_review import shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TEXTS = {
    "zh-hans": {
        "publish": "发布",
        "confirm": "确认发布",
        "heading": "发布前请核对变更",
        "rows": [
            ["回复时限", "24 小时", "12 小时"],
            ["延迟发货赔付比例", "5%", "8%"],
        ],
        "published": "已发布",
        "shown": "12 小时",
    },
    "en": {
        "publish": "Publish",
        "confirm": "Confirm and publish",
        "heading": "Check the changes before publishing",
        "rows": [
            ["Reply window", "24 hours", "12 hours"],
            ["Late-shipment compensation rate", "5%", "8%"],
        ],
        "published": "Published",
        "shown": "12 hours",
    },
}


@pytest.mark.usefixtures("compiled_messages")
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_operations_publish_after_seeing_the_changes(seeded, live_server, page, language):
    text = TEXTS[language]
    ops = staff(factories.UserFactory(username="ops1", groups=["operations"]))
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    log_in(page, live_server, ops)
    page.goto(f"{live_server.url}/admin/tickets/policy/add/?platform=taobao")

    assert page.input_value("#id_reply_window") == "24"
    assert page.input_value("#id_late_rate") == "5"
    assert page.get_attribute("#pb-publish", "value") == text["publish"]
    page.fill("#id_reply_window", "12")
    page.fill("#id_late_rate", "8")
    page.click("#pb-publish")

    # The check: each changed setting, before and after; nothing published yet.
    page.wait_for_selector("#pb-changes")
    assert page.inner_text("#pb-changes h2") == text["heading"]
    rows = [
        row.locator("th, td").all_inner_texts() for row in page.locator("#pb-table tbody tr").all()
    ]
    assert rows == text["rows"]
    assert Policy.objects.filter(platform="taobao").count() == 1
    assert page.input_value("#id_reply_window") == "12"  # as typed
    assert page.get_attribute("#pb-publish", "value") == text["confirm"]
    assert not page.locator(".errornote").count()

    # The impact preview runs on the same page, over the same numbers.
    page.click("#pi-run")
    page.wait_for_selector("#pi-result:not([hidden])")
    assert page.locator("#pi-row-late td").count() == 3
    shot(page, f"admin-policy-publish-{language}.png", full_page=True)

    page.click("#pb-confirm")
    page.wait_for_selector(".messagelist")
    assert text["published"] in page.inner_text(".messagelist")
    new = Policy.objects.get(platform="taobao", version=2)
    assert new.reply_window == dt.timedelta(hours=12) and new.late_rate == Decimal("0.08")
    assert new.created_by == ops
    assert text["shown"] in page.inner_text("#result_list")
