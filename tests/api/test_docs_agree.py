"""docs/api.md says what the code does, where a reader is most likely to act on it."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

API_MD = Path(settings.BASE_DIR) / "docs" / "api.md"


def endpoint_row(path: str) -> str:
    (row,) = [line for line in API_MD.read_text().splitlines() if line.startswith(f"| `{path}")]
    return row


def test_the_reason_catalogue_is_documented_as_open_to_the_order_system(as_order_system):
    """§11: `GET /reasons/` is for anyone authenticated; the order system gets 200, not 403."""
    assert as_order_system.get("/api/v1/reasons/").status_code == 200
    row = endpoint_row("GET /reasons/")
    assert "order system too" in row and "but the order system" not in row
    (roles_row,) = [line for line in API_MD.read_text().splitlines() if "`order_system`" in line]
    assert "/reasons/" in roles_row


def test_the_documented_page_size_range_is_the_enforced_one(as_reviewer):
    text = API_MD.read_text()
    low, high = map(int, re.search(r"`\?page_size=`\s+from (\d+) to (\d+)", text).groups())
    assert as_reviewer.get("/api/v1/tickets/", {"page_size": high}).status_code == 200
    assert as_reviewer.get("/api/v1/tickets/", {"page_size": high + 1}).status_code == 400
    assert as_reviewer.get("/api/v1/tickets/", {"page_size": low - 1}).status_code == 400
