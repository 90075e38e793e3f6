"""The API's lists count their rows to a cap (tickets.paging), PostgreSQL's estimate beyond:
`count` is exact for any list a person pages through and costs the same at any table size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories
from tickets import paging

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/v1/tickets/", "/api/v1/complaints/"])
def test_list_counts_are_exact_under_the_cap_and_capped_beyond(as_reviewer, path, monkeypatch):
    for _ in range(4):
        factories.replied(plan="cannot_ship")  # a ticket and its complaint
    body = as_reviewer.get(path).json()
    assert body["count"] == 4 and len(body["results"]) == 4
    monkeypatch.setattr(paging, "CAP", 2)
    with CaptureQueriesContext(connection) as queries:
        body = as_reviewer.get(path).json()
    assert body["count"] >= 3 and len(body["results"]) == 4
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts), counts
