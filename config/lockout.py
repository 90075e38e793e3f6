"""The answer to a locked-out login (§17), for django-axes (AXES_LOCKOUT_CALLABLE): the login
page the user was on (the merchant's or the admin's), status 429, its form saying until when
this username is refused from this address, in the user's language."""

import math

from axes.conf import settings as axes_settings
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import ngettext


def locked_until(request, credentials=None):
    """When the lockout of this request's username and address ends: the cool-off after the
    latest counted failure (attempts made while locked out are not counted)."""
    handler = AxesProxyHandler.get_implementation()
    latest = None
    for attempts in handler.get_user_attempts(request, credentials):
        at = attempts.aggregate(at=Max("attempt_time"))["at"]
        if at is not None and (latest is None or at > latest):
            latest = at
    return (latest or timezone.now()) + get_cool_off(request)


def lockout_message(request, credentials=None) -> str:
    until = locked_until(request, credentials)
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return ngettext(
        "Too many failed attempts to log in as this user from your address. "
        "Try again at %(time)s (in %(minutes)d minute).",
        "Too many failed attempts to log in as this user from your address. "
        "Try again at %(time)s (in %(minutes)d minutes).",
        minutes,
    ) % {"time": time_format(timezone.localtime(until), "H:i"), "minutes": minutes}


def lockout_response(request, original_response=None, credentials=None):
    message = lockout_message(request, credentials)
    status = axes_settings.AXES_HTTP_RESPONSE_CODE
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if not isinstance(original_response, TemplateResponse) or form is None:
        return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    # The same page again, with the lockout as the form's only error: authenticate() reported
    # the refusal as a failure, which the form took for a wrong password.
    form.errors.clear()
    form.add_error(None, ValidationError(message, code="locked_out"))
    response = TemplateResponse(
        request,
        original_response.template_name,
        context,
        status=status,
        using=original_response.using,
    )
    return response.render()
