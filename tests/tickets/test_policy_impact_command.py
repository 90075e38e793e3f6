"""`manage.py policy_impact` (§19): one JSON object with the fixed keys, the policy's numbers
as flags named after its fields, progress on stderr, bad flags refused clearly, nothing
written."""

import datetime as dt
import json
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests import factories as f
from tickets import services
from tickets.impact import policy_impact
from tickets.services import POLICY_NUMBERS

pytestmark = pytest.mark.django_db

KEYS = {
    "platform",
    "days",
    "tickets",
    "replies_over_cap",
    "late_first_replies",
    "compensation_total",
    "points_total",
    "by_shop",
    "current",
}
DAY = dt.timedelta(days=1)


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("policy_impact", *args, stdout=out, stderr=err)
    return json.loads(out.getvalue()), err.getvalue()


@pytest.fixture
def history(db):
    """Replies 5 to 25 days ahead, one fresh; one complaint upheld."""
    now = timezone.now()
    shop = f.ShopFactory(code="history-shop")
    for days in (5, 18, 21, 25):
        f.replied(shop=shop, days=days, at=now - 2 * DAY, amount=Decimal("200.00"))
    f.agreed(shop=shop, days=12, at=now - 2 * DAY, is_fresh=True)
    reviewer = f.reviewer_user()
    ticket = f.replied(plan="cannot_ship", shop=shop, at=now - 3 * DAY, amount=Decimal("90.00"))
    complaint = ticket.complaints.get()
    from complaints import services as cs

    cs.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    cs.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    return now


def test_prints_one_json_object_with_the_keys_of_the_spec(history):
    figures, err = run("--platform", "taobao")
    assert set(figures) == KEYS
    assert set(figures["current"]) == KEYS - {"platform", "days", "tickets", "current"} | {
        "version"
    }
    assert figures["platform"] == "taobao" and figures["days"] == 30 and figures["tickets"] == 6
    assert "policy impact" in err and "10/10" in err  # progress, on stderr


def test_the_settings_are_flags_named_after_the_policy_fields(history):
    with time_machine.travel(history, tick=False):
        figures, _ = run(
            "--platform",
            "taobao",
            "--days",
            "7",
            "--ship-later-cap-days",
            "20",
            "--fresh-ship-later-cap-days",
            "10",
            "--late-rate",
            "0.08",
            "--late-max",
            "50",
        )
        expected = policy_impact(
            platform="taobao",
            draft=services.policy_draft(
                platform="taobao",
                ship_later_cap_days=20,
                fresh_ship_later_cap_days=10,
                late_rate=Decimal("0.08"),
                late_max=Decimal("50"),
            ),
            days=7,
        )
    assert figures == json.loads(json.dumps(expected, default=str))
    over = figures["replies_over_cap"]
    assert (over["ordinary"]["count"], over["fresh"]["count"]) == (2, 1)  # 21, 25; fresh 12
    assert figures["current"]["replies_over_cap"]["count"] == 0
    # 8 % of ¥90 is ¥7.20 (the version in force: 5 %, at least ¥5 → ¥5.00)
    assert figures["compensation_total"]["late_shipment"]["yuan"] == "7.20"
    assert figures["current"]["compensation_total"]["late_shipment"]["yuan"] == "5.00"


def test_every_policy_number_has_its_flag():
    out = StringIO()
    from django.core.management import load_command_class

    command = load_command_class("tickets", "policy_impact")
    command.create_parser("manage.py", "policy_impact").print_help(out)
    for name in POLICY_NUMBERS:
        assert "--" + name.replace("_", "-") in out.getvalue()


@pytest.mark.parametrize(
    "args, says",
    [
        (["--late-rate", "lots"], "--late-rate"),
        (["--late-rate", "1.5"], "--late-rate"),
        (["--late-rate", "0.123456"], "--late-rate"),
        (["--ship-later-cap-days", "-3"], "--ship-later-cap-days"),
        (["--reply-window", "soon"], "--reply-window"),
        (["--reply-window", "00:00:00"], "--reply-window"),
        (["--late-min", "40", "--late-max", "30"], "maximum must be at least the minimum"),
        (["--payout", "bitcoin"], "--payout"),
        (["--payout", "tmall_points", "--points-per-yuan", "0"], "--points-per-yuan"),
        (["--days", "6"], "--days"),
        (["--days", "91"], "--days"),
        (["--days", "many"], "--days"),
        (["--nonsense", "1"], "unrecognized"),
    ],
)
def test_bad_flags_are_refused_clearly_and_change_nothing(args, says):
    before = f.row_counts()
    with pytest.raises(CommandError) as error:
        run("--platform", "taobao", *args)
    assert says in str(error.value)
    assert f.row_counts() == before


def test_a_platform_is_required_and_known():
    with pytest.raises(CommandError, match="platform"):
        run()
    with pytest.raises(CommandError, match="platform"):
        run("--platform", "jd")


def test_the_command_writes_nothing(history):
    before = f.row_counts()
    run("--platform", "taobao", "--late-rate", "0.5", "--reply-window", "01:00:00")
    run("--platform", "tmall", "--days", "90", "--payout", "cash")
    assert f.row_counts() == before
