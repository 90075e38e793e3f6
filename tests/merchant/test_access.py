"""Login, logout, who may enter, and the shop switcher."""

import pytest
from django.urls import reverse

from tests import factories
from tests.factories import PASSWORD
from tickets.models import ShopMembership

pytestmark = pytest.mark.django_db


def test_anonymous_is_sent_to_login(en_client):
    response = en_client.get(reverse("merchant:tickets"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("merchant:login"))


def test_login_page_renders_with_csrf(en_client):
    response = en_client.get(reverse("merchant:login"))
    assert response.status_code == 200
    assert b"csrfmiddlewaretoken" in response.content


def test_login_leads_to_the_dashboard(en_client, merchant):
    response = en_client.post(
        reverse("merchant:login"), {"username": merchant.username, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("merchant:dashboard")


def test_wrong_password_is_a_form_error(en_client, merchant):
    response = en_client.post(
        reverse("merchant:login"), {"username": merchant.username, "password": "nope"}
    )
    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_logout_is_a_post(merchant_client):
    response = merchant_client.post(reverse("merchant:logout"))
    assert response.status_code == 302
    assert merchant_client.get(reverse("merchant:dashboard")).status_code == 302


def test_user_without_a_shop_is_told_so(en_client, reviewer):
    en_client.force_login(reviewer)
    response = en_client.get(reverse("merchant:dashboard"))
    assert response.status_code == 403
    assert b"not staff of any shop" in response.content


def test_shop_switch_is_remembered(merchant_client, merchant):
    second = factories.ShopFactory(name="Second shop")
    ShopMembership.objects.create(user=merchant, shop=second)
    response = merchant_client.post(
        reverse("merchant:switch-shop"), {"shop": second.pk, "next": reverse("merchant:tickets")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("merchant:tickets")
    page = merchant_client.get(reverse("merchant:dashboard"))
    assert page.context["request"].shop == second


def test_switch_to_a_foreign_shop_is_404(merchant_client):
    foreign = factories.ShopFactory()
    response = merchant_client.post(reverse("merchant:switch-shop"), {"shop": foreign.pk})
    assert response.status_code == 404
    response = merchant_client.post(reverse("merchant:switch-shop"), {"shop": "x"})
    assert response.status_code == 404


def test_switch_never_redirects_off_site(merchant_client, shop):
    response = merchant_client.post(
        reverse("merchant:switch-shop"), {"shop": shop.pk, "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("merchant:dashboard")


def test_switch_is_post_only(merchant_client):
    assert merchant_client.get(reverse("merchant:switch-shop")).status_code == 405


def test_forms_are_csrf_protected(merchant, shop):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(merchant)
    ticket = factories.urged(shop=shop)
    response = client.post(
        reverse("merchant:reply", args=[ticket.pk]),
        {"plan": "cannot_ship", "reason": "stock_shortage"},
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_reply"
