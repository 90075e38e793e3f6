"""The admin's ticket list (§11): its "overdue" is the merchant late, as on the merchant pages
and in the API; a buyer who let their window pass is listed apart, as deemed acceptance that
the buyer-silence sweep has yet to apply."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:tickets_ticket_changelist"


@pytest.fixture
def cases(db):
    now = timezone.now()
    return {
        "late_reply": factories.urged(at=now - dt.timedelta(hours=25)),
        "missed_date": factories.agreed(days=1, at=now - dt.timedelta(days=3)),
        "silent_buyer": factories.replied(at=now - dt.timedelta(hours=25)),
        "waiting_reply": factories.urged(),
        "completed": factories.ticket_in("completed"),
    }


def listed(client, cases, value) -> set:
    response = client.get(reverse(CHANGELIST), {"overdue": value})
    assert response.status_code == 200
    ids = {t.pk for t in response.context["cl"].result_list}
    return {name for name, ticket in cases.items() if ticket.pk in ids}


def test_the_deadline_filter_keeps_the_buyers_silence_apart(reviewer_client, cases):
    assert listed(reviewer_client, cases, "yes") == {"late_reply", "missed_date"}
    assert listed(reviewer_client, cases, "buyer_silent") == {"silent_buyer"}
    assert listed(reviewer_client, cases, "no") == {"waiting_reply", "completed"}


def test_the_deadline_column_says_past_or_deemed_accepted(reviewer_client, cases):
    response = reviewer_client.get(reverse(CHANGELIST))
    html = response.content.decode()
    rows = {
        name: html[html.index(f"/admin/tickets/ticket/{t.pk}/change/") :].split("</tr>")[0]
        for name, t in cases.items()
    }
    assert ">past<" in rows["late_reply"] and ">past<" in rows["missed_date"]
    assert ">deemed accepted<" in rows["silent_buyer"] and ">past<" not in rows["silent_buyer"]
    assert ">past<" not in rows["waiting_reply"]
