"""The audit trail: every transition writes a django-fsm-log `StateLog` row with the actor
(`by`, empty for the system) and a JSON payload (`description`).

`audited` records the row as the transition runs; the service saves the object after.
`audited_save` does both at once for the hot path (the API's reply): the fields the transition
changed and the audit row in one statement, guarded by the transition's source state."""

import functools
import json
from contextlib import contextmanager, suppress

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connections
from django.utils import timezone
from django_fsm import ConcurrentTransition, FSMFieldMixin
from django_fsm_log.backends import BaseBackend
from django_fsm_log.helpers import FSMLogDescriptor
from django_fsm_log.models import StateLog

SYSTEM = None  # the actor of automatic transitions (sweeps)


def dump_payload(payload: dict | None) -> str:
    return json.dumps(payload or {}, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)


def load_payload(description: str | None) -> dict:
    if not description:
        return {}
    try:
        value = json.loads(description)
    except ValueError:
        return {"note": description}
    return value if isinstance(value, dict) else {"value": value}


@contextmanager
def audited(instance, *, actor, payload: dict | None = None, at=None):
    """Run one transition of `instance` so that django-fsm-log records who, what and when
    (`at`: the instant the service acted, which is now unless the caller says otherwise)."""
    with (
        FSMLogDescriptor(instance, "by", actor),
        FSMLogDescriptor(instance, "description", dump_payload(payload)),
        FSMLogDescriptor(instance, "timestamp", at or timezone.now()),
    ):
        yield


class AuditBackend(BaseBackend):
    """django-fsm-log's storage backend (DJANGO_FSM_LOG_STORAGE_METHOD), as its SimpleBackend,
    plus the service's own instant as the row's timestamp."""

    @staticmethod
    def setup_model(model):
        pass

    @staticmethod
    def pre_transition_callback(sender, **kwargs):
        pass

    @staticmethod
    def post_transition_callback(sender, instance, name, source, target, **kwargs):
        if target is None:
            return
        values = {}
        for attribute in ("by", "description", "timestamp"):
            with suppress(AttributeError):
                values[attribute] = FSMLogDescriptor(instance, attribute).get()
        row = StateLog(
            source_state=source, state=target, transition=name, content_object=instance, **values
        )
        if DEFERRED in instance.__dict__:  # `audited_save` writes it with the object's fields
            instance.__dict__[DEFERRED] = row
        else:
            row.save(force_insert=True)


DEFERRED = "_audit_row_deferred"


@contextmanager
def audited_save(instance, *, actor, payload: dict | None = None, at=None, using="default"):
    """`audited`, then the save: only the fields the transition changed (and `auto_now` ones),
    `WHERE pk = … AND state = <source state>`, and its audit row, written by one statement on
    PostgreSQL (`WITH moved AS (UPDATE … RETURNING pk) INSERT … SELECT … FROM moved`), two
    elsewhere. The audit row exists only if the guarded update happened; if another
    transaction moved the object first, `ConcurrentTransition` (as django-fsm's mixin raises)."""
    fields = [f for f in instance._meta.concrete_fields if not f.primary_key]
    before = {f.attname: getattr(instance, f.attname) for f in fields}
    instance.__dict__[DEFERRED] = None
    try:
        with audited(instance, actor=actor, payload=payload, at=at):
            yield
        row = instance.__dict__[DEFERRED]
    finally:
        instance.__dict__.pop(DEFERRED, None)
    if row is None:  # no transition ran (or it had no target): nothing to save
        return
    guards = [f for f in fields if isinstance(f, FSMFieldMixin)]
    changed = [
        f
        for f in fields
        if f in guards
        or getattr(f, "auto_now", False)
        or getattr(instance, f.attname) != before[f.attname]
    ]
    connection = connections[using]
    values = [f.get_db_prep_save(f.pre_save(instance, add=False), connection) for f in changed]
    values += [instance.pk, *(before[f.attname] for f in guards)]
    sql = _statement(
        type(instance), tuple(f.attname for f in changed), tuple(f.attname for f in guards), using
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the update and the audit row, one statement
            log_fields = [f for f in StateLog._meta.concrete_fields if not f.primary_key]
            values += [
                f.get_db_prep_save(f.pre_save(row, add=True), connection) for f in log_fields
            ]
            cursor.execute(sql, values)
            written = cursor.fetchone()
            if written is not None:
                row.pk, row._state.adding, row._state.db = written[0], False, using
        else:
            cursor.execute(sql, values)
            written = cursor.rowcount == 1 or None
            if written:
                row.save(force_insert=True, using=using)
    if written is None:
        raise ConcurrentTransition(
            "Cannot save object! The state has been changed since fetched from the database!"
        )
    if hasattr(instance, "_update_initial_state"):  # django-fsm's ConcurrentTransitionMixin
        instance._update_initial_state()


@functools.cache
def _statement(model, changed: tuple, guards: tuple, using: str) -> str:
    """The guarded update of `audited_save`, written once per model, set of changed fields and
    database; on PostgreSQL with the audit row's insert fed by its RETURNING."""
    connection = connections[using]
    q = connection.ops.quote_name
    meta, log = model._meta, StateLog._meta

    def column(attname):
        return q(next(f.column for f in meta.concrete_fields if f.attname == attname))

    where = " AND ".join([f"{q(meta.pk.column)} = %s", *(f"{column(g)} = %s" for g in guards)])
    update = (
        f"UPDATE {q(meta.db_table)} SET {', '.join(f'{column(a)} = %s' for a in changed)} "
        f"WHERE {where}"
    )
    if connection.vendor != "postgresql":
        return update
    log_fields = [f for f in log.concrete_fields if not f.primary_key]
    return (
        f"WITH moved AS ({update} RETURNING {q(meta.pk.column)}) "
        f"INSERT INTO {q(log.db_table)} ({', '.join(q(f.column) for f in log_fields)}) "
        f"SELECT {', '.join('%s' for _ in log_fields)} FROM moved RETURNING {q(log.pk.column)}"
    )


def log_creation(instance, *, transition: str, state: str, actor, at, payload=None) -> StateLog:
    """A row for an object's creation (urge, complaint filed), which is not an FSM transition."""
    return StateLog.objects.create(
        timestamp=at,
        by=actor,
        source_state=None,
        state=state,
        transition=transition,
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        description=dump_payload(payload),
    )
