"""Request rates of the API (§17), in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]:

- `user`: every authenticated caller, counted per token (one token per user);
- `order_system`: the order system's service account, which pushes every order;
- `anon`: requests without valid credentials (no token, a wrong one), counted per address.

Each count is a fixed window opened by the caller's first request: a rate of N per minute lets
N requests through in the minute that follows it; the next ones get 429 `{"code": "throttled",
...}` with `Retry-After` (the seconds until that window closes, the error handler). Counts live
in the default cache: Redis in deployments (shared by every process: one atomic script per
request, a counter with its expiry), local memory in the demo and tests."""

import logging
import time

from axes.helpers import get_client_ip_address
from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from .. import roles

logger = logging.getLogger(__name__)


def scope_of(user) -> str:
    if user is None or not user.is_authenticated:
        return "anon"
    return "order_system" if roles.is_order_system(user) else "user"


def count_in_window(key: str, duration: int) -> tuple[int, float]:
    """Count one request under `key` in its window of `duration` seconds: (the window's count
    with this one, seconds until the window closes)."""
    backend = caches["default"]
    if hasattr(backend, "count_in_window"):  # config.cache.RedisCache: one atomic round trip
        return backend.count_in_window(key, duration)
    # Other caches (local memory: one process): the window's start and count in one entry.
    now = time.time()
    entry = backend.get(key)
    if entry is None or entry[0] + duration <= now:
        start, count = now, 1
    else:
        start, count = entry[0], entry[1] + 1
    left = start + duration - now
    backend.set(key, (start, count), timeout=left)
    return count, left


class CallerRateThrottle(BaseThrottle):
    """A fixed-window count per caller, the scope chosen per request (the caller's role) and
    the rate read from the settings at that moment."""

    key_format = "rate_%(scope)s_%(ident)s"
    parse_rate = SimpleRateThrottle.parse_rate

    def allow_request(self, request, view):
        self.scope = scope_of(request.user)
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if rate is None:
            return True  # no rate set for this scope: not limited
        num_requests, duration = self.parse_rate(rate)
        try:
            count, self.left = count_in_window(self.key(request), duration)
        except (RedisError, OSError):
            # Limits must not turn a cache outage into failed requests: let it through.
            logger.warning("request rates unavailable (cache down): not throttling", exc_info=True)
            return True
        return count <= num_requests

    def key(self, request) -> str:
        if self.scope == "anon":
            ident = get_client_ip_address(request) or "unknown"
        else:
            ident = request.user.pk
        return self.key_format % {"scope": self.scope, "ident": ident}

    def wait(self):
        return self.left


def throttle_unauthenticated(request, view) -> exceptions.Throttled | None:
    """A request refused for its credentials (401) never reaches DRF's throttles, which run
    after authentication and permissions. Count it against its address's `anon` rate here;
    past that rate the answer is 429 instead."""
    if request is None:
        return None
    throttle = CallerRateThrottle()
    if throttle.allow_request(request, view):
        return None
    return exceptions.Throttled(wait=throttle.wait())
