"""The product's own 403, 404 and 500 pages (config/errors.py), in the user's language: the
merchant pages' look under /merchant/ (with DEBUG on too), the admin's under /admin/, JSON
under /api/."""

import pytest
from django.conf import settings
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def compiled(compiled_messages):
    return compiled_messages


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant)
    return client


@pytest.mark.parametrize("debug", [False, True])
def test_another_shops_ticket_is_the_products_404_in_chinese(
    merchant_client, settings, debug, compiled
):
    settings.DEBUG = debug
    other = factories.urged()
    response = merchant_client.get(reverse("merchant:ticket", args=[other.pk]))
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-error="404"' in body and "页面不存在" in body
    assert 'class="topbar"' in body  # the merchant pages' own frame
    assert "Django" not in body and "Traceback" not in body


def test_the_404_follows_the_language_switch(merchant_client, compiled):
    merchant_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = merchant_client.get("/merchant/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body and "页面不存在" not in body


def test_the_admins_404_is_in_the_admins_look(client, compiled):
    reviewer = factories.reviewer_user()
    reviewer.is_staff = True
    reviewer.save(update_fields=["is_staff"])
    client.force_login(reviewer)
    response = client.get("/admin/no-such-app/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-error="404"' in body and 'id="header"' in body  # the admin's frame
    assert 'class="topbar"' not in body


def test_api_paths_keep_their_json_errors(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_merchant_view_refusing_with_403_shows_the_products_page(
    merchant_client, merchant, settings, monkeypatch, compiled
):
    from django.core.exceptions import PermissionDenied

    from merchant.views import complaints

    def refuse(*args):
        raise PermissionDenied

    settings.DEBUG = True
    factories.replied(shop=merchant.shops.get(), plan="cannot_ship")
    monkeypatch.setattr(complaints, "appealable", refuse)
    response = merchant_client.get(reverse("merchant:complaints"))
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-error="403"' in body and "无权访问" in body


def test_a_server_error_is_the_products_500(merchant_client, monkeypatch, compiled):
    from merchant.views import dashboard

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboard.selectors, "shop_metrics", broken)
    merchant_client.raise_request_exception = False
    response = merchant_client.get(reverse("merchant:dashboard"))
    assert response.status_code == 500
    body = response.content.decode()
    assert 'data-error="500"' in body and "出错了" in body


def test_a_server_error_under_the_api_is_json(client, monkeypatch):
    from config import errors

    request = client.get("/api/v1/").wsgi_request
    request.path = "/api/v1/tickets/"
    response = errors.server_error(request)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")


# -- the admin (§18): the same pages, in the admin's frame and the reader's language ----------


@pytest.fixture
def reviewer_client(client):
    reviewer = factories.reviewer_user()
    reviewer.is_staff = True
    reviewer.save(update_fields=["is_staff"])
    client.force_login(reviewer)
    return client


def admin_page(response, status):
    assert response.status_code == status
    body = response.content.decode()
    assert f'data-error="{status}"' in body
    assert 'id="header"' in body and 'class="topbar"' not in body  # the admin's frame
    assert "Django" not in body and "Traceback" not in body
    return body


@pytest.mark.parametrize("debug", [False, True])
def test_a_reviewer_on_an_operations_page_gets_the_products_403_in_chinese(
    reviewer_client, settings, debug, compiled
):
    settings.DEBUG = debug
    reviewer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = admin_page(reviewer_client.get(reverse("admin:tickets_policy_add")), 403)
    assert "无权访问" in body and "催发货工单 · 平台后台" in body  # the site's own header


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/complaints/complaint/999999/change/",
        "/admin/complaints/complaint/abc/change/",
        "/admin/tickets/ticket/999999/change/",
        "/admin/complaints/complaint/999999/history/",
    ],
)
def test_a_missing_record_is_the_products_404_not_a_redirect(
    reviewer_client, settings, debug, path, compiled
):
    settings.DEBUG = debug
    reviewer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = admin_page(reviewer_client.get(path), 404)
    assert "页面不存在" in body and "催发货工单 · 平台后台" in body


def test_a_missing_complaint_reads_in_english_for_an_english_reader(
    reviewer_client, settings, compiled
):
    settings.DEBUG = True  # the demo's setting: still the product's page
    reviewer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = reviewer_client.post(
        "/admin/complaints/complaint/999999/decide/", {"decision": "claim"}
    )
    body = admin_page(response, 404)
    assert "Page not found" in body and "页面不存在" not in body


def test_a_server_error_in_the_admin_is_the_products_500(reviewer_client, monkeypatch, compiled):
    from tickets.admin.policy import PolicyAdmin

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(PolicyAdmin, "get_queryset", broken)
    reviewer_client.raise_request_exception = False
    reviewer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    body = admin_page(reviewer_client.get(reverse("admin:tickets_policy_changelist")), 500)
    assert "出错了" in body
