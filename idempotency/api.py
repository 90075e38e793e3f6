"""`@idempotent` for DRF view methods: with an `Idempotency-Key` header, the first successful
response is stored and replayed to the same caller; nothing runs a second time."""

import functools
import hashlib
import json
import re

from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from config.transactions import whole

from .services import KeyInProgress, KeyReused, idempotency_claim, idempotency_store

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


def idempotent(handler):
    """Wrap a view method (post or an @action). The key row is claimed inside the same
    transaction as the work, so two concurrent requests with one key never both act."""

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
        with whole():  # rolled back on any failure: the services inside skip savepoints
            try:
                row, is_new = idempotency_claim(
                    user=request.user,
                    key=key,
                    fingerprint=fingerprint,
                    method=request.method,
                    path=request.get_full_path(),
                )
            except KeyReused:
                raise IdempotencyKeyReused() from None
            except KeyInProgress:
                raise IdempotencyKeyInProgress() from None
            if not is_new:
                return Response(
                    row.response_body, status=row.status_code, headers={REPLAYED_HEADER: "true"}
                )
            response = handler(view, request, *args, **kwargs)
            if status.is_success(response.status_code):
                body = json.loads(JSONRenderer().render(response.data) or b"null")
                idempotency_store(row=row, status_code=response.status_code, body=body)
            else:
                # Nothing was done: give the key back so that the caller may retry with it.
                row.delete()
            return response

    return wrapper
