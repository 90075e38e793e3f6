"""The review desk reads through its indexes (§18, docs/quality.md): PostgreSQL's own plans for
the queue's page sorted by time to target, for a search by a part of an order number and for
the shop filter's list, on a few thousand complaints (or shops) with fresh statistics."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.admin.filters import ShopFilter
from complaints.models import Complaint
from tests.concurrency.bulk import due_tickets, insert_generated
from tickets import sweeps
from tickets.models import Shop
from tickets.search import orders_matching

from .helpers import queue_url

AT = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.fixture
def complaints():
    """3,000 complaints (reply timeouts), most of them decided long ago, 300 waiting."""
    due_tickets(3000, due_at=AT, prefix="TB2026")
    assert sweeps.sweep_reply_timeouts(at=AT) == 3000
    with connection.cursor() as cursor:
        cursor.execute("UPDATE complaints_complaint SET state = 'dismissed' WHERE mod(id, 10) <> 0")
        for table in ("tickets_order", "tickets_ticket", "complaints_complaint"):
            cursor.execute(f"ANALYZE {table}")


def plan(queryset, *, without_scans=False) -> str:
    """PostgreSQL's plan; `without_scans`: with whole-table reads (sequential scans, and index
    scans filtering every row) ruled out, as on a table too large for them, so that the plan
    shows which index the query's condition can use."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if without_scans:
            cursor.execute("SET enable_seqscan = off")
            cursor.execute("SET enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        found = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
        cursor.execute("RESET enable_indexscan")
        return found


def test_the_queue_page_reads_the_time_to_target_index(complaints, reviewer_client):
    response = reviewer_client.get(queue_url())
    changelist = response.context["cl"]
    assert len(changelist.result_list) == 50
    page = changelist.queryset[:51]
    assert "complaint_review_target_idx" in (shown := plan(page)), shown


def test_a_part_of_an_order_number_is_found_by_its_pieces_or_trigrams(complaints, reviewer_client):
    # 5 characters or more: the index of 5-character pieces, never the trigram index (whose
    # digit posting lists grow with the table) nor a scan
    found = orders_matching("000254")
    shown = plan(found, without_scans=True)
    assert "order_no_grams_idx" in shown and "order_no_trgm_idx" not in shown, shown
    response = reviewer_client.get(queue_url("?q=-1254&queue=all"))
    assert len(response.context["cl"].result_list) == 1
    search = response.context["cl"].queryset[:51]
    shown = plan(search, without_scans=True)
    assert "order_no_grams_idx" in shown and "order_no_trgm_idx" not in shown, shown
    # 3 or 4 characters: the trigram index
    response = reviewer_client.get(queue_url("?q=-254&queue=all"))  # -254, -2540 … -2549
    assert len(response.context["cl"].result_list) == 11
    search = response.context["cl"].queryset[:51]
    assert "order_no_trgm_idx" in (shown := plan(search, without_scans=True)), shown
    # a number too short for trigrams is looked up whole, by a b-tree index of order_no
    exact = orders_matching("42")
    assert "Index Cond: ((order_no)::text = '42'::text)" in (shown := plan(exact)), shown
    assert Complaint.objects.count() == 3000


def test_the_shop_filter_reads_the_top_shops_from_the_counters_index(reviewer_client):
    """The queue's shop filter: the shops with the most open complaints from the per-shop
    counter's (-open, shop) index, stopped at its LIMIT (3,000 shops with complaints open)."""
    insert_generated(
        Shop,
        "generate_series(1, 3000) AS g(i)",
        {"code": "'plan-' || i", "name": "'Plan ' || i", "platform": "'taobao'"},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO tickets_shopopencomplaints (shop_id, "open") '
            "SELECT id, mod(id, 40) FROM tickets_shop"
        )
        cursor.execute("ANALYZE tickets_shop")
        cursor.execute("ANALYZE tickets_shopopencomplaints")
    with CaptureQueriesContext(connection) as queries:
        response = reviewer_client.get(queue_url())
    (spec,) = [s for s in response.context["cl"].filter_specs if isinstance(s, ShopFilter)]
    assert [label.split()[1] for _pk, label in spec.lookup_choices] == ["(39)"] * 10
    (sql,) = [q["sql"] for q in queries if "tickets_shopopencomplaints" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql)
        shown = "\n".join(row[0] for row in cursor.fetchall())
    assert "shop_open_idx" in shown and "Seq Scan" not in shown, shown
