"""Browser tests: Playwright for Python driving the system Chromium (Debian's `chromium`),
never a downloaded browser. Pages are served by pytest-django's `live_server`."""

from pathlib import Path

import pytest

from tests.conftest import (
    CHROMIUM,
    HAVE_CHROMIUM,
    compiled_messages,  # noqa: F401 (the fixture, where it used to be)
)
from tickets.management.commands.screenshots import BROWSER_CONTEXT, SIZES

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    missing = not HAVE_CHROMIUM
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A merchant's browser in China: Chinese first, the platform's time zone.
    return {**browser_context_args, **BROWSER_CONTEXT, "viewport": SIZES["desk"]}


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
