"""Shortcuts for the admin tests: complaints in each state, reached through the services."""

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
