"""Browser tests: Playwright for Python driving the system Chromium (Debian's `chromium`),
never a downloaded browser. Pages are served by pytest-django's `live_server`."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# live_server runs in a thread while Playwright's sync API keeps an event loop in this one;
# Django refuses ORM calls from a thread with a running loop unless told it is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    missing = not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM))
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--lang=zh-CN",  # the date picker's format follows the browser's own language
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # A merchant's browser in China: Chinese first, the platform's time zone.
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1366, "height": 900},
    }


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def compiled_messages():
    """Chinese pages need the compiled catalogue (`make messages`); compile it if stale."""
    from django.conf import settings
    from django.core.management import call_command
    from django.utils import translation

    po = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip("msgfmt is not installed (apt-get install gettext)")
        call_command("compilemessages", locale=["zh_Hans"], verbosity=0, ignore_patterns=[".venv"])
        translation.trans_real._translations = {}
