"""Shortcuts for the admin tests: complaints in each state, reached through the services."""

import datetime as dt
import re
from decimal import Decimal

from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from tests import factories


def pending(**kwargs):
    """A complaint waiting in the queue (the merchant answered 'cannot ship')."""
    return factories.replied(plan="cannot_ship", **kwargs).complaints.get()


def claimed(reviewer, **kwargs):
    complaint = pending(**kwargs)
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint.refresh_from_db()
    return complaint


def upheld(reviewer, at=None, **kwargs):
    complaint = claimed(reviewer, **kwargs)
    complaint_services.complaint_uphold(
        complaint_id=complaint.pk, reviewer=reviewer, note="late, no excuse", at=at
    )
    complaint.refresh_from_db()
    return complaint


def appealed(reviewer, **kwargs):
    complaint = upheld(reviewer, **kwargs)
    complaint_services.complaint_appeal(
        complaint_id=complaint.pk,
        actor=factories.staff_of(complaint.ticket),
        note="the buyer asked us to wait",
        at=timezone.now(),
    )
    complaint.refresh_from_db()
    return complaint


def page(complaint):
    return reverse("admin:complaints_complaint_change", args=[complaint.pk])


def decide_url(complaint):
    return reverse("admin:complaints_complaint_decide", args=[complaint.pk])


def queue_url(query=""):
    return reverse("admin:complaints_complaint_changelist") + query


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


# -- the policy publish form: windows in hours (the appeal window in days), rates in percent --

HOUR_WINDOWS = (
    "reply_window",
    "buyer_window",
    "review_target",
    "appeal_review_target",
    "reply_reminder_lead",
)
PERCENT_RATES = ("late_rate", "stockout_rate")
CONFIRM = re.compile(r'name="confirm" value="(\w+)"')


def typed(number) -> str:
    return format(Decimal(number).normalize(), "f")


def policy_form(platform="taobao", **changes):
    """The publish form as operations fill it: the latest version of `platform`'s numbers, as
    typed, starting in an hour; `changes` as typed too (a `platform` among them is sent as
    is)."""
    from tickets.models import Policy
    from tickets.services import POLICY_NUMBERS

    latest = Policy.objects.filter(platform=platform).order_by("-version").first()
    data = {"platform": platform, "note": ""}
    for name in POLICY_NUMBERS:
        value = getattr(latest, name)
        if name in HOUR_WINDOWS:
            value = typed(Decimal(value.total_seconds()) / 3600)
        elif name == "appeal_window":
            value = typed(Decimal(value.total_seconds()) / 86400)
        elif name in PERCENT_RATES:
            value = typed(value * 100)
        data[name] = str(value)
    start = timezone.localtime(timezone.now() + dt.timedelta(hours=1))
    data["effective_from_0"] = start.strftime("%Y-%m-%d")
    data["effective_from_1"] = start.strftime("%H:%M:%S")
    data.update(changes)
    return data


def publish(client, data):
    """Publish as operations do: "Publish" shows the changes, "Confirm and publish" publishes.
    Returns the last response (the first one when it asked for no confirmation)."""
    url = reverse("admin:tickets_policy_add")
    response = client.post(url, data)
    found = CONFIRM.search(response.content.decode())
    if response.status_code != 200 or found is None:
        return response
    return client.post(url, {**data, "confirm": found.group(1)})
