"""§8: policy versions are published, never edited; each governs tickets created after it."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from tests import factories
from tickets.exceptions import ValidationError
from tickets.models import Policy
from tickets.services import policy_publish

pytestmark = pytest.mark.django_db


def test_publish_takes_the_next_version_and_carries_numbers_over():
    before = Policy.objects.get(platform="taobao", version=1)
    policy = policy_publish(platform="taobao", reply_window=dt.timedelta(hours=12))
    assert policy.version == 2
    assert policy.reply_window == dt.timedelta(hours=12)
    assert policy.late_max == before.late_max == Decimal("30.00")
    before.refresh_from_db()
    assert before.reply_window == dt.timedelta(hours=24)


def test_new_version_governs_only_tickets_created_after_it():
    old_ticket = factories.urged()
    due_before = old_ticket.reply_due_at
    policy_publish(platform="taobao", reply_window=dt.timedelta(hours=12))
    new_ticket = factories.urged(shop=old_ticket.shop)
    old_ticket.refresh_from_db()
    assert old_ticket.reply_due_at == due_before
    assert old_ticket.policy.version == 1
    assert new_ticket.policy.version == 2
    assert new_ticket.reply_due_at - new_ticket.created_at == dt.timedelta(hours=12)


def test_a_version_cannot_take_effect_in_the_past():
    with pytest.raises(ValidationError) as error:
        policy_publish(platform="tmall", effective_from=timezone.now() - dt.timedelta(days=1))
    assert error.value.field == "effective_from"
    assert Policy.objects.filter(platform="tmall").count() == 1


def test_a_future_version_waits_for_its_instant():
    start = timezone.now() + dt.timedelta(days=1)
    policy_publish(platform="taobao", effective_from=start, reply_window=dt.timedelta(hours=6))
    ticket = factories.urged()
    assert ticket.policy.version == 1
    later = factories.urged(shop=ticket.shop, at=start + dt.timedelta(minutes=1))
    assert later.policy.version == 2


def test_bad_numbers_are_refused_and_nothing_is_published():
    with pytest.raises(ValidationError) as error:
        policy_publish(platform="taobao", late_min=Decimal("50"), late_max=Decimal("30"))
    assert error.value.field is None  # the bounds together, not one field
    assert "late-shipment" in error.value.message and "at least the minimum" in error.value.message
    with pytest.raises(ValidationError):
        policy_publish(platform="taobao", late_rate=Decimal("1.5"))
    with pytest.raises(ValidationError):
        policy_publish(platform="taobao", no_such_setting=1)
    with pytest.raises(ValidationError):
        policy_publish(platform="jd")
    assert Policy.objects.filter(platform="taobao").count() == 1


def test_a_version_identical_to_the_one_it_follows_is_refused():
    with pytest.raises(ValidationError) as error:
        policy_publish(platform="taobao", note="same again")
    assert error.value.field is None
    assert "Nothing would change" in error.value.message and "version 1" in error.value.message
    # The same numbers typed as text (the command line's) are the same numbers.
    with pytest.raises(ValidationError):
        policy_publish(platform="taobao", late_rate="0.05", reply_window="1 00:00:00")
    assert Policy.objects.filter(platform="taobao").count() == 1
    # One number changed is a new version; the old one's numbers again after it are one too.
    policy_publish(platform="taobao", late_rate=Decimal("0.06"))
    policy_publish(platform="taobao", late_rate=Decimal("0.05"))
    assert Policy.objects.filter(platform="taobao").count() == 3


def test_policy_changes_names_the_numbers_that_differ():
    from tickets.services import POLICY_NUMBERS, policy_changes, policy_draft

    current = Policy.objects.get(platform="taobao", version=1)
    draft = policy_draft(platform="taobao", late_rate="0.08", appeal_window="45 00:00:00")
    assert policy_changes(current, draft) == ["appeal_window", "late_rate"]
    assert policy_changes(current, policy_draft(platform="taobao")) == []
    assert policy_changes(None, draft) == list(POLICY_NUMBERS)
