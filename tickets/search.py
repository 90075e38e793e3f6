"""Finding tickets by what a reviewer has at hand (§18): any part of an order number, or a
shop's code or name. An order number is found exactly by its unique index; a part of three
characters or more by the trigram index `order_no_trgm_idx` on PostgreSQL (pg_trgm; SQLite
scans, which is fine for the embedded demo). Shorter terms match whole numbers only: a part of
one or two characters would match most of the table."""

from django.db.models import Q, QuerySet

from .models import Order, Shop, Ticket

PART_MIN_LENGTH = 3
# At most this many orders (or shops) a term resolves to: a term most order numbers contain
# is no search.
MATCH_CAP = 1000


def orders_matching(term: str) -> QuerySet:
    term = term.strip()
    if len(term) < PART_MIN_LENGTH:
        return Order.objects.filter(order_no=term)
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
