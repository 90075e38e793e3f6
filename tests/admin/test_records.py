"""Liability and compensation records: read-only, searchable, exportable as CSV; the index's
review panel; the evidence records."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Compensation, Liability
from tests import factories
from tickets.models import Platform

from .helpers import claimed, pending, upheld

pytestmark = pytest.mark.django_db


def exported(response):
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_liabilities_export_as_csv(reviewer_client, reviewer):
    first = upheld(reviewer)
    second = upheld(reviewer, shop=factories.ShopFactory(platform=Platform.TMALL))
    response = reviewer_client.post(
        reverse("admin:complaints_liability_changelist"),
        {"action": "export_csv", "_selected_action": [first.liability.pk, second.liability.pk]},
    )
    rows = exported(response)
    assert len(rows) == 3
    by_order = {row[3]: row for row in rows[1:]}
    row = by_order[second.ticket.order.order_no]
    assert row[1] == second.ticket.shop.code and row[2] == "tmall"
    assert row[6] == "3"  # points
    assert row[7] == "30.00" and row[8] == "tmall_points" and row[9] == "3000"


def test_compensations_export_as_csv_and_search(reviewer_client, reviewer):
    complaint = upheld(reviewer)
    other = upheld(reviewer)
    compensation = Compensation.objects.get(complaint=complaint)
    url = reverse("admin:complaints_compensation_changelist")
    response = reviewer_client.get(url + f"?q={complaint.ticket.order.order_no}")
    assert [c.pk for c in response.context["cl"].result_list] == [compensation.pk]
    response = reviewer_client.post(
        url, {"action": "export_csv", "_selected_action": [compensation.pk]}
    )
    rows = exported(response)
    assert rows[1][3] == complaint.ticket.order.order_no
    assert rows[1][5] == "5.00"
    assert other.pk != complaint.pk


def test_liability_reversal_shows_and_filters(reviewer_client, reviewer):
    from complaints import services

    complaint = upheld(reviewer)
    services.complaint_appeal(
        complaint_id=complaint.pk,
        actor=factories.staff_of(complaint.ticket),
        note="proof",
        at=timezone.now(),
    )
    services.complaint_grant_appeal(complaint_id=complaint.pk, reviewer=reviewer, note="ok")
    standing = upheld(reviewer)
    url = reverse("admin:complaints_liability_changelist")
    listed = reviewer_client.get(url + "?reversed=no").context["cl"].result_list
    assert [x.pk for x in listed] == [standing.liability.pk]
    listed = reviewer_client.get(url + "?reversed=yes").context["cl"].result_list
    assert [x.pk for x in listed] == [Liability.objects.get(complaint=complaint).pk]


def test_records_are_read_only(reviewer_client, ops_client, reviewer):
    complaint = upheld(reviewer)
    for client in (reviewer_client, ops_client):
        for name, pk in (
            ("complaints_liability", complaint.liability.pk),
            ("complaints_compensation", complaint.liability.compensation_id),
        ):
            assert client.get(reverse(f"admin:{name}_change", args=[pk])).status_code == 200
            assert client.post(reverse(f"admin:{name}_change", args=[pk]), {}).status_code == 403
            assert client.get(reverse(f"admin:{name}_add")).status_code == 403


def test_the_index_panel_counts_the_mornings_work(reviewer_client, reviewer, other_reviewer):
    now = timezone.now()
    oldest = pending(at=now - dt.timedelta(hours=60))  # past the 48 h target
    pending(at=now - dt.timedelta(hours=1))
    claimed(reviewer)
    claimed(other_reviewer)
    upheld(reviewer)
    html = reviewer_client.get(reverse("admin:index")).content.decode()
    assert 'id="rv-panel"' in html
    panel = reviewer_client.get(reverse("admin:index")).context
    assert panel is not None
    assert f"#{oldest.pk}" in html  # the oldest waiting
    assert 'href="/admin/complaints/complaint/?overdue=yes" style="color:#c62828">1<' in html
    assert 'href="/admin/complaints/complaint/?holder=me">1<' in html
    assert 'href="/admin/complaints/complaint/">4<' in html  # 2 pending + 2 in review
    assert "(1 by you)" in html


def test_the_index_panel_on_an_empty_queue(reviewer_client):
    html = reviewer_client.get(reverse("admin:index")).content.decode()
    assert "Nothing is waiting" in html


def test_statelog_is_readable_and_searchable(reviewer_client):
    complaint = pending()
    url = reverse("admin:django_fsm_log_statelog_changelist")
    response = reviewer_client.get(url + f"?q={complaint.ticket_id}")
    assert response.status_code == 200
    assert any(row.object_id == complaint.ticket_id for row in response.context["cl"].result_list)
    assert reviewer_client.get(url + "?q=nobody-such").status_code == 200
