"""批量回复 (§14): one plan, reason, ship-by date and note for many tickets at once.

Each ticket is judged by `ticket_reply` itself (scope, state, deadline, reason/plan fit, the
ship-by cap of its own order's category), so no rule of the single reply is written twice.
Each reply runs in its own transaction (a savepoint when the caller holds one, as an
idempotent API request does), so one refusal never blocks or undoes the others."""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from .exceptions import DomainError
from .models import Ticket
from .services import ticket_reply

MAX_BATCH = 200


@dataclass(frozen=True)
class BatchItem:
    """One ticket's answer: replied (with the state it went to) or refused (with the code the
    single reply's API would give and its sentence)."""

    ticket: int
    ok: bool
    state: str | None = None
    code: str | None = None
    detail: str | None = None
    reply: Ticket | None = None  # the replied ticket, for pages that show its order

    def as_dict(self) -> dict:
        data = {"ticket": self.ticket, "ok": self.ok}
        if self.ok:
            data["state"] = self.state
        else:
            data.update(code=self.code, detail=self.detail)
        return data


@dataclass
class BatchResult:
    items: list[BatchItem] = field(default_factory=list)

    @property
    def replied(self) -> int:
        return sum(1 for item in self.items if item.ok)

    @property
    def refused(self) -> int:
        return len(self.items) - self.replied

    def as_dict(self) -> dict:
        return {
            "replied": self.replied,
            "refused": self.refused,
            "results": [item.as_dict() for item in self.items],
        }


def ticket_batch_reply(
    *,
    ticket_ids: list[int],
    actor,
    plan: str,
    reason: str,
    ship_by: dt.date | None = None,
    note: str = "",
    at=None,
) -> BatchResult:
    """§14 批量回复: `ticket_reply` for each of `ticket_ids` (1 to MAX_BATCH distinct ids, checked
    by the interfaces), in the given order, all at the same instant. A ticket outside the
    actor's scope is refused as `not_found`, like a missing one."""
    if not 1 <= len(ticket_ids) <= MAX_BATCH or len(set(ticket_ids)) != len(ticket_ids):
        raise ValueError(f"a batch is 1 to {MAX_BATCH} distinct ticket ids")
    at = at or timezone.now()
    result = BatchResult()
    for ticket_id in ticket_ids:
        try:
            # Its own savepoint, even where ticket_reply would skip one (config.transactions).
            with transaction.atomic():
                ticket = ticket_reply(
                    ticket_id=ticket_id,
                    actor=actor,
                    plan=plan,
                    reason=reason,
                    ship_by=ship_by,
                    note=note,
                    at=at,
                )
        except DomainError as error:
            result.items.append(
                BatchItem(
                    ticket=ticket_id,
                    ok=False,
                    code=error.code,
                    detail=str(error.message),
                )
            )
        else:
            result.items.append(
                BatchItem(ticket=ticket_id, ok=True, state=ticket.state, reply=ticket)
            )
    return result
