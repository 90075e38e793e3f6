"""Request rates of the API (§17), in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]:

- `user`: every authenticated caller, counted per token (one token per user);
- `order_system`: the order system's service account, which pushes every order;
- `anon`: requests without valid credentials (no token, a wrong one), counted per address.

Past its rate a caller gets 429 `{"code": "throttled", ...}` with `Retry-After` (the error
handler). Counts live in the default cache: Redis in deployments (shared by every process),
local memory in the demo and tests."""

import logging

from axes.helpers import get_client_ip_address
from redis.exceptions import RedisError
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .. import roles

logger = logging.getLogger(__name__)


def scope_of(user) -> str:
    if user is None or not user.is_authenticated:
        return "anon"
    return "order_system" if roles.is_order_system(user) else "user"


class CallerRateThrottle(SimpleRateThrottle):
    """DRF's SimpleRateThrottle with the scope chosen per request (the caller's role) and the
    rate read from the settings at that moment (DRF's own classes read it once, at import)."""

    def __init__(self):
        pass  # SimpleRateThrottle reads the rate here; it is known only with the request

    def allow_request(self, request, view):
        self.scope = scope_of(request.user)
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if self.rate is None:
            return True  # no rate set for this scope: not limited
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError):
            # Limits must not turn a cache outage into failed requests: let it through.
            logger.warning("request rates unavailable (cache down): not throttling", exc_info=True)
            return True

    def get_cache_key(self, request, view):
        if self.scope == "anon":
            ident = get_client_ip_address(request) or "unknown"
        else:
            ident = request.user.pk
        return self.cache_format % {"scope": self.scope, "ident": ident}


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
