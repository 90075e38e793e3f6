"""§11: no input, however malformed, gives a 500. PostgreSQL refuses NUL in text ("A string
literal cannot contain NUL (0x00) characters", a DataError), so a NUL that reached a query would
be a 500 on any page that looks a value up. This refuses it at the door, the same way on the API,
the merchant pages and the admin:

- in the path (`/api/v1/orders/A%00B/`): 404, there is no such resource;
- in a query parameter or a urlencoded form field: 400, naming the parameter or field;
- in a cookie (`sessionid="…\\000"`, which Python's cookie parser unquotes to NUL): the cookie
  is dropped, as if it had not been sent (a stray cookie must not lock anyone out).

JSON bodies are checked by the API's JSON parser (`tickets.api.parsers`), which sees the decoded
strings. Multipart fields go to forms and serializers, whose text fields refuse NUL
(Django's and DRF's `ProhibitNullCharactersValidator`); Django strips it from file names."""

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, TooManyFieldsSent
from django.http import Http404, JsonResponse, QueryDict
from django.urls import get_resolver, get_urlconf
from django.utils.translation import gettext as _

NUL = "\x00"
API_PREFIX = "/api/"
FORM = "application/x-www-form-urlencoded"


def _first_with_nul(items) -> str | None:
    """The first key whose name or value holds NUL, in (key, [values]) pairs."""
    for key, values in items:
        if NUL in key or any(NUL in value for value in values):
            return key.replace(NUL, "\\x00")
    return None


def _form_body(request) -> QueryDict | None:
    """The urlencoded body of any method (Django parses only POST's), or None when there is
    none or it cannot be read here (too large, too many fields: the view answers that itself,
    as it would without this check)."""
    if request.content_type != FORM:
        return None
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if length <= 0 or (limit is not None and length > limit):
        return None
    try:
        return QueryDict(request.body, encoding="utf-8")
    except (RequestDataTooBig, TooManyFieldsSent):
        return None


class RefuseNulMiddleware:
    """Answers 404 for NUL in the path and 400 for NUL in a query parameter or a urlencoded
    form field, and drops cookies holding NUL, before any view or session lookup runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path_info or NUL in request.path:
            raise Http404(_("Not found."))
        dropped = [k for k, v in request.COOKIES.items() if NUL in k or NUL in v]
        for name in dropped:
            del request.COOKIES[name]
        if settings.SESSION_COOKIE_NAME in dropped and hasattr(request, "session"):
            # SessionMiddleware (before this one, so that pages answer in the user's language)
            # already took the key: start over with no session, as for a missing cookie.
            request.session = request.session.__class__()
        where = self._nul_field(request)
        if where is not None:
            return self._bad_request(request, where)
        return self.get_response(request)

    @staticmethod
    def _nul_field(request) -> str | None:
        try:
            query = request.GET
        except TooManyFieldsSent:
            return None  # the view refuses that itself
        field = _first_with_nul(query.lists())
        if field is not None:
            return field
        body = _form_body(request)
        return _first_with_nul(body.lists()) if body is not None else None

    @staticmethod
    def _bad_request(request, field: str):
        message = _("Null characters are not allowed.")
        if request.path_info.startswith(API_PREFIX):
            # The API's 400: field errors, as a serializer's (§11).
            return JsonResponse(
                {field: [message]}, status=400, json_dumps_params={"ensure_ascii": False}
            )
        handler = get_resolver(get_urlconf()).resolve_error_handler(400)
        return handler(request, BadRequest(f"{field}: {message}"))
