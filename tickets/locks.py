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
from .models import Ticket

RELATED = ("order", "shop", "buyer", "policy", "reply_reason")
# Primary keys are bigint columns: anything outside cannot name a ticket.
MAX_ID = 2**63 - 1


@functools.cache
def _statement(alias: str):
    """(sql, parts) for the database `alias`; each part is (relation name or None for the
    ticket, model, [(attname, converters, column expression)] in `concrete_fields` order)."""
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
    sql = (
        f"SELECT {', '.join(columns)} FROM {quote(meta.db_table)} t0 {' '.join(joins)} "
        f"WHERE t0.{quote(meta.pk.column)} = %s"
    )
    if connection.features.has_select_for_update_of:
        sql += " FOR UPDATE OF t0"
    elif connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    return sql, parts


def lock_ticket(ticket_id, *, using: str = "default") -> Ticket | None:
    """The ticket `ticket_id`, locked until the end of the caller's transaction, with its
    related rows loaded; None when there is no such ticket (or `ticket_id` is no id)."""
    try:
        pk = int(getattr(ticket_id, "pk", ticket_id))
    except (TypeError, ValueError):
        return None
    if not 0 < pk <= MAX_ID:
        return None
    connection = connections[using]
    sql, parts = _statement(using)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pk])
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
    return ticket
