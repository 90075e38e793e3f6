"""OpenAPI documentation of the error contract: every operation lists the errors it can give,
with the same bodies that tickets.api.errors produces."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser

from idempotency.api import HEADER as IDEMPOTENCY_HEADER

from .errors import CONFLICT_CODES


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("A stable machine-readable code."))
    detail = serializers.CharField(help_text=_("A sentence for people, in the caller's language."))


class ConflictErrorSerializer(serializers.Serializer):
    code = serializers.ChoiceField(
        choices=CONFLICT_CODES,
        help_text=_(
            "invalid_transition: the state does not allow the action; deadline_passed: its "
            "deadline has passed (even if no sweep ran yet); conflict: another actor got there "
            "first."
        ),
    )
    detail = serializers.CharField()


FIELD_ERRORS = {
    "type": "object",
    "description": "Field errors: each key is a field (or non_field_errors), each value a list "
    "of messages.",
    "additionalProperties": {},
}


def _error(description, code, detail, serializer=ErrorSerializer):
    return OpenApiResponse(
        serializer,
        description=description,
        examples=[OpenApiExample(code, value={"code": code, "detail": detail})],
    )


BAD_REQUEST = OpenApiResponse(
    FIELD_ERRORS,
    description="Bad input.",
    examples=[
        OpenApiExample(
            "field errors", value={"ship_by": ["The ship-by date cannot be in the past."]}
        )
    ],
)
UNAUTHENTICATED = _error(
    "Not authenticated: send `Authorization: Token <key>`.",
    "not_authenticated",
    "Authentication credentials were not provided.",
)
FORBIDDEN = _error(
    "The caller's role may not use this endpoint (e.g. the order system outside /orders/, a "
    "buyer replying as a merchant).",
    "permission_denied",
    "You do not have permission to perform this action.",
)
NOT_FOUND = _error(
    "Missing, or outside the caller's scope (another shop's or buyer's object looks missing).",
    "not_found",
    "No such ticket.",
)
CONFLICT = OpenApiResponse(
    ConflictErrorSerializer,
    description="The state forbids the action, its deadline passed, or another actor got there "
    "first.",
    examples=[
        OpenApiExample(
            "invalid_transition",
            value={"code": "invalid_transition", "detail": "Cannot reply: the ticket is Agreed."},
        ),
        OpenApiExample(
            "deadline_passed",
            value={
                "code": "deadline_passed",
                "detail": "The reply deadline passed at 2026-05-09 10:00.",
            },
        ),
        OpenApiExample(
            "conflict",
            value={"code": "conflict", "detail": "Another action got there first."},
        ),
    ],
)
TOO_LARGE = _error(
    "An evidence file is larger than 5 MiB.", "too_large", "proof.png is larger than 5 MiB."
)
THROTTLED = _error(
    "Past the caller's request rate (per token; per address without valid credentials). "
    "The `Retry-After` header gives the seconds to wait.",
    "throttled",
    "Request was throttled. Expected available in 42 seconds.",
)
KEY_REUSED = _error(
    "The Idempotency-Key was already used with a different request.",
    "idempotency_key_reused",
    "This Idempotency-Key was already used with a different request; use a new key.",
)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[!-~]{1,255}$",
    description=(
        "Any unique string (1–255 visible ASCII characters, e.g. a UUID). Repeating the request "
        "with the same key within 24 hours returns the first successful response (with header "
        "`Idempotent-Replayed: true`) and changes nothing more. Reusing a key with a different "
        "request is a 422. A failed request keeps no key and may be retried with it."
    ),
)


class ApiAutoSchema(AutoSchema):
    """Adds the error responses of the contract to every operation."""

    def _error_responses(self):
        errors = {"400": BAD_REQUEST, "401": UNAUTHENTICATED, "403": FORBIDDEN, "404": NOT_FOUND}
        errors["429"] = THROTTLED
        if self.method in ("POST", "PUT", "PATCH"):
            errors["409"] = CONFLICT
        if self.method == "POST":
            errors["422"] = KEY_REUSED
        if any(isinstance(p, MultiPartParser) for p in self.view.get_parsers()):
            errors["413"] = TOO_LARGE
        return errors

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in self._error_responses().items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code, direction=direction)
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if self.method == "POST":
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters
