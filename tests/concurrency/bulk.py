"""Bulk test data in one SQL statement per table (PostgreSQL's generate_series), for the
concurrency tests and bench/sweep.py: thousands of due tickets in well under a second."""

import datetime as dt
import os

from django.db import connection, models

from tests import factories
from tickets.models import Order, Ticket
from tickets.policy import policy_in_force


def column_defaults(model, overrides: dict) -> tuple[str, str, dict]:
    """(column list, select list, params) for INSERT ... SELECT of `model`: `overrides` maps
    field names to SQL (named parameters only, `mod()` for modulo); every other column takes
    the field's default, as a named parameter."""
    overrides = dict(overrides)
    columns, selects, params = [], [], {}
    for field in model._meta.concrete_fields:
        if isinstance(field, models.AutoField):
            continue
        columns.append(connection.ops.quote_name(field.column))
        sql = overrides.pop(field.name, overrides.pop(field.attname, None))
        if sql is None:
            selects.append(f"%(default_{field.column})s")
            params[f"default_{field.column}"] = field.get_db_prep_save(
                field.get_default(), connection
            )
        else:
            selects.append(sql)
    if overrides:
        raise KeyError(f"unknown fields of {model.__name__}: {sorted(overrides)}")
    return ", ".join(columns), ", ".join(selects), params


def insert_generated(model, source: str, overrides: dict, **params):
    """INSERT INTO model SELECT ... FROM source, with `overrides` as in `column_defaults`."""
    columns, selects, defaults = column_defaults(model, overrides)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({columns}) SELECT {selects} FROM {source}",
            {**defaults, **params},
        )


def due_tickets(n: int, *, due_at: dt.datetime, prefix: str = "BULK") -> list[int]:
    """`n` tickets in `awaiting_reply` of one new shop, their reply deadlines one microsecond
    apart ending at `due_at`. Returns their ids."""
    shop = factories.ShopFactory()
    buyer = factories.UserFactory()
    created = due_at - dt.timedelta(hours=24)
    policy = policy_in_force(platform=shop.platform, at=created)
    insert_generated(
        Order,
        "generate_series(1, %(n)s) AS g(i)",
        {
            "order_no": f"'{prefix}' || %(shop)s || '-' || i",
            "shop": "%(shop)s",
            "buyer": "%(buyer)s",
            "amount": "100",
            "paid_at": "%(paid)s",
            "created_at": "%(paid)s",
            "updated_at": "%(paid)s",
        },
        n=n,
        shop=shop.pk,
        buyer=buyer.pk,
        paid=created - dt.timedelta(hours=1),
    )
    insert_generated(
        Ticket,
        f"{Order._meta.db_table} o WHERE o.shop_id = %(shop)s ORDER BY o.id",
        {
            "order": "o.id",
            "shop": "o.shop_id",
            "buyer": "o.buyer_id",
            "policy": "%(policy)s",
            "created_at": "%(created)s",
            "updated_at": "%(created)s",
            "reply_due_at": "%(due)s - (%(n)s - o.id + %(first)s) * interval '1 microsecond'",
        },
        shop=shop.pk,
        policy=policy.pk,
        created=created,
        due=due_at,
        n=n,
        first=Order.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True)[0] - 1,
    )
    return list(Ticket.objects.filter(shop=shop).order_by("pk").values_list("pk", flat=True))


def process_env(var_dir, **extra) -> dict:
    """The environment of a child process (a sweep, a worker) that works on the test database
    this test runs on (committed data: the tests use transaction=True)."""
    settings = connection.settings_dict
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{settings['USER']}:{settings['PASSWORD'] or ''}@{settings['HOST']}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        ),
        "DATABASE_POOL": "0",
        # base settings read the environment (the test settings pin some values)
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
        **extra,
    }
