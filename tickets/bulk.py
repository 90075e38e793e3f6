"""Set-based writes for the sweeps (§12): the same rows the single-ticket services write (audit
rows, buyer messages), produced by one `INSERT ... SELECT` per kind of row for a whole batch.

Each statement is built from a Django queryset, so the SQL is generated for whichever engine
runs (PostgreSQL in production, SQLite in the embedded default) and no per-row Python object is
made. Columns not given take the model field's default, as `objects.create()` would."""

import json
import re

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.db.models import CharField, F, Value
from django.db.models.functions import Cast, Concat, JSONObject
from django_fsm_log.models import StateLog

from .audit import dump_payload
from .models import BuyerMessage


def insert_select(model, rows: models.QuerySet, **columns) -> list:
    """`INSERT INTO model (...) SELECT ... FROM rows RETURNING pk`: one statement for the whole
    set. `columns` maps a field name of `model` to an expression over `rows`' model; every
    other column (except an auto primary key) gets the field's default. Returns the new
    primary keys (PostgreSQL and SQLite ≥ 3.35 both return them), in insertion order."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    unknown = set(columns) - {f.name for f in fields} - {f.attname for f in fields}
    if unknown:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(unknown)}")
    selected = {}
    for i, field in enumerate(fields):
        expression = columns.get(field.name, columns.get(field.attname))
        if expression is None:
            expression = Value(field.get_default(), output_field=field)
        elif not hasattr(expression, "resolve_expression"):
            expression = Value(expression, output_field=field)
        if isinstance(expression, Value):
            expression = Typed(expression, output_field=field)
        selected[f"insert_col_{i}"] = expression
    query = rows.annotate(**selected).values_list(*selected).query
    sql, params = query.sql_with_params()
    quote = connection.ops.quote_name
    column_list = ", ".join(quote(f.column) for f in fields)
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({column_list}) {sql} RETURNING {pk}", params)
        return [row[0] for row in cursor.fetchall()]


def text_template(template: str, **parts):
    """A SQL text built like `template.format(**parts)`, where each part is an expression over
    the rows (cast to text). The wording stays in one place: the template the services format."""
    marks = {name: _mark(name) for name in parts}
    return _splice(template.format(**marks), {marks[name]: parts[name] for name in parts})


def json_text(payload: dict, **columns):
    """The exact text `audit.dump_payload(payload | columns)` gives, the values of `columns`
    taken from each row: set-based audit rows read like the services' own."""
    marks = {name: _mark(name) for name in columns}
    text = dump_payload({**payload, **marks})
    # dump_payload quotes the mark as a JSON string; the column's text replaces the quotes too.
    quoted = {json.dumps(marks[name], ensure_ascii=False): columns[name] for name in columns}
    return _splice(text, quoted)


def _mark(name: str) -> str:
    return f"\x00{name}\x00"


def _splice(text: str, replacements: dict):
    """`text` with each marker replaced by its expression, as one concatenation."""
    pieces = []
    pattern = "|".join(re.escape(m) for m in replacements)
    position = 0
    for match in re.finditer(pattern, text) if replacements else ():
        pieces += [Value(text[position : match.start()]), _as_text(replacements[match.group()])]
        position = match.end()
    pieces.append(Value(text[position:]))
    pieces = [p for p in pieces if not (isinstance(p, Value) and p.value == "")]
    if len(pieces) == 1:
        return pieces[0]
    return Concat(*pieces, output_field=CharField())


class IsoDate(models.Func):
    """A date column as ISO text (YYYY-MM-DD), like `date.isoformat()`, whatever the session's
    DateStyle. SQLite stores dates as ISO text already."""

    output_field = CharField()
    arity = 1

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra):
        return models.Func.as_sql(
            self, compiler, connection, template="TO_CHAR(%(expressions)s, 'YYYY-MM-DD')", **extra
        )


class Typed(models.Func):
    """A constant with its type spelled out on PostgreSQL, where parameters are bound by the
    server and one in a SELECT list or a function's arguments has no type the server could
    infer (NULL above all). Elsewhere the constant as it is."""

    arity = 1

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(self.source_expressions[0])

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql})::{self.output_field.cast_db_type(connection)}", params


def _typed(values: dict) -> dict:
    return {
        name: Typed(v, output_field=v.output_field) if isinstance(v, Value) else v
        for name, v in values.items()
    }


def _as_text(expression):
    if isinstance(expression, str):
        expression = F(expression)
    if isinstance(expression, IsoDate):
        return expression
    return Cast(expression, output_field=CharField())


def log_transitions(
    rows: models.QuerySet, *, transition: str, target: str, at, by=None, payload=None
) -> list:
    """The django-fsm-log rows a transition of each object in `rows` writes (the source state
    is read from the row, so call this before the state changes)."""
    return insert_select(
        StateLog,
        rows.order_by("pk"),
        timestamp=Value(at, output_field=models.DateTimeField()),
        by=Value(getattr(by, "pk", by), output_field=models.IntegerField()),
        source_state=F("state"),
        state=Value(target),
        transition=Value(transition),
        content_type=Value(ContentType.objects.get_for_model(rows.model).pk),
        object_id=F("pk"),
        description=Value(dump_payload(payload)),
    )


def log_creations(
    rows: models.QuerySet, *, transition: str, state: str, at, by=None, description
) -> list:
    """The rows `audit.log_creation` writes, for every object in `rows`."""
    return insert_select(
        StateLog,
        rows.order_by("pk"),
        timestamp=Value(at, output_field=models.DateTimeField()),
        by=Value(getattr(by, "pk", by), output_field=models.IntegerField()),
        source_state=Value(None, output_field=CharField()),
        state=Value(state),
        transition=Value(transition),
        content_type=Value(ContentType.objects.get_for_model(rows.model).pk),
        object_id=F("pk"),
        description=description,
    )


def message_buyers(
    rows: models.QuerySet, *, ticket: str, kind: str, at, text, payload: dict
) -> list:
    """The outbox rows `outbox.message_buyer` writes, one per row of `rows`. `ticket` is the
    path from `rows`' model to the ticket ("pk" for tickets, "ticket" for complaints); `text`
    and the values of `payload` are expressions over `rows` (see `text_template`)."""
    prefix = "" if ticket == "pk" else f"{ticket}__"
    ticket_id = F("pk") if ticket == "pk" else F(f"{ticket}_id")
    return insert_select(
        BuyerMessage,
        rows.order_by("pk"),
        ticket=ticket_id,
        buyer=F(f"{prefix}buyer_id"),
        kind=Value(kind),
        text=text if hasattr(text, "resolve_expression") else Value(text),
        payload=JSONObject(
            ticket=ticket_id, order_no=F(f"{prefix}order__order_no"), **_typed(payload)
        ),
        created_at=Value(at, output_field=models.DateTimeField()),
        next_attempt_at=Value(at, output_field=models.DateTimeField()),
    )
