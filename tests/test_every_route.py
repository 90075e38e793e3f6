"""§11 and docs/quality.md "malformed input": every URL pattern of the project (API, merchant
pages, admin, docs, health), found by walking Django's URL resolver, called with every method,
as every role, with its path parameters filled with rows that exist and with hostile values,
and with hostile bodies (deep JSON, NUL bytes, huge numbers, wrong types, broken encodings):
no answer is a 5xx, and OPTIONS answers 200 or 405 to a caller who may use the route.

Each request runs in a savepoint that is rolled back, so every request sees the same rows (an
admin deletion or a logout by one request does not change what the next one meets)."""

import contextlib
import itertools
import json
import re
import zlib

import pytest
from django.apps import apps
from django.contrib.admindocs.views import extract_views_from_urlpatterns, simplify_regex
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import Resolver404, get_resolver, resolve
from rest_framework.authtoken.models import Token

from complaints.models import Complaint, Evidence
from complaints.services import complaint_appeal, complaint_claim, complaint_uphold
from tests import factories
from tickets import services
from tickets.models import Ticket
from webhooks import services as webhook_services

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
WITH_BODY = ("POST", "PUT", "PATCH")
ROLES = ("anonymous", "buyer", "merchant", "reviewer", "ordersys")
PARAM = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")

# Field names of the project's forms and serializers, and a few of the admin's.
FIELDS = [
    *("order_no", "shop", "buyer", "amount", "is_fresh", "paid_at", "type", "at", "plan"),
    *("reason", "ship_by", "note", "accept", "evidence", "tickets", "username", "password"),
    *("q", "action", "_selected_action", "code", "name", "platform", "percentage", "post"),
    *("language", "next"),
]

HOSTILE_VALUES = (
    "%00",
    "A%00B",
    "99999999999999999999",
    "-1",
    "0",
    "abc",
    "%E4%B8%AD%E6%96%87",
    "x" * 300,
    "1e5",
    "%ED%A0%80",  # the UTF-8 bytes of a lone surrogate
    "..%2F..%2Fetc%2Fpasswd",
)
HOSTILE_QUERIES = (
    # past the NUL check, so that each parameter reaches the filters, forms and admin lists
    "page=0&page_size=abc&ordering=-x,&shop=1e99&ticket=-5&state=nope&created_after=2026-13-45"
    "&filed_before=x&overdue=maybe&since=1&until=2026&q=%E4%B8%AD'%22&kind=x&o=-99&e=1&p=-1"
    "&format=xml&lang=zz-%E4%B8%AD&_to_field=password&_popup=x&all=%FF&shop__id__exact=x",
    "page=&page_size=&ordering=&shop=&overdue=&since=&q=&o=&p=&format=",
    "q=%00&order_no=A%00B",
)
LONG = "9" * 400


def _json(value) -> tuple[bytes, str]:
    return json.dumps(value).encode(), "application/json"


HOSTILE_BODIES = {
    "deep json": (b"[" * 1000 + b"]" * 1000, "application/json"),
    "deep object": (b'{"a":' * 1000 + b"1" + b"}" * 1000, "application/json"),
    "nul json": _json(dict.fromkeys(FIELDS, "A\x00B")),
    "nul key": (b'{"plan\\u0000": 1, "order_no": "x"}', "application/json"),
    "surrogates": (
        ("{" + ", ".join(f'"{f}": "\\ud800"' for f in FIELDS) + "}").encode(),
        "application/json",
    ),
    "huge numbers": (
        ("{" + ", ".join(f'"{f}": {LONG if i % 2 else "1e999"}' for i, f in enumerate(FIELDS)))
        .encode()
        .rstrip()
        + b"}",
        "application/json",
    ),
    "wrong types": _json({f: [{"x": None}] if i % 2 else {"a": [1]} for i, f in enumerate(FIELDS)}),
    "not an object": _json([1, "two", None]),
    "bad json": (b'{"plan": ', "application/json"),
    "bad utf-8": (b'{"note": "\xff\xfe\xfa"}', "application/json; charset=utf-8"),
    "nul form": (
        "&".join(f"{f}=A%00B" for f in FIELDS).encode(),
        "application/x-www-form-urlencoded",
    ),
    "nul multipart": None,  # built by the client (boundary), see _request
    "plain text": (b"\x00\x01\x02 not a form", "text/plain"),
}
BODY_NAMES = tuple(HOSTILE_BODIES)


def _stable(*parts) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode())


# -- the rows the walk meets --------------------------------------------------------------


