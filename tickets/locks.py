"""Locking one ticket with the rows its services read: the first statement of every ticket
service, and the heaviest one of the API's write path.

The statement (the ticket, its order, shop, buyer, policy and reply reason, `FOR UPDATE OF`
the ticket alone) is written once per database from the models' metadata, and each row becomes
model instances as the ORM makes them: the same database converters, `Model.from_db`, the
related objects cached on the ticket. It is what `select_for_update(of=("self",))
.select_related(...)` runs, without compiling that six-table query again on every call."""

import functools

from django.db import connections

from . import statements
from .models import ReplyReason, Ticket

RELATED = ("order", "shop", "buyer", "policy", "reply_reason")
REASON = "reason asked for"
# Primary keys are bigint columns: anything outside cannot name a ticket.
MAX_ID = 2**63 - 1


@functools.cache
def _statement(alias: str, with_reason: bool = False):
    """(sql, parts) for the database `alias`; each part is (relation name or None for the
    ticket, model, [(attname, converters, column expression)] in `concrete_fields` order).
    `with_reason`: one more part, REASON, the active reply reason of a code given first
    among the parameters (or NULLs)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = Ticket._meta
    columns, joins, parts = [], [], []
    for i, name in enumerate((None, *RELATED)):
        table = f"t{i}"
        if name is None:
            model = Ticket
        else:
            fk = meta.get_field(name)
            model = fk.related_model
            joins.append(
                f"{'LEFT OUTER' if fk.null else 'INNER'} JOIN {quote(model._meta.db_table)} "
                f"{table} ON {table}.{quote(fk.target_field.column)} = t0.{quote(fk.column)}"
            )
        columns += [f"{table}.{quote(field.column)}" for field in model._meta.concrete_fields]
        parts.append((name, model, statements.columns(model, table, connection)))
    if with_reason:
        reasons = ReplyReason._meta
        joins.append(
            f"LEFT OUTER JOIN {quote(reasons.db_table)} tr ON "
            f"tr.{quote(reasons.get_field('code').column)} = %s "
            f"AND tr.{quote(reasons.get_field('is_active').column)}"
        )
        columns += [f"tr.{quote(field.column)}" for field in reasons.concrete_fields]
        parts.append((REASON, ReplyReason, statements.columns(ReplyReason, "tr", connection)))
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} t0 {' '.join(joins)} "
        f"WHERE t0.{quote(meta.pk.column)} = %s"
    )
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF t0"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, parts


def _locked(ticket_id, using: str, reason_code=None):
    try:
        pk = int(getattr(ticket_id, "pk", ticket_id))
    except (TypeError, ValueError):
        return None
    if not 0 < pk <= MAX_ID:
        return None
    connection = connections[using]
    with_reason = reason_code is not None
    sql, parts = _statement(using, with_reason)
    with connection.cursor() as cursor:
        cursor.execute(sql, [reason_code, pk] if with_reason else [pk])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    instances = {
        name: statements.instance(model, fields, values, connection, using)
        for name, model, fields in parts
    }
    ticket = instances[None]
    for name in RELATED:
        Ticket._meta.get_field(name).set_cached_value(ticket, instances[name])
    return ticket, instances.get(REASON)


def lock_ticket(ticket_id, *, using: str = "default") -> Ticket | None:
    """The ticket `ticket_id`, locked until the end of the caller's transaction, with its
    related rows loaded; None when there is no such ticket (or `ticket_id` is no id)."""
    locked = _locked(ticket_id, using)
    return locked and locked[0]


def lock_ticket_and_reason(
    ticket_id, reason_code: str, *, using: str = "default"
) -> tuple[Ticket | None, ReplyReason | None]:
    """`lock_ticket`, and in the same statement the active reply reason `reason_code` (the
    reply's hot path: one round trip for both; None when no active reason has that code)."""
    locked = _locked(ticket_id, using, reason_code)
    return locked or (None, None)
