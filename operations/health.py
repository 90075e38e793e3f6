"""The checks behind `/healthz` and `/readyz` (§16)."""

from django.db import DatabaseError, connection
from django.utils import timezone

from config.celery import app

from . import selectors

BROKER_TIMEOUT_SECONDS = 2


def database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any database failure means "not healthy", never a 500 page
        return False
    return True


def broker_answers() -> bool:
    """One connection to the broker (Redis answers a PING when a channel opens), no retry."""
    options = {
        **(app.conf.broker_transport_options or {}),
        # Redis: a host that swallows packets must not hold the probe longer than this.
        "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        "socket_timeout": BROKER_TIMEOUT_SECONDS,
    }
    try:
        with app.connection_for_write(
            connect_timeout=BROKER_TIMEOUT_SECONDS, transport_options=options
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
            conn.default_channel  # noqa: B018  (opening the channel is the real check)
    except Exception:
        return False
    return True


def readiness() -> dict[str, str]:
    """{"database", "broker", "beat"}: "ok" each, or what is wrong with it."""
    database_ok = database_answers()
    checks = {
        "database": "ok" if database_ok else "unreachable",
        "broker": "ok" if broker_answers() else "unreachable",
    }
    try:
        heartbeat = selectors.beat_heartbeat() if database_ok else None
    except DatabaseError:
        database_ok = False
    if not database_ok:
        checks["beat"] = "unknown (database unreachable)"
    else:
        if heartbeat is None:
            checks["beat"] = "no heartbeat yet"
        elif not selectors.beat_is_fresh(heartbeat, timezone.now()):
            checks["beat"] = "stale"
        else:
            checks["beat"] = "ok"
    return checks
