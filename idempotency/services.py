"""Storing a key with its first response, finding it again, and purging expired keys."""

import datetime as dt

from django.db import connection
from django.utils import timezone

from .models import IdempotencyKey

# Keys expire after 24 hours (the window payment APIs such as Stripe's use).
KEY_TTL = dt.timedelta(hours=24)
PURGE_BATCH = 5000


def idempotency_record(
    *, user, key: str, fingerprint: str, method: str, path: str, status_code: int, body, now=None
) -> bool:
    """Inside the request's transaction, after its work: store the key with its answer. True
    when stored; False when the caller already has this key (unexpired), and then the caller
    rolls its work back and answers what `idempotency_answer` finds. One statement, no
    savepoint: `INSERT ... ON CONFLICT (user, key) DO UPDATE ... WHERE expired RETURNING id`
    (PostgreSQL, SQLite), an expired key being taken over as new. While another transaction
    holds the same new key, the database makes this one wait for it (and then see it)."""
    now = now or timezone.now()
    row = IdempotencyKey(
        user=user,
        key=key,
        fingerprint=fingerprint,
        method=method,
        path=path[:512],
        status_code=status_code,
        response_body=body,
        created_at=now,
        expires_at=now + KEY_TTL,
    )
    meta = IdempotencyKey._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    unique = ", ".join(quote(meta.get_field(name).column) for name in ("user", "key"))
    taken_over = ", ".join(
        f"{quote(f.column)} = excluded.{quote(f.column)}"
        for f in fields
        if f.name not in ("user", "key")
    )
    expires = quote(meta.get_field("expires_at").column)
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({unique}) DO UPDATE SET {taken_over} "
        f"WHERE {table}.{expires} <= excluded.{quote(meta.get_field('created_at').column)} "
        f"RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone() is not None


def idempotency_answer(*, user, key: str, now=None) -> IdempotencyKey | None:
    """The caller's unexpired key with its stored answer, or None."""
    now = now or timezone.now()
    return IdempotencyKey.objects.filter(user=user, key=key, expires_at__gt=now).first()


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
