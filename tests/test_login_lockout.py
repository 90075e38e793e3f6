"""Login lockout (§17): 5 failed attempts for one username from one address → that pair is
refused for 15 minutes, on the merchant login and the admin login, with a message saying when
to try again; other usernames and addresses are not affected; a success resets the count; the
API's tokens are not affected (they are throttled instead)."""

import datetime as dt

import pytest
import time_machine
from axes.models import AccessAttempt
from django.test import Client
from rest_framework.test import APIClient

from tests import factories
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
START = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # 18:00 in Shanghai
LOCKED_EN = "Too many failed attempts to log in as this user from your address."
LOCKED_ZH = "此用户从您的地址登录失败次数过多"


def _staff(username):
    user = factories.UserFactory(username=username, groups=["reviewers"])
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


# The two logins: where they are, who may use them, and where a success leads.
LOGINS = {
    "merchant": ("/merchant/login/", lambda name: factories.merchant(username=name), "/merchant/"),
    "admin": ("/admin/login/", _staff, "/admin/"),
}


@pytest.fixture(params=sorted(LOGINS))
def login(request):
    url, make_user, home = LOGINS[request.param]

    class Login:
        kind = request.param

        def __init__(self):
            self.url, self.home = url, home
            self.user = make_user("lock-me")

        def make_user(self, name):
            return make_user(name)

        def post(self, username, password, address=HOME, language="en"):
            client = Client(REMOTE_ADDR=address)
            client.cookies["django_language"] = language
            data = {"username": username, "password": password}
            if self.kind == "admin":
                data["next"] = "/admin/"
            return client.post(self.url, data)

        def fail(self, times, username="lock-me", address=HOME):
            for _ in range(times):
                response = self.post(username, "wrong-password", address)
                assert response.status_code in (200, 429)
            return response

        def succeeds(self, username="lock-me", address=HOME, language="en"):
            response = self.post(username, PASSWORD, address, language)
            return response.status_code == 302 and response["Location"].startswith(self.home)

    return Login()


def test_five_failures_then_the_right_password_is_refused_with_when_to_retry(login):
    with time_machine.travel(START, tick=False):
        for _ in range(4):
            response = login.post("lock-me", "wrong-password")
            assert response.status_code == 200  # a wrong password, not yet a lockout
            assert LOCKED_EN.encode() not in response.content
        fifth = login.post("lock-me", "wrong-password")
        assert fifth.status_code == 429
        right = login.post("lock-me", PASSWORD)
    assert right.status_code == 429
    page = right.content.decode()
    # The login page itself, its form saying when: 18:15 in Shanghai, 15 minutes from now.
    assert 'name="password"' in page
    assert f"{LOCKED_EN} Try again at 18:15 (in 15 minutes)." in page
    assert "Please enter a correct username and password" not in page
    assert "_auth_user_id" not in right.wsgi_request.session


def test_the_message_is_in_the_users_language(login):
    with time_machine.travel(START, tick=False):
        login.fail(5)
        response = login.post("lock-me", PASSWORD, language="zh-hans")
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED_ZH in page and "18:15" in page and "15 分钟" in page


def test_refused_attempts_do_not_prolong_the_lockout(login):
    with time_machine.travel(START, tick=False):
        login.fail(5)
    with time_machine.travel(START + dt.timedelta(minutes=10), tick=False):
        response = login.post("lock-me", "wrong-password")
        assert "Try again at 18:15 (in 5 minutes)." in response.content.decode()
        assert not login.succeeds()
    with time_machine.travel(START + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert login.succeeds()


def test_another_user_from_the_same_address_and_the_same_user_elsewhere_are_not_affected(login):
    login.make_user("neighbour")
    with time_machine.travel(START, tick=False):
        login.fail(5)
        assert not login.succeeds()
        assert login.succeeds(username="neighbour")
        assert login.succeeds(address=ELSEWHERE)


def test_after_fifteen_minutes_the_right_password_works(login):
    with time_machine.travel(START, tick=False):
        login.fail(5)
    with time_machine.travel(START + dt.timedelta(minutes=14, seconds=59), tick=False):
        assert not login.succeeds()
    with time_machine.travel(START + dt.timedelta(minutes=15, seconds=1), tick=False):
        assert login.succeeds()


def test_a_successful_login_resets_the_count(login):
    with time_machine.travel(START, tick=False):
        login.fail(4)
        assert login.succeeds()
        login.fail(4)  # 8 failures in all, but only 4 since the success
        assert login.succeeds()
        login.fail(5)
        assert not login.succeeds()


def test_failures_further_apart_than_the_cool_off_are_not_added_up(login):
    for minutes in (0, 16, 32, 48, 64):
        with time_machine.travel(START + dt.timedelta(minutes=minutes), tick=False):
            login.fail(1)
    with time_machine.travel(START + dt.timedelta(minutes=65), tick=False):
        assert login.succeeds()


def test_behind_a_proxy_the_address_is_the_one_the_proxy_saw(login, settings):
    """TRUSTED_PROXY_COUNT=1 (production's default): X-Forwarded-For's last entry is the
    client; what a client writes further left does not give it new addresses."""
    from config.settings.base import client_address_settings

    for name, value in client_address_settings(1).items():
        setattr(settings, name, value)
    for spoofed in range(5):
        client = Client(
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{spoofed}, {HOME}",
        )
        client.post(login.url, {"username": "lock-me", "password": "wrong-password"})
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {HOME}
    assert not login.succeeds(address=HOME)  # the test client sends no header: REMOTE_ADDR
    behind_proxy = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=HOME)
    response = behind_proxy.post(login.url, {"username": "lock-me", "password": PASSWORD})
    assert response.status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=ELSEWHERE)
    response = other.post(login.url, {"username": "lock-me", "password": PASSWORD})
    assert response.status_code == 302


def test_api_tokens_are_not_affected_by_a_login_lockout(merchant):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=merchant)
    for _ in range(5):
        Client(REMOTE_ADDR="127.0.0.1").post(
            "/merchant/login/", {"username": merchant.username, "password": "wrong"}
        )
    assert AccessAttempt.objects.filter(username=merchant.username).exists()
    api = APIClient(REMOTE_ADDR="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/tickets/").status_code == 200
    # Wrong tokens are the throttle's business (tests/api/test_throttling.py), not axes'.
    api.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    for _ in range(6):
        assert api.get("/api/v1/tickets/").status_code == 401
    assert AccessAttempt.objects.count() == 1


def test_operations_can_lift_a_lockout_at_once(login):
    from django.core.management import call_command

    login.fail(5)
    assert not login.succeeds()
    call_command("axes_reset_username", "lock-me", verbosity=0)
    assert login.succeeds()


def test_a_login_without_a_request_is_refused_not_left_unwatched(merchant):
    """A login path that forgot to pass the request would escape the lockout: it fails loudly
    instead (tests log in with force_login or through the login page)."""
    from axes.exceptions import AxesBackendRequestParameterRequired
    from django.contrib.auth import authenticate

    with pytest.raises(AxesBackendRequestParameterRequired):
        authenticate(username=merchant.username, password=PASSWORD)
