"""The Content-Security-Policy in a real browser (§17): the pages' own scripts still run (the
dashboard's chart, the reply form's advice, the admin's widgets, Swagger UI) and the browser
reports no violation on a merchant page, an admin page and the API docs; the operations
console's script asks the workers."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories
from tests.admin import helpers

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# Collected in the page from the start (Playwright's init scripts are not subject to the page's
# policy), together with the console's own CSP errors.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${where}`);
});
"""


@pytest.fixture
def watched(page):
    """The page, and the violations it reported."""
    console = []
    page.on(
        "console",
        lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(RECORD_VIOLATIONS)

    def violations():
        return console + page.evaluate("window.__cspViolations")

    return page, violations


def log_in(page, url, username):
    page.goto(url)
    page.fill("#id_username", username)
    page.fill("#id_password", factories.PASSWORD)
    with page.expect_navigation():
        page.press("#id_password", "Enter")
    page.wait_for_load_state("networkidle")


def test_merchant_pages_run_their_scripts_without_violations(watched, live_server):
    page, violations = watched
    now = timezone.now()
    shop = factories.rolled_out_shop()
    staff = factories.merchant(shop=shop, username="csp-merchant")
    ticket = factories.urged(shop=shop, at=now - dt.timedelta(hours=2))
    agreed = factories.agreed(shop=shop, at=now - dt.timedelta(hours=30))

    log_in(page, f"{live_server.url}/merchant/login/", staff.username)
    assert page.url.rstrip("/").endswith("/merchant")
    page.wait_for_selector("canvas")  # the dashboard's chart: chart.js and dashboard.js ran
    page.goto(f"{live_server.url}/merchant/tickets/{ticket.pk}/reply/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/merchant/tickets/{agreed.pk}/second-handling/")
    page.wait_for_load_state("networkidle")
    assert violations() == []


def test_admin_pages_run_their_scripts_without_violations(watched, live_server):
    page, violations = watched
    reviewer = factories.reviewer_user("csp-reviewer")
    reviewer.is_staff = reviewer.is_superuser = True
    reviewer.save()
    complaint = helpers.pending()

    log_in(page, f"{live_server.url}/admin/login/?next=/admin/", reviewer.username)
    page.wait_for_selector("#rv-panel")  # the review desk's panel on the index
    page.goto(f"{live_server.url}/admin/complaints/complaint/")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/admin/complaints/complaint/{complaint.pk}/change/")
    page.wait_for_selector("#rv-decision")
    # A form with Django's own widgets: the date/time shortcuts are built by admin scripts.
    page.goto(f"{live_server.url}/admin/tickets/policy/add/")
    page.wait_for_load_state("networkidle")
    # django-celery-beat's form, whose inline script we moved to a file: it still runs.
    page.goto(f"{live_server.url}/admin/django_celery_beat/periodictask/add/")
    page.wait_for_load_state("networkidle")
    assert page.locator(".field-crontab_translation").is_hidden()
    # The operations console: its script asks the workers once the page has loaded.
    page.goto(f"{live_server.url}/admin/operations/console/")
    page.wait_for_selector("#ops-workers:not([data-ask])", timeout=10_000)
    assert violations() == []


def test_the_api_docs_render_without_violations(watched, live_server):
    page, violations = watched
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".opblock", timeout=20_000)  # Swagger UI drew the operations
    assert page.locator(".opblock").count() > 10
    assert violations() == []
