import importlib

import pytest

from tests import factories


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def reviewer(reviewer):
    """The root fixture's reviewer, able to log in to the admin (as seed_demo's reviewer1)."""
    return staff(reviewer)


@pytest.fixture
def other_reviewer(other_reviewer):
    return staff(other_reviewer)


@pytest.fixture
def lead(db):
    """A lead reviewer (§18): in `review_leads` only; leads are reviewers too."""
    return staff(factories.UserFactory(username="lead-a", groups=["review_leads"]))


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


@pytest.fixture
def ops(db):
    return staff(factories.UserFactory(username="ops-a", groups=["operations"]))


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read the English source strings; zh-hans is checked by its own test."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def seeded(transactional_db):
    """Transactional tests start from a flushed database on some orders of the run: put back
    what the data migrations seed (reasons, policies, groups and their permissions)."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    # the historical models, as the migrations themselves see them
    state_apps = MigrationLoader(connection).project_state().apps
    for name in (
        "tickets.migrations.0002_seed_reasons_policies_roles",
        "tickets.migrations.0004_admin_role_permissions",
        "tickets.migrations.0013_review_leads_group",
        "tickets.migrations.0015_second_handling_taken_back",
        "complaints.migrations.0005_decision_templates",
    ):
        module = importlib.import_module(name)
        seed = getattr(module, "seed", None) or getattr(module, "grant", None) or module.create
        with connection.schema_editor(atomic=False) as editor:
            seed(state_apps, editor)


@pytest.fixture(scope="session")
def compiled_messages():
    """Chinese pages need the compiled catalogue (`make messages`); compile it if stale."""
    import gettext
    import shutil
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command
    from django.utils import translation

    po = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        if shutil.which("msgfmt") is None:
            pytest.skip("msgfmt is not installed (apt-get install gettext)")
        call_command("compilemessages", locale=["zh_Hans"], verbosity=0, ignore_patterns=[".venv"])
        # Forget the catalogues read before, Django's and Python's own (cached by file).
        gettext._translations.clear()
        translation.trans_real._translations = {}
