"""Complaints, set-based (§7, §12): filing for a whole batch of tickets at once (what
`services.complaint_file` does for one), and flagging complaints and appeals past their review
target."""

import logging

from django.db import connection, models, transaction
from django.db.models import F, Value
from django.utils import timezone

from tickets.bulk import insert_select, json_text, log_creations, message_buyers
from tickets.models import MessageKind
from tickets.outbox import KIND_TEXTS, TEXTS
from webhooks.events import EventType, emit_for

from .models import REVIEW_STATES, Complaint
from .models import ComplaintState as C

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


def file_complaints(tickets: models.QuerySet, *, kind: str, at) -> list[int]:
    """代客发起投诉 for every ticket of `tickets`, as `complaint_file` does for one: the complaint
    (review target = filed + the ticket's policy `review_target`), its `file` audit row by the
    system, the buyer's message and the shop's `complaint.filed` event (§15). Runs inside the
    sweep's transaction; the unique constraints refuse a second complaint of the kind, or a
    second open one, as for one."""
    filed = insert_select(
        Complaint,
        tickets.order_by("pk"),
        ticket=F("pk"),
        kind=Value(kind),
        filed_at=Value(at, output_field=models.DateTimeField()),
        review_due_at=models.ExpressionWrapper(
            Value(at, output_field=models.DateTimeField()) + F("policy__review_target"),
            output_field=models.DateTimeField(),
        ),
    )
    # The new rows by primary key: their statistics may not know them yet (a burst into a
    # quiet table), and a lookup by id never needs them.
    complaints = Complaint.objects.filter(pk__in=filed)
    log_creations(
        complaints,
        transition="file",
        state=C.PENDING,
        at=at,
        description=json_text({"kind": kind}, ticket=F("ticket_id")),
    )
    message_buyers(
        complaints,
        ticket="ticket",
        kind=MessageKind.COMPLAINT_FILED,
        at=at,
        text=TEXTS[MessageKind.COMPLAINT_FILED].format(kind_text=KIND_TEXTS[kind]),
        payload={"complaint": F("pk"), "complaint_kind": Value(kind)},
    )
    emit_for(complaints, EventType.COMPLAINT_FILED, at=at)
    return filed


def past_review_target(at) -> models.QuerySet:
    """Complaints and appeals waiting for a reviewer, not yet flagged, whose review target has
    passed, in the shape of the partial index `complaint_review_due_idx`."""
    return Complaint.objects.filter(
        state__in=REVIEW_STATES, review_overdue_flagged_at__isnull=True, review_due_at__lte=at
    )


def sweep_review_overdue(*, at=None, batch_size: int = BATCH_SIZE, on_batch=None) -> int:
    """§7, §18: flag open complaints past their review target (48 h from filing by the policy)
    and appeals past theirs (`appeal_review_target` from the appeal), in one pass: both wait on
    `review_due_at`. No state changes. Through the partial index `complaint_review_due_idx`,
    in batches; concurrent runs skip each other's rows. Returns how many were flagged."""
    at = at or timezone.now()
    total = 0
    while True:
        with transaction.atomic():
            due = past_review_target(at).order_by("review_due_at").values_list("pk", flat=True)
            if connection.features.has_select_for_update_skip_locked:
                due = due.select_for_update(skip_locked=True)
            ids = list(due[:batch_size])
            if not ids:
                break
            flagged = Complaint.objects.filter(
                pk__in=ids, review_overdue_flagged_at__isnull=True
            ).update(review_overdue_flagged_at=at)
        total += flagged
        if on_batch:
            on_batch(flagged)
    if total:
        logger.info("review target passed: %d complaints or appeals flagged", total)
    return total
