"""Request rates per token (§17): settings-driven, 429 `{"code": "throttled"}` with
`Retry-After`; the order system has its own rate; requests without valid credentials are
counted per address, 401s included."""

import datetime as dt
import os
import time
import uuid

import pytest
import time_machine
from django.conf import settings as django_settings

from tests import factories

from .conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/tickets/"
START = dt.datetime(2026, 3, 2, 10, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def rates(settings):
    """Low rates, and a cache of this test's own (CI's default cache is a shared Redis)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"throttle-{uuid.uuid4()}",
        }
    }

    def set_rates(user="3/min", order_system="6/min", anon="2/min"):
        settings.REST_FRAMEWORK = {
            **django_settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"user": user, "order_system": order_system, "anon": anon},
        }

    set_rates()
    return set_rates


def assert_throttled(response):
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert response.json()["detail"]
    assert 1 <= int(response["Retry-After"]) <= 60


def test_a_token_past_its_rate_gets_429_with_retry_after(rates, merchant):
    client = client_for(merchant)
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            assert client.get(URL).status_code == 200
        response = client.get(URL)
    assert_throttled(response)
    assert response["Retry-After"] == "60"
    with time_machine.travel(START + dt.timedelta(seconds=30), tick=False):
        assert client.get(URL)["Retry-After"] == "30"
    with time_machine.travel(START + dt.timedelta(seconds=61), tick=False):
        assert client.get(URL).status_code == 200


def test_each_token_has_its_own_budget(rates, merchant):
    other = factories.merchant(username="other-merchant")
    first, second = client_for(merchant), client_for(other)
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            first.get(URL)
        assert_throttled(first.get(URL))
        assert second.get(URL).status_code == 200


def test_the_order_system_has_a_higher_rate_of_its_own(rates, order_system, merchant):
    client = client_for(order_system)
    with time_machine.travel(START, tick=False):
        for _ in range(6):
            assert client.get("/api/v1/reasons/").status_code == 200
        assert_throttled(client.get("/api/v1/reasons/"))
        for _ in range(3):
            assert client_for(merchant).get(URL).status_code == 200
        assert_throttled(client_for(merchant).get(URL))


def test_rates_are_read_from_the_settings_at_request_time(rates, merchant):
    client = client_for(merchant)
    with time_machine.travel(START, tick=False):
        rates(user="1/min")
        assert client.get(URL).status_code == 200
        assert_throttled(client.get(URL))
        rates(user=None)  # no rate: not limited
        assert client.get(URL).status_code == 200


def test_random_tokens_are_throttled_per_address(rates, merchant):
    with time_machine.travel(START, tick=False):
        for _ in range(2):
            guesser = client_for()
            guesser.credentials(HTTP_AUTHORIZATION=f"Token {uuid.uuid4().hex}")
            assert guesser.get(URL).status_code == 401
        guesser.credentials(HTTP_AUTHORIZATION=f"Token {uuid.uuid4().hex}")
        assert_throttled(guesser.get(URL))
        assert_throttled(client_for().get(URL))  # no token at all: the same address's count
        # Elsewhere, and callers with a valid token from the same address, are not affected.
        elsewhere = client_for()
        elsewhere.defaults["REMOTE_ADDR"] = "198.51.100.20"
        assert elsewhere.get(URL).status_code == 401
        assert client_for(merchant).get(URL).status_code == 200


def test_a_cache_outage_does_not_fail_requests(rates, settings, merchant):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",  # the deployed cache
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    client = client_for(merchant)
    for _ in range(5):
        assert client.get(URL).status_code == 200


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis of REDIS_URL")
def test_the_deployed_cache_counts_in_redis_with_one_client(rates, settings, merchant):
    """config.cache.RedisCache keeps one redis-py client per pool (Django's builds one per
    operation); the rate is still counted in Redis, across requests."""
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
    from django.core.cache import cache

    cache.clear()
    client = client_for(merchant)
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            assert client.get(URL).status_code == 200
        assert_throttled(client.get(URL))
    backend = cache._cache
    assert backend.get_client(write=True) is backend.get_client(write=False)
    assert len(backend._clients) == 1
    cache.clear()


def test_the_default_rates_are_those_of_the_spec():
    from config.settings import base

    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "user": "1200/min",
        "order_system": "12000/min",
        "anon": "60/min",
    }
    assert base.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == [
        "tickets.api.throttling.CallerRateThrottle"
    ]


def test_the_schema_documents_429_on_every_operation(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "put", "post", "patch", "delete"}:
                assert "429" in operation["responses"], (method, path)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the Redis of REDIS_URL")
def test_the_deployed_cache_keeps_a_counter_that_expires_with_its_window(rates, settings, merchant):
    """One counter per caller in Redis, opened by the first request with the window's expiry:
    the refused request's Retry-After is the time that counter has left."""
    settings.CACHES = {
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    }
    from django.core.cache import cache

    cache.clear()
    client = client_for(merchant)
    for _ in range(3):
        assert client.get(URL).status_code == 200
    response = client.get(URL)
    assert_throttled(response)
    redis = cache._cache.get_client(write=True)
    key = cache.make_and_validate_key(f"rate_user_{merchant.pk}")
    assert int(redis.get(key)) == 4
    assert 59_000 <= redis.pttl(key) <= 60_000
    assert int(response["Retry-After"]) == 60
    redis.pexpire(key, 1)  # the window closes
    time.sleep(0.01)
    assert client.get(URL).status_code == 200
    assert int(redis.get(key)) == 1
    cache.clear()
