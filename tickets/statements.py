"""Statements of the API's write path written once from the models' metadata and kept: on
every reply, compiling the equivalent queryset (or `Model.objects.create`) again costs more
than running it. Rows become model instances as the ORM makes them: the same database
converters and `Model.from_db`; values are written by each field's `pre_save` and
`get_db_prep_save`, as `Model.save` does (no model signals are sent: none is used here).
`tickets.locks` builds the ticket's lock from the same pieces."""

import functools

from django.db import connections


def columns(model, table: str, connection) -> list:
    """[(attname, converters, column expression)] of `model`'s concrete fields, in
    `concrete_fields` order, for a select naming its table `table`."""
    loaded = []
    for field in model._meta.concrete_fields:
        column = field.get_col(table)
        converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)
        loaded.append((field.attname, converters, column))
    return loaded


def instance(model, fields: list, values, connection, using: str):
    """The `model` instance of one row's `values` (an iterator, consumed for `fields`), or
    None when its primary key is NULL (an outer join that found nothing)."""
    loaded = []
    for _attname, converters, column in fields:
        value = next(values)
        for converter in converters:
            value = converter(value, column, connection)
        loaded.append(value)
    if loaded[model._meta.concrete_fields.index(model._meta.pk)] is None:
        return None
    return model.from_db(using, None, loaded)


@functools.cache
def _select(model, attnames: tuple, using: str) -> tuple[str, list]:
    connection = connections[using]
    q = connection.ops.quote_name
    meta = model._meta
    fields = columns(model, "t", connection)
    by_attname = {f.attname: f for f in meta.concrete_fields}
    where = " AND ".join(f"t.{q(by_attname[name].column)} = %s" for name in attnames)
    sql = (
        f"SELECT {', '.join(f't.{q(f.column)}' for f in meta.concrete_fields)} "
        f"FROM {q(meta.db_table)} t WHERE {where} LIMIT 1"
    )
    return sql, fields


def first(model, using: str = "default", **equal):
    """`model.objects.filter(**equal).first()` without compiling the queryset (keys are
    attnames, values as the filter would take them); None when no row matches."""
    connection = connections[using]
    attnames = tuple(equal)
    sql, fields = _select(model, attnames, using)
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    params = [by_attname[name].get_db_prep_value(equal[name], connection) for name in attnames]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return None if row is None else instance(model, fields, iter(row), connection, using)


@functools.cache
def _insert(model, using: str) -> tuple[str, list]:
    connection = connections[using]
    q = connection.ops.quote_name
    meta = model._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    sql = (
        f"INSERT INTO {q(meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "
        f"VALUES ({', '.join('%s' for _ in fields)}) RETURNING {q(meta.pk.column)}"
    )
    return sql, fields


def insert(obj, using: str = "default"):
    """`obj.save(force_insert=True)` (a new row; an auto primary key) in one prepared
    statement. Returns `obj`, saved."""
    connection = connections[using]
    if not connection.features.can_return_columns_from_insert:
        obj.save(force_insert=True, using=using)
        return obj
    sql, fields = _insert(type(obj), using)
    values = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        (pk,) = cursor.fetchone()
    obj.pk = obj._meta.pk.to_python(pk)
    obj._state.adding, obj._state.db = False, using
    return obj
