"""Lists that stay flat as the tables grow (§12, docs/quality.md `bench/pages.py`): no exact
count of a big table (counted to a cap, PostgreSQL's estimate beyond), the ticket search by
order number or shop resolved through their indexes, the policy list's open counts capped, and
the same number of queries at 1 and at 50 rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories
from tickets import paging
from tickets.admin import policy as policy_admin
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def en(settings):
    settings.LANGUAGE_CODE = "en"


def tickets_of(shop, n, prefix):
    now = timezone.now()
    return [
        factories.urged(shop=shop, order_no=f"{prefix}{i:05d}", at=now - dt.timedelta(minutes=i))
        for i in range(n)
    ]


def test_a_count_is_exact_up_to_the_cap_and_never_below_what_was_counted(monkeypatch):
    shop = factories.ShopFactory()
    tickets_of(shop, 6, "CAP")
    monkeypatch.setattr(paging, "CAP", 4)
    everything = Ticket.objects.all()
    assert paging.capped_count(everything, 10) == 6
    assert paging.capped_count(everything, 4) == 5  # stops at cap + 1
    assert paging.page_count(Ticket.objects.filter(order__order_no="CAP00001"), 4) == 1
    assert paging.page_count(everything, 10) == 6  # exact under the cap
    assert paging.page_count(everything, 4) >= 5  # beyond: the estimate, at least cap + 1


@pytest.mark.postgres
def test_beyond_the_cap_the_count_is_postgresqls_estimate(monkeypatch):
    shop = factories.ShopFactory()
    tickets_of(shop, 30, "EST")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket")
    estimate = paging.estimated_count(Ticket.objects.all())
    assert estimate == 30  # the table's statistics, fresh
    filtered = paging.estimated_count(Ticket.objects.filter(shop=shop, state="awaiting_reply"))
    assert filtered >= 1  # the planner's estimate for a filtered list
    assert paging.page_count(Ticket.objects.all(), 5) == 30


def test_the_ticket_changelist_never_counts_the_whole_table(admin_client, monkeypatch, en):
    shop = factories.ShopFactory()
    tickets_of(shop, 7, "WHOLE")
    monkeypatch.setattr(paging, "CAP", 3)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("admin:tickets_ticket_changelist"))
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 4
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts


@pytest.mark.parametrize(
    "term, found",
    [
        ("ORD-A00003", ["ORD-A00003"]),  # a whole order number
        ("A0000", ["ORD-A00000", "ORD-A00001", "ORD-A00002", "ORD-A00003"]),  # a part
        ("ord-a00002", ["ORD-A00002"]),  # any case
        ("zz", []),  # a part too short matches whole numbers only
    ],
)
def test_the_ticket_search_finds_by_order_number_or_part(admin_client, term, found, en):
    shop = factories.ShopFactory(code="searched-shop")
    tickets_of(shop, 4, "ORD-A")
    tickets_of(factories.ShopFactory(), 2, "ORD-B")
    response = admin_client.get(reverse("admin:tickets_ticket_changelist"), {"q": term})
    assert response.status_code == 200
    shown = sorted(t.order.order_no for t in response.context["cl"].result_list)
    assert shown == found


def test_the_ticket_search_finds_a_shops_tickets_by_code(admin_client, en):
    shop = factories.ShopFactory(code="searched-shop")
    tickets_of(shop, 3, "BYSHOP")
    tickets_of(factories.ShopFactory(), 2, "OTHER")
    response = admin_client.get(reverse("admin:tickets_ticket_changelist"), {"q": "searched-shop"})
    assert len(response.context["cl"].result_list) == 3


def search_queries(client, n, prefix, term):
    tickets_of(factories.ShopFactory(code=f"shop-{prefix.lower()}"), n, prefix)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:tickets_ticket_changelist"), {"q": term})
    assert len(response.context["cl"].result_list) == n
    return len(queries.captured_queries)


def test_the_ticket_search_costs_the_same_queries_at_1_and_50_rows(admin_client, en):
    one = search_queries(admin_client, 1, "ONE", "ONE0")
    fifty = search_queries(admin_client, 50, "FIFTY", "FIFTY0")
    by_shop = search_queries(admin_client, 50, "SHOPQ", "shop-shopq")
    assert one == fifty == by_shop <= 12


def test_the_policy_list_caps_each_versions_open_count(admin_client, monkeypatch, en):
    shop = factories.ShopFactory(platform="taobao")
    tickets_of(shop, 4, "POL")
    url = reverse("admin:tickets_policy_changelist") + "?platform__exact=taobao"
    response = admin_client.get(url)
    (version,) = response.context["cl"].result_list
    assert version.open_count == 4
    monkeypatch.setattr(policy_admin, "CAP", 2)
    response = admin_client.get(url)
    (version,) = response.context["cl"].result_list
    assert version.open_count == 3  # counted to cap + 1, no further
    assert "2+" in response.content.decode()


@pytest.mark.postgres
def test_the_policy_open_count_reads_its_partial_index():
    from tickets.models import Policy

    shop = factories.ShopFactory(platform="taobao")
    tickets_of(shop, 3, "IDX")
    sql, params = Policy.objects.annotate(
        n=policy_admin.open_tickets_capped()
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "ticket_open_policy_idx" in plan, plan


@pytest.mark.parametrize(
    "name", ["tickets_buyermessage", "django_fsm_log_statelog", "complaints_complaint"]
)
def test_big_tables_lists_are_counted_to_a_cap(admin_client, name, monkeypatch, en):
    tickets_of(factories.ShopFactory(), 3, f"BIG{name[:3]}")
    monkeypatch.setattr(paging, "CAP", 1)
    with CaptureQueriesContext(connection) as queries:
        query = "?queue=all" if name.startswith("complaints") else ""
        response = admin_client.get(reverse(f"admin:{name}_changelist") + query)
    assert response.status_code == 200
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert all("LIMIT" in sql.upper() for sql in counts), counts


def test_a_search_term_no_order_number_can_hold_matches_nothing():
    from tickets.search import ticket_search_filter

    tickets_of(factories.ShopFactory(), 2, "NUL")
    assert not Ticket.objects.filter(ticket_search_filter("NUL\x00")).exists()
