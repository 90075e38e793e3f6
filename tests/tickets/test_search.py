"""§18: the order-number search finds exactly the orders whose number contains the term (any
case), whichever index serves the term's length: whole numbers below 3 characters, trigrams
for 3–4, the 5-character pieces (`order_no_grams`) from 5 on (PostgreSQL; SQLite scans)."""

import pytest

from tests import factories
from tickets.models import Order
from tickets.search import GRAM, orders_matching

pytestmark = pytest.mark.django_db

NUMBERS = [
    "TB2026050800012",
    "TB2026050800123",
    "TB2026050801230",
    "JD9900012300",
    "12300",
    "123",
    "ab-12_x",
    "ZZ0000000000",
]


@pytest.fixture
def orders():
    shop = factories.ShopFactory()
    for number in NUMBERS:
        factories.OrderFactory(order_no=number, shop=shop)


def found(term):
    return sorted(orders_matching(term).values_list("order_no", flat=True))


def expected(term):
    term = term.strip()
    if len(term) < 3:
        return sorted(n for n in NUMBERS if n == term)
    return sorted(n for n in NUMBERS if term.upper() in n.upper())


@pytest.mark.parametrize(
    "term",
    [
        "12",  # too short: whole numbers only (none is "12")
        "123",  # 3: a whole number and parts
        "0123",  # 4
        "00123",  # 5: the first length the pieces serve
        "0800123",
        "TB2026050800012",  # a whole number, by its pieces
        "tb20260508",  # any case
        "AB-12_X",  # the characters a number may hold
        "B-12_",
        "12_X",
        "00000000",  # a piece repeated inside one number
        "0000000000000",  # longer than any number: nothing
        "NOSUCH",
        "  01230  ",  # blanks around the term are not part of it
        "%0012",  # LIKE's wildcards are plain characters
        "_0012",
    ],
)
def test_a_term_finds_the_numbers_that_contain_it(orders, term):
    assert found(term) == expected(term)
    assert Order.objects.count() == len(NUMBERS)


def test_the_pieces_are_the_length_the_search_cuts():
    assert GRAM == 5


@pytest.mark.postgres
def test_the_pieces_function_cuts_distinct_upper_cased_pieces(orders):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT order_no_grams('ab123a'), order_no_grams('abcd'), order_no_grams('0000000')"
        )
        pieces, short, repeated = cursor.fetchone()
    assert sorted(pieces) == ["AB123", "B123A"]
    assert short == []
    assert repeated == ["00000"]
