"""`@idempotent` for DRF view methods: with an `Idempotency-Key` header, the first successful
response is stored and replayed to the same caller; nothing is done a second time."""

import functools
import hashlib
import json
import re

from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, transaction
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.transactions import whole

from .services import idempotency_answer, idempotency_record

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as header values allow


class IdempotencyKeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _(
        "This Idempotency-Key was already used with a different request; use a new key for a "
        "new request."
    )
    default_code = "idempotency_key_reused"


class IdempotencyKeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still in progress; retry later.")
    default_code = "conflict"


def _file_digest(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return f"file:{upload.name}:{upload.size}:{digest.hexdigest()}"


def request_fingerprint(request) -> str:
    """sha256 of the method, the full path and the parsed body (files by their content)."""
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict: form or multipart
        body = {
            key: [_file_digest(v) if isinstance(v, UploadedFile) else v for v in values]
            for key, values in data.lists()
        }
    else:
        body = data
    text = json.dumps(
        [request.method, request.get_full_path(), body],
        cls=DjangoJSONEncoder,
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()


class _Answered(Exception):
    """The caller's key was stored by another request meanwhile: this one's work is undone."""


def _replay(earlier, fingerprint: str) -> Response:
    if earlier.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    return Response(
        earlier.response_body, status=earlier.status_code, headers={REPLAYED_HEADER: "true"}
    )


def _stored_answer(user, key):
    """The caller's stored answer under `key`, or None (also when the database cannot say:
    the request's own failure is then the answer)."""
    try:
        return idempotency_answer(user=user, key=key)
    except DatabaseError:
        return None


def idempotent(handler):
    """Wrap a view method (post or an @action). The request acts inside one transaction that
    ends by storing the key with the answer (`idempotency_record`, one statement): a request
    whose key is already stored rolls its own work back and replays the stored answer (or is
    refused, 422, when it is another request). A refusal stores nothing: the caller may retry
    with the same key. Two concurrent requests with one key never both keep their work: the
    second waits on the first's key (or on the rows it locked) and then replays its answer."""

    @functools.wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not KEY_PATTERN.match(key):
            raise exceptions.ValidationError(
                {HEADER: [_("An Idempotency-Key is 1 to 255 visible ASCII characters.")]}
            )
        fingerprint = request_fingerprint(request)
        try:
            with whole():  # rolled back on any failure: the services inside skip savepoints
                response = handler(view, request, *args, **kwargs)
                if not status.is_success(response.status_code):
                    transaction.set_rollback(True)
                elif idempotency_record(
                    user=request.user,
                    key=key,
                    fingerprint=fingerprint,
                    method=request.method,
                    path=request.get_full_path(),
                    status_code=response.status_code,
                    body=json.loads(JSONRenderer().render(response.data) or b"null"),
                ):
                    return response
                else:
                    raise _Answered
        except _Answered:
            response = None
        except Exception:
            # A repeat refused by what the first request did (the ticket moved on): its answer.
            earlier = _stored_answer(request.user, key)
            if earlier is None:
                raise
            return _replay(earlier, fingerprint)
        earlier = idempotency_answer(user=request.user, key=key)
        if earlier is not None:
            return _replay(earlier, fingerprint)
        if response is None:  # the other request's key expired meanwhile: try again
            raise IdempotencyKeyInProgress()
        return response

    return wrapper
