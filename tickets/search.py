"""Finding tickets by what a reviewer has at hand (§18): any part of an order number, or a
shop's code or name.

Order numbers are digits (a platform prefix at most), and a digit trigram is in a large share
of them: a trigram index reads posting lists that grow with the table (a part of 7 digits read
974 index pages at 2 M orders, 21 at 20 k). A part of `GRAM` characters or more is found
instead through `order_no_grams_idx`, a GIN index of every 5-character piece of the number
(`order_no_grams`, a SQL function made by migration 0020 on PostgreSQL): a 5-gram is rare, so
the index hands over a few candidates whatever the table's size, and `strpos` confirms each.
A part of 3 or 4 characters (it matches a large share of any table) goes through the trigram
index `order_no_trgm_idx`; shorter terms match whole numbers only, by the unique index.
SQLite (the embedded demo) scans."""

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import StrIndex, Upper

from .models import Order, Shop, Ticket

PART_MIN_LENGTH = 3
GRAM = 5  # the pieces `order_no_grams` cuts (its SQL and this must agree)
# At most this many orders (or shops) a term resolves to: a term most order numbers contain
# is no search.
MATCH_CAP = 1000


class OrderNoGrams(Func):
    """`order_no_grams(text)`: the distinct upper-cased GRAM-character pieces of a text."""

    function = "order_no_grams"
    output_field = ArrayField(TextField())


def orders_matching(term: str) -> QuerySet:
    term = term.strip()
    if len(term) < PART_MIN_LENGTH:
        return Order.objects.filter(order_no=term)
    if len(term) >= GRAM and connections[Order.objects.db].vendor == "postgresql":
        return (
            Order.objects.alias(
                grams=OrderNoGrams(F("order_no")),
                at=StrIndex(Upper("order_no"), Upper(Value(term))),
            )
            .filter(grams__contains=OrderNoGrams(Value(term)))
            .filter(at__gt=0)
        )
    return Order.objects.filter(order_no__icontains=term)


def shops_matching(term: str) -> QuerySet:
    term = term.strip()
    return Shop.objects.filter(Q(code=term) | Q(name__icontains=term))


def tickets_matching(term: str) -> QuerySet:
    """Ids of the tickets whose order number contains `term` or whose shop it names, as one
    subquery: a UNION of two index lookups (by order, by shop), so that neither side turns
    the other into a scan of the tickets. A term no order number or shop name can hold (a NUL
    character, which PostgreSQL refuses in text) matches nothing."""
    if "\x00" in term:
        return Ticket.objects.none().values("pk")
    by_order = Ticket.objects.filter(order__in=orders_matching(term).values("pk"))
    by_shop = Ticket.objects.filter(shop__in=shops_matching(term).values("pk"))
    return by_order.order_by().values("pk").union(by_shop.order_by().values("pk"))


def ticket_search_filter(term: str, *, prefix: str = "") -> Q:
    """What `tickets_matching` finds, resolved first to the ids of the matching orders and shops
    (an index lookup each, at most MATCH_CAP of each), so that the list it filters is planned
    as index lookups by literal ids, never a scan of the tickets (§12). `prefix` reaches the
    ticket from another model ("ticket__")."""
    if "\x00" in term:
        return Q(pk__in=[])
    orders = list(orders_matching(term).values_list("pk", flat=True)[:MATCH_CAP])
    shops = list(shops_matching(term).values_list("pk", flat=True)[:MATCH_CAP])
    return Q(**{f"{prefix}order_id__in": orders}) | Q(**{f"{prefix}shop_id__in": shops})
