"""The error contract's one mapping (tickets.api.errors) and /healthz."""

import pytest
from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from complaints.evidence import EvidenceTooLarge
from tickets import exceptions as domain
from tickets.api.errors import api_exception_handler

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (domain.InvalidTransition("no"), 409, {"code": "invalid_transition", "detail": "no"}),
        (domain.DeadlinePassed("late"), 409, {"code": "deadline_passed", "detail": "late"}),
        (domain.Conflict("first"), 409, {"code": "conflict", "detail": "first"}),
        (domain.NotFound("gone"), 404, {"code": "not_found", "detail": "gone"}),
        (domain.ValidationError("bad", field="ship_by"), 400, {"ship_by": ["bad"]}),
        (domain.ValidationError("bad"), 400, {"non_field_errors": ["bad"]}),
        (EvidenceTooLarge("big", field="evidence"), 413, {"code": "too_large", "detail": "big"}),
    ],
)
def test_domain_errors_map_to_the_contract(error, status, body):
    response = api_exception_handler(error, {})
    assert (response.status_code, response.data) == (status, body)


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (TransitionNotAllowed("x"), 409, "invalid_transition"),
        (ConcurrentTransition("x"), 409, "conflict"),
        (IntegrityError("x"), 409, "conflict"),
        (RequestDataTooBig("x"), 413, "too_large"),
    ],
)
def test_races_and_oversized_bodies_are_never_a_500(error, status, code):
    response = api_exception_handler(error, {})
    assert response.status_code == status and response.data["code"] == code


def test_a_real_bug_is_left_to_django_as_a_500():
    assert api_exception_handler(ZeroDivisionError(), {}) is None


def test_healthz_answers_without_authentication(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_unknown_api_url_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get("/no-such-page/").status_code == 404


def test_unsupported_method_is_a_405_in_the_contract(as_buyer):
    response = as_buyer.delete("/api/v1/reasons/")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"


def test_malformed_json_is_a_400(as_buyer):
    response = as_buyer.post("/api/v1/tickets/", b"{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
