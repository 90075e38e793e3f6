"""Every HTML page carries a Content-Security-Policy (§17): `default-src 'self'`, no inline
script. A crawl of the merchant pages and the admin (following their links), the login pages
and the API docs checks the header, and that no page needs what it forbids: no inline script
body, no `on*=` handler, no `javascript:` URL."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from tests import factories
from tests.admin import helpers

pytestmark = pytest.mark.django_db


def policy_of(response) -> dict[str, list[str]]:
    header = response.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']}: no Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(response):
    policy = policy_of(response)
    where = response.request["PATH_INFO"]
    assert policy["default-src"] == ["'self'"], where
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert "*" not in " ".join(scripts), where


class Page(HTMLParser):
    """The links of a page, and what in it a strict policy would block."""

    def __init__(self):
        super().__init__()
        self.links, self.blocked = [], []
        self._inline_script = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.blocked.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().startswith(
                "javascript:"
            ):
                self.blocked.append(f"<{tag} {name}={value}>")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        json_data = attrs.get("type") in ("application/json", "application/ld+json")
        self._inline_script = tag == "script" and "src" not in attrs and not json_data

    def handle_endtag(self, tag):
        if tag == "script":
            self._inline_script = False

    def handle_data(self, data):
        if self._inline_script and data.strip():
            self.blocked.append(f"<script>{data.strip()[:60]}</script>")


def check(response) -> Page:
    assert_strict(response)
    page = Page()
    if "text/html" in response.get("Content-Type", ""):
        page.feed(response.content.decode())
        where = response.request["PATH_INFO"]
        assert not page.blocked, f"{where} needs what the policy forbids: {page.blocked}"
    return page


def crawl(client, start, prefix, *, skip=(), by_kind=False) -> list[str]:
    """Every page under `prefix` reachable by links from `start`, one URL per path (a list's
    filters and sortings are the same page), or with `by_kind` one per path with its ids left
    out (the change forms of one model are the same template); returns those paths."""
    queue, seen = list(start), set()
    while queue:
        url = queue.pop(0)
        path = urlsplit(url).path
        kind = re.sub(r"/\d+/", "/<id>/", path) if by_kind else path
        if kind in seen or not path.startswith(prefix) or any(s in path for s in skip):
            continue
        seen.add(kind)
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code in (301, 302):
            queue.append(urljoin(url, response["Location"]))
            continue
        if response.status_code == 200 and "text/html" in response["Content-Type"]:
            queue.extend(urljoin(url, link) for link in check(response).links)
    return sorted(seen)


@pytest.fixture
def world(db):
    """A shop with tickets in every state and complaints, a merchant of it, and a superuser."""
    shop = factories.rolled_out_shop()
    merchant = factories.merchant(shop=shop, username="csp-merchant")
    for state in factories.TICKET_STATES:
        factories.ticket_in(state, shop=shop)
    reviewer = factories.reviewer_user("csp-reviewer")
    helpers.appealed(reviewer, shop=shop)
    helpers.upheld(reviewer, shop=shop)
    admin = factories.UserFactory(username="csp-admin")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    return merchant, admin


def test_every_merchant_page_has_a_strict_policy(world):
    merchant, _ = world
    client = Client()
    client.force_login(merchant)
    pages = {
        re.sub(r"/\d+/", "/<id>/", p)
        for p in crawl(client, ["/merchant/"], "/merchant/", skip=("/logout/",))
    }
    assert {
        "/merchant/",
        "/merchant/tickets/",
        "/merchant/complaints/",
        "/merchant/tickets/<id>/",
        "/merchant/tickets/<id>/reply/",
        "/merchant/tickets/<id>/second-handling/",
        "/merchant/complaints/<id>/",
    } <= pages


def test_every_admin_page_has_a_strict_policy(world):
    _, admin = world
    client = Client()
    client.force_login(admin)
    pages = crawl(client, ["/admin/"], "/admin/", skip=("/logout/",), by_kind=True)
    assert "/admin/" in pages
    # The changelists and change forms of the review desk, with their own templates.
    assert {
        "/admin/complaints/complaint/",
        "/admin/complaints/complaint/<id>/change/",
        "/admin/tickets/ticket/<id>/change/",
        "/admin/tickets/policy/",
        "/admin/tickets/shop/",
        "/admin/django_celery_beat/periodictask/add/",
        "/admin/axes/accessattempt/",
    } <= set(pages)


@pytest.mark.parametrize("url", ["/merchant/login/", "/admin/login/", "/api/docs/"])
def test_login_pages_and_the_api_docs_have_a_strict_policy(client, url):
    response = client.get(url)
    assert response.status_code == 200
    check(response)


def test_the_api_docs_start_up_script_is_a_file_of_their_own(client):
    page = client.get("/api/docs/").content.decode()
    assert "/api/docs/?script=" in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_lockout_page_and_error_pages_have_it_too(world):
    merchant, _ = world
    client = Client()
    for _ in range(5):
        response = client.post(
            "/merchant/login/", {"username": merchant.username, "password": "wrong"}
        )
    assert response.status_code == 429
    check(response)
    check(client.get("/merchant/no-such-page/"))
    check(client.get("/api/v1/tickets/"))  # JSON: harmless, and the same everywhere


def test_the_policy_built_once_is_django_csps_and_follows_the_settings(settings):
    """config.csp reuses the plain header; it is django-csp's own, changes with the settings,
    and a response that asks for its own policy (a decorator, a nonce) still gets its own."""
    from csp.constants import NONCE
    from csp.decorators import csp_update
    from csp.middleware import CSPMiddleware
    from csp.utils import build_policy
    from django.http import HttpResponse
    from django.test import RequestFactory

    from config.csp import PlainPolicyCSPMiddleware

    def plain(request):
        return HttpResponse("ok")

    @csp_update({"img-src": ["https://img.example"]})
    def updated(request):
        return HttpResponse("ok")

    def with_nonce(request):
        return HttpResponse(str(request.csp_nonce))

    def header(view, middleware=PlainPolicyCSPMiddleware):
        return middleware(view)(RequestFactory().get("/x"))["Content-Security-Policy"]

    assert header(plain) == build_policy() == header(plain, CSPMiddleware)
    assert "https://img.example" in header(updated)
    assert header(updated) == header(updated, CSPMiddleware)
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'self'", NONCE]}}
    assert header(plain) == "default-src 'self'"
    response = PlainPolicyCSPMiddleware(with_nonce)(RequestFactory().get("/x"))
    nonce = response.content.decode()
    assert response["Content-Security-Policy"] == f"default-src 'self' 'nonce-{nonce}'"
