"""Counting for pages of big tables (§12): a page of 50 rows costs the same at 20,000 rows as
at 20 million. Django's paginator counts every row (the admin's changelist and the API's
`count`), which grows with the table; `CappedCountPaginator` counts at most `CAP` rows and
beyond that gives PostgreSQL's own estimate: the table's `reltuples` for an unfiltered list,
the planner's row estimate for a filtered one. Exact up to `CAP`, "about" beyond."""

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

CAP = 10_000


def capped_count(queryset, cap: int = CAP) -> int:
    """The number of rows of `queryset`, counting at most cap + 1 (one statement)."""
    return queryset.order_by()[: cap + 1].count()


def estimated_count(queryset) -> int | None:
    """PostgreSQL's estimate of the rows of `queryset` (None elsewhere): the table's
    statistics for a whole table, else the planner's estimate for the query."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    query = queryset.order_by().query
    with connection.cursor() as cursor:
        if not query.where and not query.distinct and not query.combinator:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
            if row and row[0] >= 0:
                return row[0]
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan
    return int(plan[0]["Plan"]["Plan Rows"])


def page_count(queryset, cap: int = CAP) -> int:
    """Exact up to `cap`; beyond, the estimate (never below cap + 1, which was counted)."""
    counted = capped_count(queryset, cap)
    if counted <= cap:
        return counted
    return max(estimated_count(queryset) or 0, counted)


class CappedCountPaginator(Paginator):
    """A Paginator whose `count` is `page_count`: for the admin's changelists of big tables
    (with `show_full_result_count = False`) and the API's pages."""

    @cached_property
    def count(self):
        if not hasattr(self.object_list, "query"):
            return super().count
        return page_count(self.object_list)
