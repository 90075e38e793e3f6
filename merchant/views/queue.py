"""The ticket and complaint lists as work queues (§14): the rows a set of filters shows, in
the list's order. The list page, its CSV export and "all that match the filters" of the batch
reply read the same function, so they can never disagree."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from tickets import selectors
from tickets.models import PLATFORM_TZ, ReplyReason

from ..forms import ComplaintFilterForm, TicketFilterForm
from .common import PAGE_SIZE


@dataclass
class Queue:
    form: object
    rows: QuerySet
    sort: str
    page_size: int


def without_page(params) -> str:
    """The list's query string without its page: for the export link and the batch reply's
    "all that match the filters", which take every page."""
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


def _created_between(qs, field: str, filters: dict):
    """Created from one day to another, both included, as days of Asia/Shanghai."""
    if filters.get("created_from"):
        start = dt.datetime.combine(filters["created_from"], dt.time.min, tzinfo=PLATFORM_TZ)
        qs = qs.filter(**{f"{field}__gte": start})
    if filters.get("created_to"):
        end = dt.datetime.combine(
            filters["created_to"] + dt.timedelta(days=1), dt.time.min, tzinfo=PLATFORM_TZ
        )
        qs = qs.filter(**{f"{field}__lt": end})
    return qs


def ticket_queue(request, params, *, now=None) -> Queue:
    """The current shop's tickets that `params` (a query dict) select, in the list's order."""
    now = now or timezone.now()
    form = TicketFilterForm(params or None, reasons=list(ReplyReason.objects.all()))
    filters = form.filters()
    qs = selectors.tickets_visible_to(request.user).filter(shop=request.shop)
    if filters.get("q"):
        qs = qs.filter(order__order_no__icontains=filters["q"].strip())
    if filters.get("buyer"):
        qs = qs.filter(buyer__username=filters["buyer"].strip())
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("plan"):
        qs = qs.filter(reply_plan=filters["plan"])
    if filters.get("reason"):
        qs = qs.filter(reply_reason__code=filters["reason"])
    qs = _created_between(qs, "created_at", filters)
    # Overdue is the merchant's lateness (reply, promised date), never a buyer's silence.
    if filters.get("overdue") == "1":
        qs = selectors.merchant_overdue(qs, at=now)
    elif filters.get("overdue") == "0":
        qs = selectors.merchant_on_time(qs, at=now)
    if filters.get("due_within"):
        qs = selectors.due_within(qs, hours=filters["due_within"], at=now)
    sort = filters.get("sort") or "deadline"
    if sort in ("-created", "created"):
        desc = "-" if sort == "-created" else ""
        qs = selectors.with_current_deadline(qs).order_by(f"{desc}created_at", f"{desc}id")
    else:
        qs = selectors.ordered_by_deadline(qs, sort)
    return Queue(form, qs, sort, filters.get("per_page") or PAGE_SIZE)


def complaint_queue(request, params) -> Queue:
    """The current shop's complaints that `params` select, newest first, each with its
    liability (points and compensation) joined."""
    form = ComplaintFilterForm(params or None)
    filters = form.filters()
    qs = (
        selectors.complaints_visible_to(request.user)
        .filter(ticket__shop=request.shop)
        .select_related("filed_by", "liability", "liability__compensation")
    )
    if filters.get("q"):
        qs = qs.filter(ticket__order__order_no__icontains=filters["q"].strip())
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("kind"):
        qs = qs.filter(kind=filters["kind"])
    qs = _created_between(qs, "filed_at", filters)
    return Queue(
        form, qs.order_by("-filed_at", "-id"), "-filed", filters.get("per_page") or PAGE_SIZE
    )