@pytest.fixture
def world(db, monkeypatch, tmp_path, merchant, shop, buyer, reviewer):
    from django.utils import timezone

    order_system = factories.UserFactory(username="ordersys-walk", groups=["order_system"])
    factories.isolate_evidence_storage(monkeypatch, tmp_path / "evidence")
    reviewer.is_staff = True
    reviewer.save(update_fields=["is_staff"])
    shop.second_handling_since = timezone.now() - timezone.timedelta(days=1)
    shop.save(update_fields=["second_handling_since"])
    for state in factories.TICKET_STATES:
        factories.ticket_in(state, shop=shop, buyer=buyer)
    claim = factories.agreed(shop=shop, buyer=buyer)
    services.ticket_second_handling(
        ticket_id=claim.pk,
        actor=merchant,
        plan="buyer_fault",
        note="the buyer asked to wait",
        evidence=[factories.upload()],
    )
    upheld = factories.replied(plan="cannot_ship", shop=shop, buyer=buyer).complaints.get()
    complaint_claim(complaint_id=upheld.pk, reviewer=reviewer)
    complaint_uphold(complaint_id=upheld.pk, reviewer=reviewer, note="late")
    complaint_appeal(complaint_id=upheld.pk, actor=merchant, note="the carrier was late")
    users = {"buyer": buyer, "merchant": merchant, "reviewer": reviewer, "ordersys": order_system}
    webhook = webhook_services.subscription_create(
        actor=merchant,
        shop_id=shop.pk,
        url="https://erp.example.com/urge",
        events=["ticket.opened"],
    )
    webhook_services.subscription_ping(actor=merchant, shop_id=shop.pk, subscription_id=webhook.pk)
    return {
        "users": users,
        "ticket": Ticket.objects.filter(shop=shop).order_by("pk").first(),
        "complaint": Complaint.objects.order_by("pk").first(),
        "evidence": Evidence.objects.get(),
        "order_no": Ticket.objects.filter(shop=shop).first().order.order_no,
        "shop": shop,
        "webhook": webhook,
        "delivery": webhook.deliveries.get(),
    }


def clients(world) -> dict[str, Client]:
    """Each role logged in both ways: a session (pages, admin) and its API token."""
    result = {"anonymous": Client()}
    for role, user in world["users"].items():
        token = Token.objects.get_or_create(user=user)[0].key
        client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        client.force_login(user)
        result[role] = client
    return result


# -- the routes ---------------------------------------------------------------------------


def routes() -> list[tuple[str, object]]:
    """(path template with <converter:name> parameters, view) for every URL pattern."""
    found = []
    for view, regex, _namespace, _name in extract_views_from_urlpatterns(
        get_resolver().url_patterns
    ):
        template = simplify_regex(regex)
        if (template, view) not in found:
            found.append((template, view))
    return found


def _admin_model(template: str):
    match = re.match(r"^/admin/(\w+)/(\w+)/", template)
    if not match:
        return None
    try:
        return apps.get_model(match[1], match[2])
    except LookupError:
        return None


def real_value(template: str, name: str, world) -> str:
    """A value naming a row that exists, for the parameter `name` of `template`."""
    if name == "order_no":
        return world["order_no"]
    if name == "app_label":
        return "tickets"
    if name == "url":
        return "no-such-page/"
    if name == "content_type_id":
        return str(ContentType.objects.get_for_model(Ticket).pk)
    if template.startswith("/admin/r/"):
        return str(world["ticket"].pk)
    if name == "webhook_id" or (name == "pk" and template.startswith("/merchant/webhooks/")):
        return str(world["webhook"].pk)
    if name == "delivery_id":
        return str(world["delivery"].pk)
    model = _admin_model(template)
    if model is not None and model._meta.managed:  # the console's model has no table
        row = model._default_manager.order_by("pk").first()
        return str(row.pk) if row is not None else "1"
    for word, key in (("complaints", "complaint"), ("evidence", "evidence"), ("shops", "shop")):
        if f"/{word}/" in template:
            return str(world[key].pk)
    return str(world["ticket"].pk)


def fill(template: str, values) -> str:
    """The template with each parameter replaced by `values(name)`."""
    return PARAM.sub(lambda m: values(m["name"]), template)


# -- one request --------------------------------------------------------------------------


class _Rollback(Exception):
    pass


def call(client, cookies, method, path, body_name=None):
    """One request in a rolled-back savepoint; the status, or the exception a 500 would be."""
    client.cookies = cookies.__class__(cookies)  # the role's own session, whatever came before
    kwargs = {}
    if method in WITH_BODY and body_name is not None:
        if body_name == "nul multipart":
            from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

            data = dict.fromkeys(FIELDS, "A\x00B") | {"evidence": factories.upload("a\x00b.png")}
            kwargs = {"data": encode_multipart(BOUNDARY, data), "content_type": MULTIPART_CONTENT}
        else:
            kwargs = dict(zip(("data", "content_type"), HOSTILE_BODIES[body_name], strict=True))
    try:
        with transaction.atomic():
            response = client.generic(method, path, **kwargs)
            raise _Rollback
    except _Rollback:
        return response.status_code
    except Exception as error:  # a 500: reported with its request
        return f"{type(error).__name__}: {str(error)[:200]}"


def owner(template: str) -> str:
    """The role that may use a route, whose OPTIONS must then answer 200 or 405."""
    if template.startswith("/admin/"):
        return "reviewer"
    if template.startswith("/api/v1/orders/"):
        return "ordersys"
    if template.startswith(("/api/v1/messages/", "/api/v1/tickets/<pk>/buyer-response/")):
        return "buyer"
    return "merchant"


