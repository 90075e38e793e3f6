"""Ticket pages: the list, the detail, the reply form and the second-handling form."""

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from complaints.models import Complaint
from tickets import selectors
from tickets.batch_reply import MAX_BATCH
from tickets.exceptions import ValidationError as DomainValidationError
from tickets.models import SecondPlan, platform_today
from tickets.policy import stockout_terms
from tickets.services import (
    reply_preview,
    ship_by_advice,
    ticket_reply,
    ticket_second_handling,
)

from ..forms import (
    BatchReplyForm,
    ReplyForm,
    ReplyPreviewForm,
    SecondHandlingForm,
    reason_label,
)
from .common import (
    appealable,
    merchant_required,
    set_current_shop,
    shop_ids,
    submit,
    ticket_actions,
)
from .queue import ticket_queue, without_page
from .timeline import timeline_lines


def _scoped_tickets(request):
    """The user's shops' tickets only: another shop's ticket does not exist here (404)."""
    return selectors.tickets_visible_to(request.user).filter(shop_id__in=shop_ids(request))


def _ticket_or_404(request, pk):
    ticket = get_object_or_404(_scoped_tickets(request), pk=pk)
    if ticket.shop_id != request.shop.pk:
        set_current_shop(request, ticket.shop)  # a link from another shop's page: follow it
    return ticket


@merchant_required
def ticket_list(request):
    now = timezone.now()
    queue = ticket_queue(request, request.GET, now=now)
    page = Paginator(queue.rows, queue.page_size).get_page(request.GET.get("page"))
    for ticket in page:
        ticket.overdue_now = ticket.merchant_overdue(now)
        ticket.buyer_window_ended = ticket.buyer_window_over(now)
        ticket.can_reply = ticket.reply_open(now)
    today = platform_today(now)
    return render(
        request,
        "merchant/ticket_list.html",
        {
            "form": queue.form,
            "page": page,
            "now": now,
            "nav": "tickets",
            "sort": queue.sort,
            "batch_form": BatchReplyForm(
                today=today, latest=today + dt.timedelta(days=30), auto_id="batch_%s"
            ),
            "batch_max": MAX_BATCH,
            # The list's filters, for the export link and "all that match": the same rows.
            "filters": without_page(request.GET),
        },
    )


@merchant_required
def ticket_detail(request, pk):
    now = timezone.now()
    ticket = _ticket_or_404(request, pk)
    complaints = list(
        Complaint.objects.filter(ticket=ticket)
        .prefetch_related("evidence")
        .order_by("filed_at", "id")
    )
    for complaint in complaints:
        complaint.can_appeal = appealable(complaint, now)
    return render(
        request,
        "merchant/ticket_detail.html",
        {
            "ticket": ticket,
            "now": now,
            "nav": "tickets",
            "actions": ticket_actions(ticket, now),
            "timeline": timeline_lines(selectors.ticket_timeline(ticket)),
            "buyer_messages": ticket.messages.all(),
            "complaints": complaints,
            "compensations": ticket.compensations.all(),
            "reason": reason_label(ticket.reply_reason) if ticket.reply_reason else "",
        },
    )


def _reply_bounds(ticket, now):
    today = platform_today(now)
    cap = ticket.policy.ship_later_cap(is_fresh=ticket.order.is_fresh)
    return today, cap, today + dt.timedelta(days=cap)


def _preview(ticket, data, now) -> dict:
    """The buyer's message the reply would send, from `reply_preview` (the text `ticket_reply`
    sends, built by the same function), or the refusal the reply would meet."""
    if not data.get("plan") or not data.get("reason"):
        return {"text": None, "error": None, "field": None}
    try:
        text = reply_preview(
            ticket=ticket,
            plan=data["plan"],
            reason=data["reason"],
            ship_by=data.get("ship_by"),
            at=now,
        )
    except DomainValidationError as error:
        return {"text": None, "error": error.message, "field": error.field}
    return {"text": text, "error": None, "field": None}


