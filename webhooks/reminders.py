"""The `reply_reminders` sweep (§15, §16): `ticket.reply_due_soon`, once per ticket, when an
unanswered ticket comes within its policy's `reply_reminder_lead` (2 hours by default) of its
reply deadline. Set-based and in batches like the deadline sweeps: the claim reads the partial
index `ticket_reply_remind_idx` (unanswered, not reminded) over the longest lead of any policy,
the events are written by `events.emit_for`, and the tickets are marked reminded whether or not
their shop has a subscriber, so nothing is reminded twice."""

import datetime as dt
import logging

from django.db import connection, models, transaction
from django.db.models import F, Max, Value
from django.utils import timezone

from tickets.models import Policy, Ticket, TicketState

from .events import emit_for
from .models import EventType

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000


def reminders_due(at) -> models.QuerySet:
    """Unanswered tickets not reminded yet whose reminder time (deadline − lead) has come and
    whose deadline has not (past it, the reply-timeout sweep acts), annotated `remind_at`."""
    longest = Policy.objects.aggregate(lead=Max("reply_reminder_lead"))["lead"] or dt.timedelta(0)
    moment = Value(at, output_field=models.DateTimeField())
    return (
        Ticket.objects.filter(
            state=TicketState.AWAITING_REPLY,
            reply_reminded_at__isnull=True,
            reply_due_at__gt=at,
            reply_due_at__lte=at + longest,
        )
        .annotate(
            remind_at=models.ExpressionWrapper(
                F("reply_due_at") - F("policy__reply_reminder_lead"),
                output_field=models.DateTimeField(),
            )
        )
        .filter(remind_at__lte=moment)
    )


def remind_batch(*, at, batch_size: int = BATCH_SIZE) -> int:
    with transaction.atomic():
        due = reminders_due(at).order_by("reply_due_at").values_list("pk", flat=True)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True, of=("self",))
        ids = list(due[:batch_size])
        if not ids:
            return 0
        claimed = Ticket.objects.filter(pk__in=ids)
        emit_for(claimed, EventType.REPLY_DUE_SOON, at=at)
        return claimed.filter(reply_reminded_at__isnull=True).update(reply_reminded_at=at)


def sweep_reply_reminders(*, at=None, batch_size: int = BATCH_SIZE, on_batch=None) -> int:
    """Remind every ticket due at `at` (now), batch after batch. Returns how many."""
    at = at or timezone.now()
    total = 0
    while reminded := remind_batch(at=at, batch_size=batch_size):
        total += reminded
        if on_batch:
            on_batch(reminded)
    if total:
        logger.info("reply reminders: %d tickets", total)
    return total
