"""CSV export of the ticket and complaint lists (§14): exactly the rows the list shows with the
same filters (the same `queue` functions), every page of them, streamed in constant memory.
UTF-8 with a BOM so that Excel opens Chinese correctly; headers and labels in the page's
language; of the buyer only what the merchant's pages show (the username)."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from complaints.models import ComplaintKind, ComplaintState
from tickets.models import PLATFORM_TZ, Plan, ReplyReason, TicketState

from .common import merchant_required
from .queue import complaint_queue, ticket_queue

BOM = "\ufeff"
CHUNK = 2000  # rows fetched at a time from a server-side cursor


class _Echo:
    """A file-like object whose write() hands the line back, for csv.writer."""

    def write(self, value):
        return value


def _local(value) -> str:
    return timezone.localtime(value, PLATFORM_TZ).strftime("%Y-%m-%d %H:%M") if value else ""


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())

    def lines():
        yield BOM + writer.writerow(header)
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _filename(request, what: str) -> str:
    day = timezone.localtime(timezone.now(), PLATFORM_TZ).strftime("%Y%m%d")
    return f"{what}-{request.shop.code}-{day}.csv"


@merchant_required
@require_GET
def ticket_export(request):
    queue = ticket_queue(request, request.GET)
    # Labels are read now, in the request's language: the rows are written after the view
    # has returned.
    states = {value: str(label) for value, label in TicketState.choices}
    plans = {value: str(label) for value, label in Plan.choices}
    reasons = {r.pk: r.display_label for r in ReplyReason.objects.all()}
    yes, no = _("yes"), _("no")
    header = [
        _("Ticket"),
        _("Order"),
        _("Buyer"),
        _("State"),
        _("Plan"),
        _("Reason"),
        _("Ship by"),
        _("Urged at"),
        _("Current deadline"),
        _("Reply due"),
        _("Buyer answer due"),
        _("Amount"),
        _("fresh"),
    ]
    fields = (
        "pk",
        "order__order_no",
        "buyer__username",
        "state",
        "reply_plan",
        "reply_reason_id",
        "ship_by",
        "created_at",
        "deadline",
        "reply_due_at",
        "buyer_due_at",
        "order__amount",
        "order__is_fresh",
    )
    rows = (
        [
            pk,
            order_no,
            buyer,
            states.get(state, state),
            plans.get(plan, ""),
            reasons.get(reason_id, ""),
            ship_by.isoformat() if ship_by else "",
            _local(created_at),
            _local(deadline),
            _local(reply_due_at) if state == TicketState.AWAITING_REPLY else "",
            _local(buyer_due_at),
            f"{amount:.2f}",
            yes if fresh else no,
        ]
        for (
            pk,
            order_no,
            buyer,
            state,
            plan,
            reason_id,
            ship_by,
            created_at,
            deadline,
            reply_due_at,
            buyer_due_at,
            amount,
            fresh,
        ) in queue.rows.values_list(*fields).iterator(chunk_size=CHUNK)
    )
    return csv_response(_filename(request, "tickets"), header, rows)


@merchant_required
@require_GET
def complaint_export(request):
    queue = complaint_queue(request, request.GET)
    states = {value: str(label) for value, label in ComplaintState.choices}
    kinds = {value: str(label) for value, label in ComplaintKind.choices}
    own_claim, platform = _("Your shop (buyer-fault claim)"), _("Platform, for the buyer")
    reversed_word = _("reversed")
    header = [
        _("Complaint"),
        _("Order"),
        _("Kind"),
        _("State"),
        _("Filed by"),
        _("Filed at"),
        _("Penalty points"),
        _("Compensation (¥)"),
        _("Liability"),
        _("Appeal due"),
    ]
    fields = (
        "pk",
        "ticket__order__order_no",
        "kind",
        "state",
        "filed_by__username",
        "filed_at",
        "liability__points",
        "liability__compensation__amount",
        "liability__reversed_at",
        "appeal_due_at",
    )
    rows = (
        [
            pk,
            order_no,
            kinds.get(kind, kind),
            states.get(state, state),
            own_claim if kind == ComplaintKind.BUYER_FAULT_CLAIM else (filed_by or platform),
            _local(filed_at),
            "" if points is None else points,
            "" if amount is None else f"{amount:.2f}",
            reversed_word if reversed_at else "",
            _local(appeal_due_at),
        ]
        for (
            pk,
            order_no,
            kind,
            state,
            filed_by,
            filed_at,
            points,
            amount,
            reversed_at,
            appeal_due_at,
        ) in queue.rows.values_list(*fields).iterator(chunk_size=CHUNK)
    )
    return csv_response(_filename(request, "complaints"), header, rows)