def _preview_data(form) -> dict:
    """What a (possibly invalid) reply form says about plan, reason and date."""
    if form.is_valid():
        data = form.cleaned_data
        return {"plan": data["plan"], "reason": data["reason"].code, "ship_by": data["ship_by"]}
    preview_form = ReplyPreviewForm(form.data)
    return preview_form.cleaned_data if preview_form.is_valid() else {}


@merchant_required
@require_http_methods(["GET", "POST"])
def ticket_reply_view(request, pk):
    now = timezone.now()
    ticket = _ticket_or_404(request, pk)
    actions = ticket_actions(ticket, now)
    if not actions["reply"] and request.method == "GET":
        if actions["reply_overdue"]:
            # The sentence the service gives when a reply comes too late.
            due = timezone.localtime(ticket.reply_due_at).strftime("%Y-%m-%d %H:%M")
            messages.warning(request, _("The reply deadline passed at %(at)s.") % {"at": due})
        else:
            messages.warning(request, _("This ticket cannot be replied to now."))
        return redirect("merchant:ticket", pk=ticket.pk)
    today, cap, latest = _reply_bounds(ticket, now)
    form = ReplyForm(request.POST or None, today=today, latest=latest)
    previewing = request.method == "POST" and "preview" in request.POST
    if request.method == "POST" and not previewing and form.is_valid():
        data = form.cleaned_data
        done = submit(
            request,
            form,
            lambda: ticket_reply(
                ticket_id=ticket.pk,
                actor=request.user,
                plan=data["plan"],
                reason=data["reason"].code,
                ship_by=data["ship_by"],
                note=data["note"],
            ),
            done=_("Reply sent to the buyer."),
            back=redirect("merchant:ticket", pk=ticket.pk),
        )
        if done:
            return done
    preview = _preview(ticket, _preview_data(form), now) if form.is_bound else None
    failed = request.method == "POST" and not previewing
    return render(
        request,
        "merchant/reply.html",
        {
            "ticket": ticket,
            "form": form,
            "nav": "tickets",
            "now": now,
            "cap": cap,
            "latest": latest,
            "advice": ship_by_advice(cap=cap, latest=latest),
            "preview": preview,
        },
        status=400 if failed else 200,
    )


@merchant_required
@require_GET
def ticket_reply_preview_view(request, pk):
    """The reply form's live preview (JSON): the same text as a server-rendered preview."""
    now = timezone.now()
    ticket = _ticket_or_404(request, pk)
    form = ReplyPreviewForm(request.GET)
    if not form.is_valid():
        field, errors = next(iter(form.errors.items()))
        return JsonResponse({"text": None, "error": errors[0], "field": field})
    return JsonResponse(_preview(ticket, form.cleaned_data, now))


@merchant_required
@require_http_methods(["GET", "POST"])
def ticket_second_handling_view(request, pk):
    now = timezone.now()
    ticket = _ticket_or_404(request, pk)
    actions = ticket_actions(ticket, now)
    terms = stockout_terms(ticket.policy, ticket.order.amount)
    form = SecondHandlingForm(request.POST or None, request.FILES or None)
    confirming = False
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        # Compensation pays money, once per ticket: the first submit asks to confirm it (a
        # page of its own, so it works without scripts). With files attached the service
        # refuses it anyway, so it is asked at once and its refusal shown.
        confirming = (
            actions["second_handling"]
            and data["plan"] == SecondPlan.COMPENSATE
            and not data["confirm"]
            and not data["evidence"]
        )
    if request.method == "POST" and form.is_valid() and not confirming:
        done = submit(
            request,
            form,
            lambda: ticket_second_handling(
                ticket_id=ticket.pk,
                actor=request.user,
                plan=data["plan"],
                note=data["note"],
                evidence=data["evidence"],
            ),
            done=_("Compensation recorded; the buyer is told.")
            if data["plan"] == SecondPlan.COMPENSATE
            else _("Claim sent to platform review with your evidence."),
            back=redirect("merchant:ticket", pk=ticket.pk),
        )
        if done:
            return done
    return render(
        request,
        "merchant/second_handling.html",
        {
            "ticket": ticket,
            "form": form,
            "nav": "tickets",
            "actions": actions,
            "terms": terms,
            "confirming": confirming,
        },
        status=400 if request.method == "POST" and not confirming else 200,
    )
