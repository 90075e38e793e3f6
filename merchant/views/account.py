"""Login, logout and the shop switcher."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .common import merchant_required, set_current_shop


class LoginView(auth_views.LoginView):
    template_name = "merchant/login.html"
    redirect_authenticated_user = True


LogoutView = auth_views.LogoutView  # POST only (Django 5); back to the login page


@require_POST
@merchant_required
def switch_shop(request):
    """Remember the chosen shop in the session; only one of the user's own shops."""
    try:
        shop_id = int(request.POST.get("shop", ""))
    except ValueError:
        raise Http404 from None
    shop = next((s for s in request.shops if s.pk == shop_id), None)
    if shop is None:
        raise Http404
    set_current_shop(request, shop)
    messages.info(request, _("Now working in %(shop)s.") % {"shop": shop.name})
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "merchant:dashboard"
    # A detail page of the previous shop would now be out of place: go to its list instead.
    if "/tickets/" in target or "/complaints/" in target:
        target = "merchant:tickets" if "/tickets/" in target else "merchant:complaints"
    return redirect(target)
