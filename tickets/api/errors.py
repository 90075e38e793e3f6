"""The API's error contract (§11), in one place: the domain's exceptions and DRF's own become

- 400 `{"field": ["message"]}` for bad input,
- 401/403/404/405/413/422/429 `{"code": "...", "detail": "..."}` (429 with `Retry-After`),
- 409 `{"code": "invalid_transition" | "deadline_passed" | "conflict", "detail": "..."}`.

Set as REST_FRAMEWORK["EXCEPTION_HANDLER"]."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, TransitionNotAllowed
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from complaints.evidence import EvidenceTooLarge
from tickets import exceptions as domain

from .throttling import throttle_unauthenticated

logger = logging.getLogger(__name__)

CONFLICT_CODES = ("invalid_transition", "deadline_passed", "conflict")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The upload is too large.")
    default_code = "too_large"


def _error(code: str, detail: str, http_status: int) -> Response:
    set_rollback()
    return Response({"code": code, "detail": str(detail)}, status=http_status)


def api_exception_handler(exc, context):
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        # 401s count against the caller's address (tickets/api/throttling.py): 429 past it.
        exc = throttle_unauthenticated(context.get("request"), context.get("view")) or exc
    if isinstance(exc, EvidenceTooLarge):
        return _error("too_large", exc.message, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, domain.ValidationError):
        set_rollback()
        return Response(
            {exc.field or "non_field_errors": [str(exc.message)]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, domain.NotFound):
        return _error("not_found", exc.message, status.HTTP_404_NOT_FOUND)
    if isinstance(exc, domain.Forbidden):
        return _error("forbidden", exc.message, status.HTTP_403_FORBIDDEN)
    if isinstance(exc, domain.DomainError):
        code = exc.code if exc.code in CONFLICT_CODES else "conflict"
        return _error(code, exc.message, status.HTTP_409_CONFLICT)
    # Safety nets: the services check states and lock rows first, so these mean that another
    # request changed the row between our read and our write.
    if isinstance(exc, TransitionNotAllowed):
        return _error(
            "invalid_transition",
            _("The ticket's state does not allow this action."),
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, ConcurrentTransition | IntegrityError):
        logger.info("conflicting write refused: %s", exc)
        return _error(
            "conflict",
            _("Another request changed this object at the same time; read it again."),
            status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):
        return _error("too_large", _("The request body is too large."), 413)

    if isinstance(exc, Http404):
        # get_object_or_404 names the model ("No Ticket matches..."): answer plainly.
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(response.data, dict) and set(response.data) == {"detail"}:
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = codes if isinstance(codes, str) else "error"
        response.data = {"code": code, "detail": str(response.data["detail"])}
    elif isinstance(response.data, list):  # a serializer-level error raised as a list
        response.data = {"non_field_errors": response.data}
    return response
