"""What every merchant page shares: who may enter, which shop is current, how a domain
error from a service is shown, and which actions a ticket allows now."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from complaints.models import ComplaintState
from tickets.exceptions import DomainError, NotFound
from tickets.exceptions import ValidationError as DomainValidationError
from tickets.models import PLANS_WITH_DATE, Shop, Ticket, TicketState
from tickets.services import second_handling_open, second_handling_refusal

S = TicketState
SESSION_SHOP = "merchant_shop_id"
PAGE_SIZE = 25


def merchant_required(view):
    """Logged in and staff of at least one shop. Sets `request.shops` (the user's shops) and
    `request.shop` (the current one, remembered in the session)."""

    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        shops = list(Shop.objects.filter(memberships__user=request.user).order_by("code"))
        if not shops:
            return render(request, "merchant/no_shop.html", status=403)
        by_id = {shop.pk: shop for shop in shops}
        current = by_id.get(request.session.get(SESSION_SHOP)) or shops[0]
        request.shops, request.shop = shops, current
        return view(request, *args, **kwargs)

    return wrapper


def set_current_shop(request, shop):
    request.session[SESSION_SHOP] = shop.pk
    request.shop = shop


def shop_ids(request) -> list[int]:
    return [shop.pk for shop in request.shops]


def form_error_from(form, error: DomainError):
    """A service's refusal on a field becomes that field's error; anything else the form's.
    Every refusal the service found at once is shown."""
    for each in error.all():
        field = each.field if each.field in form.fields else None
        form.add_error(field, each.message)


def submit(request, form, act, *, done: str, back):
    """Run `act()`, the service a valid form asks for, and say how it went: done, a message
    `done` and `back` (a redirect); refused on a field, the form's error and None (show the
    form again); refused by the state or a deadline (nothing to fix in the form), that
    sentence and `back`; not this merchant's object, 404."""
    try:
        act()
    except NotFound:
        raise Http404 from None
    except DomainValidationError as error:
        form_error_from(form, error)
        return None
    except DomainError as error:
        messages.error(request, error.message)
        return back
    messages.success(request, done)
    return back


def ticket_actions(ticket: Ticket, now) -> dict:
    """The actions the ticket allows now, for links and buttons. The services check again;
    this only decides what to offer and, where nothing is offered, why."""
    can_reply = ticket.reply_open(now)
    refusal = second_handling_refusal(ticket)
    second_handling_reason = refusal[1] if refusal else None
    can_second = second_handling_open(ticket, now)
    if refusal is None and not can_second:
        second_handling_reason = _("The promised ship date has passed.")
    # On the ticket page, the absence is explained only where second handling could apply.
    explain = not can_second and ticket.state in (S.AWAITING_BUYER, S.AGREED)
    return {
        "reply": can_reply,
        "reply_overdue": ticket.state == S.AWAITING_REPLY and not can_reply,
        # Past the promised ship date: the merchant is late; the sweep files soon.
        "ship_overdue": ticket.state == S.AGREED and ticket.merchant_overdue(now),
        # Past the buyer's window: the buyer's silence, deemed acceptance (the sweep, soon).
        "buyer_window_over": ticket.buyer_window_over(now),
        "second_handling": can_second,
        "second_handling_reason": None if can_second else second_handling_reason,
        "explain_second_handling": explain,
    }


def appealable(complaint, now) -> bool:
    return complaint.state == ComplaintState.UPHELD and complaint.appeal_window_open(now)


def has_ship_by(plan: str) -> bool:
    return plan in PLANS_WITH_DATE
