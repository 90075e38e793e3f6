"""`/healthz`, `/readyz` and `/metrics` (§16). None of them is redirected to https under the
production settings (SECURE_REDIRECT_EXEMPT): load balancers and Prometheus probe over plain
HTTP."""

import hmac
import ipaddress

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from . import health
from . import metrics as metrics_module


@never_cache
@require_safe
def healthz(request):
    """Liveness: the process answers and so does its database; 200, else 503."""
    if not health.database_answers():
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@never_cache
@require_safe
def readyz(request):
    """Readiness: database, broker and beat's heartbeat (at most 3 minutes old). 503 names
    what failed."""
    checks = health.readiness()
    failed = [name for name, value in checks.items() if value != "ok"]
    if failed:
        return JsonResponse({**checks, "failed": failed}, status=503)
    return JsonResponse(checks)


# A request that came through a proxy is not a loopback one, even when the proxy runs on the
# same host (its REMOTE_ADDR is then 127.0.0.1).
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def from_loopback(request) -> bool:
    if any(header in request.META for header in PROXY_HEADERS):
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def bearer_matches(request, token: str) -> bool:
    scheme, _, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        value.strip().encode(), token.encode()
    )


@never_cache
@require_safe
def metrics(request):
    """Prometheus text format: open from loopback, elsewhere only with
    `Authorization: Bearer <METRICS_TOKEN>` (none set: loopback only)."""
    if not from_loopback(request):
        token = settings.METRICS_TOKEN
        if not token:
            return HttpResponse("metrics are served to loopback only\n", status=403)
        if not bearer_matches(request, token):
            response = HttpResponse("a bearer token is required\n", status=401)
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    try:
        body = metrics_module.exposition()
    except DatabaseError:
        return HttpResponse("database unreachable\n", status=503)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
