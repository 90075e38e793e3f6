"""批量回复 on the ticket list (§14): the ticked tickets, or all awaiting a reply that match the
list's filters (up to 200), get one plan, reason, date and note; the page then lists each
ticket, replied or refused with the reason. `ticket_batch_reply` judges every ticket by the
single reply's rules."""

import datetime as dt

from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from tickets import selectors
from tickets.batch_reply import MAX_BATCH, ticket_batch_reply
from tickets.models import TicketState, platform_today

from ..forms import BatchReplyForm
from .common import merchant_required, shop_ids
from .queue import ticket_queue


def _matching_ids(request, filters: str, now) -> tuple[list[int], int]:
    """The first MAX_BATCH tickets awaiting a reply that the list's filters show, in the list's
    order, and how many match in all."""
    rows = ticket_queue(request, QueryDict(filters), now=now).rows.filter(
        state=TicketState.AWAITING_REPLY
    )
    ids = list(rows.values_list("pk", flat=True)[: MAX_BATCH + 1])
    total = len(ids) if len(ids) <= MAX_BATCH else rows.count()
    return ids[:MAX_BATCH], total


@merchant_required
@require_POST
def ticket_batch_reply_view(request):
    now = timezone.now()
    today = platform_today(now)
    form = BatchReplyForm(
        request.POST, today=today, latest=today + dt.timedelta(days=30), auto_id="batch_%s"
    )
    context = {"form": form, "nav": "tickets", "batch_max": MAX_BATCH, "now": now}
    if not form.is_valid():
        return render(request, "merchant/batch_reply.html", context, status=400)
    data = form.cleaned_data
    if data["all_matching"]:
        ids, matched = _matching_ids(request, data["filters"], now)
    else:
        ids, matched = data["tickets"], len(data["tickets"])
    if not ids:
        form.add_error(None, BatchReplyForm.nothing_matched)
        return render(request, "merchant/batch_reply.html", context, status=400)
    result = ticket_batch_reply(
        ticket_ids=ids,
        actor=request.user,
        plan=data["plan"],
        reason=data["reason"].code,
        ship_by=data["ship_by"],
        note=data["note"],
        at=now,
    )
    # Order numbers of the tickets the merchant may see; any other id stays a bare number.
    orders = dict(
        selectors.tickets_visible_to(request.user)
        .filter(shop_id__in=shop_ids(request), pk__in=ids)
        .values_list("pk", "order__order_no")
    )
    rows = [(item, orders.get(item.ticket)) for item in result.items]
    context.update(result=result, rows=rows, matched=matched, left_out=max(0, matched - len(ids)))
    return render(request, "merchant/batch_reply.html", context)
