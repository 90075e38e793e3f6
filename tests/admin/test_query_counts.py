"""No N+1 in the admin (docs/quality.md): every changelist costs the same number of queries at
1 row and at 50 rows, within a fixed bound."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.models import Evidence
from tests import factories
from tickets.models import Platform, ReplyReason, RolloutSchedule
from tickets.services import policy_publish

from .helpers import claimed, pending, upheld

pytestmark = pytest.mark.django_db

BOUND = 15

# changelist URL name → query string selecting the rows this test built
PAGES = {
    "complaints_complaint": "?queue=all",
    "complaints_liability": "",
    "complaints_compensation": "",
    "complaints_evidence": "",
    "tickets_ticket": "",
    "tickets_order": "",
    "tickets_shop": "",
    "tickets_shopmembership": "",
    "tickets_buyermessage": "?kind__exact=complaint_decided",
    "tickets_policy": "?platform__exact=taobao",
    "tickets_replyreason": "?q=zz-",
    "tickets_rolloutschedule": "",
    "django_fsm_log_statelog": "?transition=uphold",
}


def build(reviewer, start, count):
    """`count` more of everything: upheld complaints with their ticket, order, shop, staff,
    messages, audit rows, liability, compensation and evidence; reasons; schedules; versions."""
    now = timezone.now()
    for i in range(start, start + count):
        complaint = claimed(reviewer, at=now - dt.timedelta(hours=i + 1))
        complaint_services.complaint_uphold(
            complaint_id=complaint.pk, reviewer=reviewer, note=f"case {i}"
        )
        Evidence.objects.create(
            ticket=complaint.ticket,
            complaint=complaint,
            file=f"{complaint.ticket_id}/x.png",
            original_name=f"proof-{i}.png",
            content_type="image/png",
            extension="png",
            size=100,
            sha256="0" * 64,
        )
        ReplyReason.objects.create(
            code=f"zz-{i}", side="seller", label=f"zz-{i}", label_en=f"zz-{i}", buyer_text="x"
        )
        RolloutSchedule.objects.create(
            platform=Platform.TMALL if i % 2 else "",
            starts_at=now + dt.timedelta(days=i),
            ends_at=now + dt.timedelta(days=i + 1),
            target_percentage=Decimal("50"),
        )
        if i:  # version 1 exists; each further row is a published version
            policy_publish(
                platform="taobao", effective_from=now + dt.timedelta(days=i), points_per_upheld=i
            )


def measure(client):
    counts, rows = {}, {}
    for name, query in PAGES.items():
        url = reverse(f"admin:{name}_changelist") + query
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[name] = len(queries)
        rows[name] = len(response.context["cl"].result_list)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:index")).status_code == 200
    counts["index"] = len(queries)
    return counts, rows


def test_each_changelist_costs_the_same_at_1_and_at_50_rows(reviewer_client, reviewer):
    build(reviewer, 0, 1)
    one, rows = measure(reviewer_client)
    assert set(rows.values()) == {1}, rows
    build(reviewer, 1, 49)
    fifty, rows = measure(reviewer_client)
    assert set(rows.values()) == {50}, rows
    assert one == fifty
    print("queries per changelist:", fifty)
    assert max(fifty.values()) <= BOUND, fifty


def test_the_complaint_page_costs_the_same_with_a_long_history(reviewer_client, reviewer):
    short = claimed(reviewer)
    long = claimed(reviewer)
    for _ in range(10):  # ten more audit rows on the ticket's timeline
        complaint_services.complaint_release(complaint_id=long.pk, reviewer=reviewer)
        complaint_services.complaint_claim(complaint_id=long.pk, reviewer=reviewer)
    counts = []
    for complaint in (short, long):
        url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
        with CaptureQueriesContext(connection) as queries:
            assert reviewer_client.get(url).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# -- the review queue, pinned (§18): the to-do view sorted by time to target, its search and
# its CSV export cost the same few queries whatever the number of rows.

# session, user, roles, the shop filter's choices, the count, the page (the export: the
# changelist's count, then every row in one statement)
QUEUE_QUERIES = 8
EXPORT_QUERIES = 9


def waiting(reviewer, n, start):
    """`n` more to do: pending, claimed, and appealed complaints in turn."""
    for i in range(start, start + n):
        if i % 3 == 0:
            pending(order_no=f"TB2026{i:06d}")
        elif i % 3 == 1:
            claimed(reviewer, order_no=f"TB2026{i:06d}")
        else:
            complaint = upheld(reviewer, order_no=f"TB2026{i:06d}")
            complaint_services.complaint_appeal(
                complaint_id=complaint.pk,
                actor=factories.staff_of(complaint.ticket),
                note="we shipped",
                at=timezone.now(),
            )


@pytest.mark.parametrize("query", ["", "?q=TB2026", "?holder=me&overdue=no", "export/"])
def test_the_queue_is_pinned_at_1_and_at_50_rows(
    reviewer_client, reviewer, django_assert_max_num_queries, query
):
    url = reverse("admin:complaints_complaint_changelist") + query
    holder_only = "holder=me" in query  # a third of the rows are claimed by the reviewer

    def rows_at_most_queries():
        bound = EXPORT_QUERIES if query.startswith("export/") else QUEUE_QUERIES
        with django_assert_max_num_queries(bound):
            response = reviewer_client.get(url)
            if query.startswith("export/"):
                return len(b"".join(response.streaming_content).splitlines()) - 1
            return len(response.context["cl"].result_list)

    waiting(reviewer, 3 if holder_only else 1, 0)
    assert rows_at_most_queries() == 1
    waiting(reviewer, 150 if holder_only else 49, 3)
    assert rows_at_most_queries() == 50
