"""The rule tests share their fixtures (tests/rule_fixtures.py)."""

from tests.rule_fixtures import english, evidence_root  # noqa: F401
