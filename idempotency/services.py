"""Claiming a key, storing its first response, and purging expired keys."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from .models import IdempotencyKey

# Keys expire after 24 hours (the window payment APIs such as Stripe's use).
KEY_TTL = dt.timedelta(hours=24)
PURGE_BATCH = 5000


class KeyReused(Exception):
    """The key was first used with another request (method, path or body)."""


class KeyInProgress(Exception):
    """The first request with this key has not finished (only possible without row locks)."""


def idempotency_claim(*, user, key: str, fingerprint: str, method: str, path: str, now=None):
    """Inside the caller's transaction: insert the key row, or lock the existing one.
    Returns (row, is_new). An expired row is taken over as new. A concurrent first request
    holds the unique index until it commits, so this waits for it and then sees its result."""
    now = now or timezone.now()
    fields = {
        "fingerprint": fingerprint,
        "method": method,
        "path": path[:512],
        "created_at": now,
        "expires_at": now + KEY_TTL,
        "status_code": None,
        "response_body": None,
    }
    for _attempt in range(3):
        row = IdempotencyKey(user=user, key=key, **fields)
        if _insert_unless_taken(row):
            return row, True
        row = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
        if row is None:  # the first request failed and gave its key back meanwhile
            continue
        if row.expires_at <= now:
            for name, value in fields.items():
                setattr(row, name, value)
            row.save()
            return row, True
        if row.fingerprint != fingerprint:
            raise KeyReused
        if row.status_code is None:
            raise KeyInProgress
        return row, False
    raise KeyInProgress


def _insert_unless_taken(row: IdempotencyKey) -> bool:
    """`INSERT ... ON CONFLICT (user, key) DO NOTHING RETURNING id` (PostgreSQL, SQLite): True
    with `row` saved, or False when the caller already has this key. One statement and no
    savepoint: a conflict is an answer, not an error that would spoil the transaction. While
    another transaction holds the same new key, the database makes this one wait for it."""
    meta = IdempotencyKey._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    unique = ", ".join(quote(meta.get_field(name).column) for name in ("user", "key"))
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({unique}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        inserted = cursor.fetchone()
    if inserted is None:
        return False
    row.pk, row._state.adding, row._state.db = inserted[0], False, connection.alias
    return True


def idempotency_store(*, row: IdempotencyKey, status_code: int, body) -> None:
    """`row.save(update_fields=["status_code", "response_body"])`, as one hand-written
    statement: it runs on every request that carries a key."""
    row.status_code, row.response_body = status_code, body
    meta = IdempotencyKey._meta
    quote = connection.ops.quote_name
    fields = [meta.get_field("status_code"), meta.get_field("response_body")]
    sql = (
        f"UPDATE {quote(meta.db_table)} SET "
        f"{', '.join(f'{quote(f.column)} = %s' for f in fields)} "
        f"WHERE {quote(meta.pk.column)} = %s"
    )
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, row.pk])


def idempotency_purge_expired(*, now=None, batch: int = PURGE_BATCH) -> int:
    """Delete expired keys in bounded batches (each its own short transaction). Returns how
    many were deleted. Run by `manage.py purge_idempotency_keys` or the Celery task
    `idempotency.tasks.purge_expired_idempotency_keys` (meant for the beat schedule, hourly)."""
    now = now or timezone.now()
    deleted = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(expires_at__lte=now).values_list("pk", flat=True)[:batch]
        )
        if not ids:
            return deleted
        deleted += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]
