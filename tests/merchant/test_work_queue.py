"""§14 the ticket list as a work queue: sorted by each deadline, 25/50/100 a page, filtered by
date range and buyer, all in a shareable query string; the dashboard counts every open state
and the running penalty points; the complaint list shows liability and searches orders."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import services as complaint_services
from complaints.selectors import shop_penalty_points
from tests import factories
from tickets.models import PLATFORM_TZ, Ticket, TicketState

pytestmark = pytest.mark.django_db
URL = reverse("merchant:tickets")
COMPLAINTS = reverse("merchant:complaints")


def pks(response):
    return [t.pk for t in response.context["page"]]


def test_sort_by_each_deadline_puts_tickets_not_waiting_on_it_last(merchant_client, shop):
    now = timezone.now()
    reply_late = factories.urged(shop=shop, at=now - dt.timedelta(hours=1))
    reply_soon = factories.urged(shop=shop, at=now - dt.timedelta(hours=20))
    ship_far = factories.replied(shop=shop, days=9)  # awaiting the buyer, ship-by in 9 days
    ship_near = factories.agreed(shop=shop, days=2)
    assert pks(merchant_client.get(URL, {"sort": "reply_due"}))[:2] == [
        reply_soon.pk,
        reply_late.pk,
    ]
    assert pks(merchant_client.get(URL, {"sort": "buyer_due"}))[0] == ship_far.pk
    # Ship-by (also the end of second handling): in awaiting_buyer and agreed, soonest first.
    assert pks(merchant_client.get(URL, {"sort": "ship_due"}))[:2] == [ship_near.pk, ship_far.pk]
    by_ship = pks(merchant_client.get(URL, {"sort": "ship_due"}))
    assert set(by_ship[2:]) == {reply_late.pk, reply_soon.pk}


def test_page_size_25_50_100_and_bad_values_fall_back(merchant_client, shop):
    for _ in range(60):
        factories.urged(shop=shop)
    assert len(pks(merchant_client.get(URL))) == 25
    assert len(pks(merchant_client.get(URL, {"per_page": 50}))) == 50
    assert len(pks(merchant_client.get(URL, {"per_page": 100}))) == 60
    for bad in ("7", "1000", "-1", "abc", "50.0", "\u0665\u0660"):
        response = merchant_client.get(URL, {"per_page": bad})
        assert response.status_code == 200 and len(pks(response)) == 25


def test_a_bad_value_drops_only_its_own_filter(merchant_client, shop):
    wanted = factories.urged(shop=shop, order_no="TB-KEEP-1")
    factories.urged(shop=shop)
    response = merchant_client.get(URL, {"q": "KEEP", "per_page": "zzz", "created_from": "x"})
    assert pks(response) == [wanted.pk]


def test_filter_by_created_date_range_in_shanghai_days(merchant_client, shop):
    now = timezone.now()
    old = factories.urged(shop=shop, at=now - dt.timedelta(days=3))
    new = factories.urged(shop=shop)
    old_day = timezone.localtime(old.created_at, PLATFORM_TZ).date()
    new_day = timezone.localtime(new.created_at, PLATFORM_TZ).date()
    day = old_day.isoformat()
    assert pks(merchant_client.get(URL, {"created_from": day, "created_to": day})) == [old.pk]
    assert pks(merchant_client.get(URL, {"created_from": new_day.isoformat()})) == [new.pk]
    assert pks(merchant_client.get(URL, {"created_to": (new_day - dt.timedelta(days=1))})) == [
        old.pk
    ]


def test_filter_by_buyer(merchant_client, shop):
    buyer = factories.UserFactory(username="peak-buyer", groups=["buyers"])
    theirs = factories.urged(shop=shop, buyer=buyer)
    factories.urged(shop=shop)
    assert pks(merchant_client.get(URL, {"buyer": "peak-buyer"})) == [theirs.pk]
    assert pks(merchant_client.get(URL, {"buyer": "nobody"})) == []


def test_the_query_string_is_kept_by_pagination_and_the_export_link(merchant_client, shop):
    for _ in range(30):
        factories.urged(shop=shop)
    body = merchant_client.get(
        URL, {"state": "awaiting_reply", "sort": "reply_due", "per_page": 25}
    ).content.decode()
    assert "state=awaiting_reply" in body[body.index('rel="next"') - 200 :]
    export = body[body.index('id="export-link"') :][:300]
    assert "/merchant/tickets/export/?" in export
    assert "sort=reply_due" in export and "per_page=25" in export


def test_sort_labels_are_short_enough_for_a_phone(merchant_client, settings):
    """Defect 10: "截止时间（最近…" was cut at 390 px. Each label is at most 6 characters."""
    from django.utils import translation

    from merchant.forms import TicketFilterForm

    for language in ("zh-hans", "en"):
        with translation.override(language):
            labels = [str(label) for _value, label in TicketFilterForm.SORTS]
        limit = 6 if language == "zh-hans" else 14
        assert all(len(label) <= limit for label in labels), labels


# -- the dashboard --------------------------------------------------------------------------


def test_the_dashboard_counts_every_open_state(merchant_client, shop):
    shop.second_handling_since = timezone.now() - dt.timedelta(days=1)
    shop.save(update_fields=["second_handling_since"])
    made = {}
    for state in TicketState:
        made[state] = factories.ticket_in(state, shop=shop)
    assert {t.state for t in Ticket.objects.filter(shop=shop)} == set(TicketState)
    response = merchant_client.get(reverse("merchant:dashboard"))
    cards = {state: count for state, _label, count in response.context["state_cards"]}
    open_states = set(TicketState) - {TicketState.COMPLETED}
    assert set(cards) == open_states
    assert all(cards[state] == 1 for state in open_states)
    body = response.content.decode()
    assert "?state=compensated" in body and "?state=awaiting_settlement" in body


def _upheld(shop, reviewer):
    ticket, complaint = factories.in_review(reviewer=reviewer, shop=shop)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    complaint.refresh_from_db()
    return complaint


def test_the_dashboard_shows_running_penalty_points_without_reversed_ones(
    merchant_client, shop, reviewer
):
    first, second = _upheld(shop, reviewer), _upheld(shop, reviewer)
    other_shop = factories.ShopFactory()
    _upheld(other_shop, reviewer)
    points = first.liability.points
    assert points > 0
    assert shop_penalty_points(shop.pk) == 2 * points
    complaint_services.complaint_appeal(
        complaint_id=second.pk, actor=factories.staff_of(second.ticket), note="shipped"
    )
    complaint_services.complaint_grant_appeal(
        complaint_id=second.pk, reviewer=reviewer, note="the waybill shows it"
    )
    response = merchant_client.get(reverse("merchant:dashboard"))
    assert response.context["penalty_points"] == points
    body = response.content.decode()
    card = body[body.index('id="penalty-points"') :]
    assert f'<span class="stat-value">{points}</span>' in card[:400]


# -- the complaint list ---------------------------------------------------------------------


def test_the_complaint_list_shows_liability_per_row(merchant_client, shop, reviewer):
    upheld = _upheld(shop, reviewer)
    pending = factories.replied(shop=shop, plan="cannot_ship").complaints.get()
    body = merchant_client.get(COMPLAINTS).content.decode()
    row = body[body.index(f'data-complaint="{upheld.pk}"') :]
    row = row[: row.index("</tr>")]
    liability = upheld.liability
    assert f"{liability.points} points" in row
    assert f"¥{liability.compensation.amount}" in row
    other = body[body.index(f'data-complaint="{pending.pk}"') :]
    other = other[: other.index("</tr>")]
    cell = other[other.index("data-liability") :]
    assert "—" in cell[: cell.index("</td>")]


def test_the_complaint_list_searches_by_order_number(merchant_client, shop):
    wanted = factories.replied(shop=shop, plan="cannot_ship", order_no="TB-FIND-42")
    factories.replied(shop=shop, plan="cannot_ship")
    response = merchant_client.get(COMPLAINTS, {"q": "FIND-42"})
    assert [c.pk for c in response.context["page"]] == [wanted.complaints.get().pk]


@pytest.mark.parametrize("rows", [1, 30])
def test_complaint_list_with_liabilities_keeps_queries_flat(
    merchant_client, shop, reviewer, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        _upheld(shop, reviewer)
    with django_assert_max_num_queries(8):
        response = merchant_client.get(COMPLAINTS, {"per_page": 50})
    assert len(response.context["page"]) == rows


def test_the_complaint_list_filters_by_filing_day(merchant_client, shop):
    now = timezone.now()
    old = factories.replied(shop=shop, plan="cannot_ship", at=now - dt.timedelta(days=3))
    new = factories.replied(shop=shop, plan="cannot_ship")
    old_day = timezone.localtime(old.complaints.get().filed_at, PLATFORM_TZ).date().isoformat()
    response = merchant_client.get(COMPLAINTS, {"created_from": old_day, "created_to": old_day})
    assert [c.ticket_id for c in response.context["page"]] == [old.pk]
    assert "Filed from" in response.content.decode()
    assert new.pk not in [c.ticket_id for c in response.context["page"]]
