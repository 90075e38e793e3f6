"""§14 CSV export: exactly the rows the list shows with the same filters (every page), UTF-8
with a BOM, headers in the page's language, streamed, never another shop's rows."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from complaints import services as complaint_services
from tests import factories

pytestmark = pytest.mark.django_db
TICKETS, TICKETS_CSV = reverse("merchant:tickets"), reverse("merchant:tickets-export")
COMPLAINTS, COMPLAINTS_CSV = reverse("merchant:complaints"), reverse("merchant:complaints-export")
BOM = b"\xef\xbb\xbf"


def read_csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    assert body.startswith(BOM)
    return list(csv.reader(io.StringIO(body[len(BOM) :].decode("utf-8"))))


def listed_orders(client, url, params) -> list[str]:
    """The order numbers the list shows over all its pages, in its order."""
    orders, page = [], 1
    while True:
        response = client.get(url, {**params, "page": page, "per_page": 100})
        rows = response.context["page"]
        orders += [
            (row.order.order_no if hasattr(row, "order") else row.ticket.order.order_no)
            for row in rows
        ]
        if not rows.has_next():
            return orders
        page += 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"state": "awaiting_reply"},
        {"q": "PEAK-1"},
        {"sort": "reply_due"},
        {"sort": "-created", "overdue": "0"},
        {"plan": "ship_later", "per_page": "25", "page": "2"},
    ],
)
def test_ticket_export_has_exactly_the_rows_of_the_filtered_list(merchant_client, shop, params):
    for i in range(12):
        factories.urged(shop=shop, order_no=f"PEAK-{i}")
    for _ in range(3):
        factories.replied(shop=shop)
    factories.urged()  # another shop's: never listed, never exported
    rows = read_csv(merchant_client.get(TICKETS_CSV, params))
    list_params = {k: v for k, v in params.items() if k not in ("page", "per_page")}
    assert [row[1] for row in rows[1:]] == listed_orders(merchant_client, TICKETS, list_params)


def test_the_export_has_no_row_limit(merchant_client, shop):
    for _ in range(130):
        factories.urged(shop=shop)
    rows = read_csv(merchant_client.get(TICKETS_CSV))
    assert len(rows) == 1 + 130


def test_another_shops_rows_never_appear(merchant_client, shop, other_shop_ticket):
    mine = factories.urged(shop=shop)
    body = b"".join(merchant_client.get(TICKETS_CSV).streaming_content).decode()
    assert mine.order.order_no in body
    assert other_shop_ticket.order.order_no not in body
    # Even asked for by its order number or its buyer.
    for params in (
        {"q": other_shop_ticket.order.order_no},
        {"buyer": other_shop_ticket.buyer.username},
    ):
        rows = read_csv(merchant_client.get(TICKETS_CSV, params))
        assert rows[1:] == []


def test_headers_follow_the_page_language(client, merchant, shop, settings):
    factories.urged(shop=shop)
    client.force_login(merchant)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = read_csv(client.get(TICKETS_CSV))
    assert english[0][:3] == ["Ticket", "Order", "Buyer"]
    assert english[1][3] == "Awaiting merchant reply"
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = read_csv(client.get(TICKETS_CSV))
    assert chinese[0][:3] == ["工单", "订单", "买家"]
    assert chinese[1][3] == "待商家回复"


def test_the_buyer_is_only_their_username(merchant_client, shop):
    buyer = factories.UserFactory(
        username="peak-csv-buyer", email="secret@example.com", groups=["buyers"]
    )
    factories.urged(shop=shop, buyer=buyer)
    body = b"".join(merchant_client.get(TICKETS_CSV).streaming_content).decode()
    assert "peak-csv-buyer" in body and "secret@example.com" not in body


def test_the_export_is_an_attachment_in_utf8(merchant_client, shop):
    response = merchant_client.get(TICKETS_CSV)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert shop.code in response["Content-Disposition"]


def test_bad_filters_never_500(merchant_client, shop):
    factories.urged(shop=shop)
    response = merchant_client.get(
        TICKETS_CSV, {"per_page": "x", "sort": "nope", "created_from": "2026-99-01"}
    )
    assert response.status_code == 200
    assert len(read_csv(response)) == 2


def test_the_export_needs_a_merchant(client, buyer):
    assert client.get(TICKETS_CSV).status_code == 302  # to the login page
    client.force_login(buyer)
    assert client.get(TICKETS_CSV).status_code == 403


def test_ticket_export_reads_in_bounded_queries(
    merchant_client, shop, django_assert_max_num_queries
):
    for _ in range(40):
        factories.urged(shop=shop)
    with django_assert_max_num_queries(8):
        rows = read_csv(merchant_client.get(TICKETS_CSV))
    assert len(rows) == 41


# -- complaints -----------------------------------------------------------------------------


def test_complaint_export_matches_the_list_with_liability(merchant_client, shop, reviewer):
    ticket, complaint = factories.in_review(reviewer=reviewer, shop=shop, order_no="TB-LIAB-1")
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    factories.replied(shop=shop, plan="cannot_ship", order_no="TB-OTHER-2")
    factories.replied(plan="cannot_ship", order_no="TB-FOREIGN-3")  # another shop
    complaint.refresh_from_db()
    for params in ({}, {"q": "LIAB"}, {"state": "pending"}):
        rows = read_csv(merchant_client.get(COMPLAINTS_CSV, params))
        assert [r[1] for r in rows[1:]] == listed_orders(merchant_client, COMPLAINTS, params)
    rows = read_csv(merchant_client.get(COMPLAINTS_CSV, {"q": "LIAB"}))
    header, row = rows
    assert header[6:8] == ["Penalty points", "Compensation (¥)"]
    assert row[6] == str(complaint.liability.points)
    assert row[7] == f"{complaint.liability.compensation.amount:.2f}"
    assert (
        "TB-FOREIGN-3"
        not in b"".join(merchant_client.get(COMPLAINTS_CSV).streaming_content).decode()
    )


def test_each_list_links_to_its_export_with_the_query_string(merchant_client, shop):
    factories.urged(shop=shop)
    body = merchant_client.get(TICKETS, {"state": "awaiting_reply", "page": 1}).content.decode()
    link = body[body.index('id="export-link"') :][:200]
    assert f"{TICKETS_CSV}?state=awaiting_reply" in link and "page=" not in link
    body = merchant_client.get(COMPLAINTS, {"q": "TB"}).content.decode()
    assert f"{COMPLAINTS_CSV}?q=TB" in body
