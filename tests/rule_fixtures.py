"""Fixtures of the rule tests (tests/tickets, tests/complaints), brought in by their conftests."""

import pytest
from django.utils import translation

from tests import factories


@pytest.fixture(autouse=True)
def evidence_root(monkeypatch, tmp_path):
    """Evidence files of each test go to its own folder (and can be counted there)."""
    root = tmp_path / "evidence"
    factories.isolate_evidence_storage(monkeypatch, root)
    return root


@pytest.fixture(autouse=True)
def english():
    """Rule tests read the source (English) messages; the Chinese ones are checked apart."""
    with translation.override("en"):
        yield
