import os
import shutil
from pathlib import Path

import pytest
from django.db import connection

from tests import factories
from tickets.management.commands.screenshots import CHROMIUM, CHROMIUM_ARGS


def pytest_collection_modifyitems(config, items):
    """Tests marked `postgres` need PostgreSQL. On SQLite they are skipped, except where
    REQUIRE_POSTGRES is set (CI), where running them on anything else is an error."""
    if connection.vendor == "postgresql":
        return
    if os.environ.get("REQUIRE_POSTGRES"):
        raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def merchant(db):
    return factories.merchant()


@pytest.fixture
def shop(merchant):
    return merchant.shops.get()


@pytest.fixture
def buyer(db):
    return factories.UserFactory(username="buyer-a", groups=["buyers"])


@pytest.fixture
def reviewer(db):
    return factories.UserFactory(username="reviewer-a", groups=["reviewers"])


@pytest.fixture
def other_reviewer(db):
    return factories.UserFactory(username="reviewer-b", groups=["reviewers"])


@pytest.fixture(scope="session")
def playwright(playwright, django_db_setup):
    """Playwright's sync API keeps an event loop running in the main thread from its start
    to the end of the session. Under a running loop Django keeps the main thread's database
    connection in a context variable, not in the thread-local where the test database was
    created, so `serialized_rollback` would find no snapshot and transactional tests after
    the first browser test would leave an empty database. Hand the snapshot over."""
    from django.db import connections

    for alias in connections:
        plain = getattr(connections._connections._storage, alias, None)
        current = connections[alias]
        snapshot = getattr(plain, "_test_serialized_contents", None)
        if snapshot is not None and not hasattr(current, "_test_serialized_contents"):
            current._test_serialized_contents = snapshot
    return playwright


# -- browser tests: Playwright driving the system Chromium (Debian's), never a downloaded one --

# The launch settings are the screenshot command's, so docs/*.png look like what tests see.
HAVE_CHROMIUM = Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is not None
# live_server runs in a thread while Playwright's sync API keeps an event loop in this one;
# Django refuses ORM calls from a thread with a running loop unless told it is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not HAVE_CHROMIUM:
        pytest.skip(f"no Chromium at {CHROMIUM}")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


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
        # Forget catalogues read before: Django's and the gettext module's own cache of them.
        import gettext

        gettext._translations.clear()
        translation.trans_real._translations = {}
