"""The product's own error pages (403, 404, 500), in the user's language: in the admin's look
(its header, its navigation) under /admin/, in the merchant pages' look elsewhere; JSON under
/api/, where clients parse every answer. Set as handler403/404/500 in config/urls.py; the
merchant pages and the admin also show them for a 404 or 403 their views raise while DEBUG is
on (`ProductErrorPagesMiddleware`)."""

import logging

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
ADMIN_PREFIX = "/admin/"
MERCHANT_PREFIX = "/merchant/"


def _titles() -> dict[int, tuple[str, str, str]]:
    return {
        403: ("permission_denied", _("Not allowed"), _("You may not open this page.")),
        404: (
            "not_found",
            _("Page not found"),
            _("There is no such page, or it is not yours to see."),
        ),
        500: (
            "server_error",
            _("Something went wrong"),
            _("The server could not finish this request. Nothing was changed; please try again."),
        ),
    }


def error_response(request, status: int) -> HttpResponse:
    code, title, text = _titles()[status]
    if request.path.startswith(API_PREFIX):
        return JsonResponse(
            {"code": code, "detail": text if status != 404 else _("Not found.")},
            status=status,
            json_dumps_params={"ensure_ascii": False},
        )
    in_admin = request.path.startswith(ADMIN_PREFIX)
    base = "admin/base_site.html" if in_admin else "merchant/base.html"
    context = {"base_template": base, "status": status, "title": title, "text": text}
    try:
        if in_admin:  # the site's header and titles, as on its own pages
            context = {**admin.site.each_context(request), **context}
        return render(request, f"{status}.html", context, status=status)
    except Exception:  # the page itself failed (a database down, say): a plain one instead
        logger.exception("the %s page could not be rendered", status)
        title, text = escape(title), escape(text)
        body = f"<!DOCTYPE html><title>{title}</title><h1>{title}</h1><p>{text}</p>"
        return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def permission_denied(request, exception=None):
    return error_response(request, 403)


def page_not_found(request, exception=None):
    return error_response(request, 404)


def server_error(request):
    return error_response(request, 500)


class ProductErrorPagesMiddleware:
    """A 404 or 403 that a merchant or admin view raises is answered with the product's own
    page (the handlers above), also with DEBUG on, where Django would show its technical page:
    staff running the demo see what merchants and reviewers see."""

    PREFIXES = (MERCHANT_PREFIX, ADMIN_PREFIX)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path_info.startswith(self.PREFIXES):
            return None
        if isinstance(exception, Http404):
            return page_not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return permission_denied(request, exception)
        return None
