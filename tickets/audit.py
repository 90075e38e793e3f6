"""The audit trail: every transition writes a django-fsm-log `StateLog` row with the actor
(`by`, empty for the system) and a JSON payload (`description`)."""

import json
from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
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
def audited(instance, *, actor, payload: dict | None = None):
    """Run one transition of `instance` so that django-fsm-log records who and what."""
    with (
        FSMLogDescriptor(instance, "by", actor),
        FSMLogDescriptor(instance, "description", dump_payload(payload)),
    ):
        yield


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
