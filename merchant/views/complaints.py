"""Complaints of the merchant's shops (§7), with the appeal while its window is open, and the
evidence files, served only to those who may see the ticket."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from complaints.models import Evidence
from complaints.services import complaint_appeal
from tickets import roles, selectors

from ..forms import AppealForm
from .common import (
    appealable,
    merchant_required,
    set_current_shop,
    shop_ids,
    submit,
)
from .queue import complaint_queue, without_page


def _scoped_complaints(request):
    return selectors.complaints_visible_to(request.user).filter(
        ticket__shop_id__in=shop_ids(request)
    )


@merchant_required
def complaint_list(request):
    now = timezone.now()
    queue = complaint_queue(request, request.GET)
    page = Paginator(queue.rows, queue.page_size).get_page(request.GET.get("page"))
    for complaint in page:
        complaint.can_appeal = appealable(complaint, now)
        complaint.liability_row = getattr(complaint, "liability", None)
    return render(
        request,
        "merchant/complaint_list.html",
        {
            "form": queue.form,
            "page": page,
            "now": now,
            "nav": "complaints",
            "filters": without_page(request.GET),
        },
    )


def _render_detail(request, complaint, form, status=200):
    now = timezone.now()
    return render(
        request,
        "merchant/complaint_detail.html",
        {
            "complaint": complaint,
            "ticket": complaint.ticket,
            "evidence": complaint.evidence.all(),
            "liability": getattr(complaint, "liability", None),
            "can_appeal": appealable(complaint, now),
            "form": form,
            "now": now,
            "nav": "complaints",
        },
        status=status,
    )


def _complaint_or_404(request, pk):
    complaint = get_object_or_404(_scoped_complaints(request), pk=pk)
    if complaint.ticket.shop_id != request.shop.pk:
        set_current_shop(request, complaint.ticket.shop)
    return complaint


@merchant_required
@require_GET
def complaint_detail(request, pk):
    complaint = _complaint_or_404(request, pk)
    return _render_detail(request, complaint, AppealForm())


@merchant_required
@require_POST
def complaint_appeal_view(request, pk):
    complaint = _complaint_or_404(request, pk)
    form = AppealForm(request.POST)
    if form.is_valid():
        done = submit(
            request,
            form,
            lambda: complaint_appeal(
                complaint_id=complaint.pk, actor=request.user, note=form.cleaned_data["note"]
            ),
            done=_("Appeal sent; a reviewer will decide it."),
            back=redirect("merchant:complaint", pk=complaint.pk),
        )
        if done:
            return done
    return _render_detail(request, complaint, form, status=400)


@login_required
@require_GET
def evidence_file(request, pk):
    """An evidence file, to merchant staff of its shop and to platform reviewers and
    operations (the admin links here for previews). Anyone else: 404."""
    evidence = get_object_or_404(Evidence.objects.select_related("ticket"), pk=pk)
    user = request.user
    if not (roles.is_platform_staff(user) or roles.is_merchant_of(user, evidence.ticket.shop_id)):
        raise Http404
    try:
        handle = evidence.file.open("rb")
    except (FileNotFoundError, ValueError):
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=evidence.content_type,
        # Images open in the browser; a PDF is downloaded and opened outside the site.
        as_attachment=not evidence.is_image,
        filename=evidence.original_name,
    )
    # Uploaded content: never kept by shared caches, the viewer re-checked on every load, and
    # never run as a page.
    response["Cache-Control"] = "private, no-cache"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["X-Content-Type-Options"] = "nosniff"
    return response