# -- the walk -----------------------------------------------------------------------------
#
# The admin's 130-odd patterns are the same few generic views (changelist, add, change, delete,
# history) per model, and the admin decides on the role before the method: a caller who is not
# platform staff is sent to the login page whatever it asks, and the staff's pages branch only
# on POST. So on the admin, each pattern gets GET, POST and one more method from the reviewer,
# and one method from each other role, and hostile values and bodies in turn (each pattern its
# own, so that every value and body meets every kind of admin view across the models). Every
# other route gets every combination.


def is_admin(template: str) -> bool:
    return template.startswith("/admin/")


def in_turn(items, count: int, *key) -> list:
    """`count` of `items`, a different selection for each `key`."""
    start = _stable(*key) % len(items)
    return [items[(start + i) % len(items)] for i in range(min(count, len(items)))]


def matrix(template: str) -> list[tuple[str, str]]:
    """(role, method) pairs called on a route."""
    if not is_admin(template):
        return list(itertools.product(ROLES, METHODS))
    get_like = [m for m in METHODS if m not in ("GET", "POST")]
    pairs = [("reviewer", "GET"), ("reviewer", "POST")]
    pairs += [("reviewer", m) for m in in_turn(get_like, 1, template)]
    not_staff = [role for role in ROLES if role != "reviewer"]
    pairs += [(role, in_turn(METHODS, 1, template, role)[0]) for role in not_staff]
    return pairs


def report(failures, calls):
    assert not failures, f"{len(failures)} of {calls} calls:\n" + "\n".join(failures)


# /readyz answers 503 by design while a part is not ready (here: no beat heartbeat, §16).
READINESS_PROBE_STATUSES = {503}


def broken(status, path="") -> bool:
    if path.startswith("/readyz") and status in READINESS_PROBE_STATUSES:
        return False
    return not isinstance(status, int) or status >= 500


@pytest.fixture
def walk(world, settings):
    """Call a route as a role: the status (or the exception a 500 would be)."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    by_role = clients(world)
    cookies = {role: c.cookies.__class__(c.cookies) for role, c in by_role.items()}

    def run(role, method, path, body=None):
        return call(by_role[role], cookies[role], method, path, body)

    return run


def test_every_route_every_method_every_role_no_server_error(world, walk):
    """Rows that exist in the path; write methods carry a hostile body (each combination its
    own, in turn, so every body meets every kind of route)."""
    failures, calls = [], 0
    for template, view in routes():
        path = fill(template, lambda name, t=template: real_value(t, name, world))
        with contextlib.suppress(Resolver404):
            assert resolve(path).func == view or is_admin(template), (template, path)
        for role, method in matrix(template):
            body = in_turn(BODY_NAMES, 1, template, role, method)[0]
            status = walk(role, method, path, body)
            calls += 1
            if broken(status, path):
                failures.append(f"{role} {method} {path} [{body}] -> {status}")
            elif method == "OPTIONS" and role == owner(template) and not is_admin(template):
                # The API answers OPTIONS itself; a page may send a caller elsewhere (3xx) as
                # it does for GET. The admin answers OPTIONS as GET.
                allowed = (200, 405) if template.startswith("/api/") else (200, 302, 405)
                if status not in allowed:
                    failures.append(f"{role} OPTIONS {path} -> {status} (not {allowed})")
    report(failures, calls)


def test_every_route_with_hostile_path_values_and_queries_no_server_error(world, walk):
    failures, calls = [], 0
    for template, _view in routes():
        if PARAM.search(template):
            values = in_turn(HOSTILE_VALUES, 2, template) if is_admin(template) else HOSTILE_VALUES
            for value in values:
                path = fill(template, lambda _name, v=value: v)
                for method in ("GET", "POST", "OPTIONS"):
                    role = in_turn(ROLES, 1, template, value, method)[0]
                    status = walk(role, method, path, "nul json")
                    calls += 1
                    if broken(status, path):
                        failures.append(f"{role} {method} {path} -> {status}")
        path = fill(template, lambda name, t=template: real_value(t, name, world))
        roles = [owner(template)] if is_admin(template) else ROLES
        for role, query in itertools.product(roles, HOSTILE_QUERIES):
            status = walk(role, "GET", f"{path}?{query}")
            calls += 1
            if broken(status, path):
                failures.append(f"{role} GET {path}?{query[:20]}… -> {status}")
    report(failures, calls)


def test_every_hostile_body_on_every_route_no_server_error(world, walk):
    """Each body on each route (on the admin: two, in turn), as the role that may use it, so
    that the body reaches the code."""
    failures, calls = [], 0
    for template, _view in routes():
        path = fill(template, lambda name, t=template: real_value(t, name, world))
        role = owner(template)
        bodies = in_turn(BODY_NAMES, 2, template) if is_admin(template) else BODY_NAMES
        for body in bodies:
            methods = WITH_BODY if template.startswith("/api/") else ("POST",)
            method = in_turn(methods, 1, template, body)[0]
            status = walk(role, method, path, body)
            calls += 1
            if broken(status, path):
                failures.append(f"{role} {method} {path} [{body}] -> {status}")
    report(failures, calls)
