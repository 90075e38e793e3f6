"""The merchant's webhook page (§15): the current shop's subscriptions (add, with the secret
shown once; delete; ping; resume when paused) and each one's delivery log with redelivery.
Thin: forms validate, `services` act, `selectors` read."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from merchant.views.common import PAGE_SIZE, merchant_required, submit
from tickets.exceptions import DomainError, NotFound

from . import selectors, services
from .forms import SubscriptionForm
from .models import MAX_SUBSCRIPTIONS, EventType, Subscription
from .outbox import PAUSE_AFTER_DEAD

SESSION_SECRET = "webhook_secret_once"  # (subscription id, secret) until the next page view


def _list(request):
    return redirect("webhooks:list")


@merchant_required
def webhook_list(request):
    shop = request.shop
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        created = []

        def act():
            created.append(
                services.subscription_create(
                    actor=request.user,
                    shop_id=shop.pk,
                    url=form.cleaned_data["url"],
                    events=form.cleaned_data["events"],
                )
            )

        back = submit(request, form, act, done=_("Webhook added."), back=_list(request))
        if back is not None:
            if created:
                request.session[SESSION_SECRET] = [created[0].pk, created[0].secret]
            return back
    subscriptions = list(selectors.subscriptions_of(shop.pk))
    once = request.session.pop(SESSION_SECRET, None)
    for subscription in subscriptions:
        subscription.labels = [EventType(t).label for t in subscription.event_types]
        subscription.new_secret = once[1] if once and once[0] == subscription.pk else None
    return render(
        request,
        "webhooks/list.html",
        {
            "nav": "webhooks",
            "form": form,
            "subscriptions": subscriptions,
            "can_add": len(subscriptions) < MAX_SUBSCRIPTIONS,
            "max": MAX_SUBSCRIPTIONS,
            "pause_after": PAUSE_AFTER_DEAD,
        },
    )


def _act(request, act, done):
    try:
        act()
    except NotFound:
        raise Http404 from None
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)


def _subscription_action(service, done, *, then="webhooks:list"):
    """A POST that runs `service` on one of the current shop's subscriptions, says how it
    went and goes to `then` (the list, or the subscription's delivery log)."""

    @require_POST
    @merchant_required
    def view(request, pk):
        _act(
            request,
            lambda: service(actor=request.user, shop_id=request.shop.pk, subscription_id=pk),
            done,
        )
        return redirect(then, **({"pk": pk} if then == "webhooks:deliveries" else {}))

    return view


webhook_delete = _subscription_action(
    services.subscription_delete, gettext_lazy("Webhook deleted.")
)
webhook_ping = _subscription_action(
    services.subscription_ping,
    gettext_lazy("Ping sent; it shows in the delivery log."),
    then="webhooks:deliveries",
)
webhook_resume = _subscription_action(
    services.subscription_resume, gettext_lazy("Webhook resumed.")
)


def _subscription(request, pk) -> Subscription:
    subscription = selectors.subscriptions_of(request.shop.pk).filter(pk=pk).first()
    if subscription is None:
        raise Http404
    return subscription


@merchant_required
def webhook_deliveries(request, pk):
    subscription = _subscription(request, pk)
    page = Paginator(selectors.deliveries_of(subscription), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for row in page:
        row.type_label = EventType(row.event.type).label
    return render(
        request,
        "webhooks/deliveries.html",
        {
            "nav": "webhooks",
            "subscription": subscription,
            "page": page,
            "pause_after": PAUSE_AFTER_DEAD,
        },
    )


@require_POST
@merchant_required
def delivery_redeliver(request, pk, delivery_id):
    _act(
        request,
        lambda: services.delivery_redeliver(
            actor=request.user,
            shop_id=request.shop.pk,
            subscription_id=pk,
            delivery_id=delivery_id,
        ),
        _("The event will be sent again."),
    )
    return redirect(reverse("webhooks:deliveries", kwargs={"pk": pk}))
