"""The audit trail: every transition writes a django-fsm-log `StateLog` row with the actor
(`by`, empty for the system) and a JSON payload (`description`)."""

import json
from contextlib import contextmanager, suppress

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
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
        StateLog.objects.create(
            source_state=source, state=target, transition=name, content_object=instance, **values
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
