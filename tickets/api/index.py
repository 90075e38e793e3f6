"""`GET /api/v1/`: where a client starts. The API's resources as absolute links (URI templates,
RFC 6570 style, where a path takes an id or an order number) and links to the OpenAPI schema
and its docs. Public and the same for every caller: it names URLs, never data; each endpoint
still checks who calls it."""

from urllib.parse import unquote

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

# (key, URL name, arguments whose values become {placeholders}). The int converter takes no
# braces, so an id (`pk`, `*_id`) is reversed as a number of its own and its segment replaced.
RESOURCES = (
    ("tickets", "api:ticket-list", {}),
    ("ticket", "api:ticket-detail", {"pk": "id"}),
    ("ticket_batch_reply", "api:ticket-batch-reply", {}),
    ("complaints", "api:complaint-list", {}),
    ("complaint", "api:complaint-detail", {"pk": "id"}),
    ("reasons", "api:reason-list", {}),
    ("messages", "api:message-list", {}),
    ("shops", "api:shop-list", {}),
    ("shop_metrics", "api:shop-metrics", {"pk": "id"}),
    ("webhooks", "api:webhook-list", {"pk": "id"}),
    ("webhook", "api:webhook-detail", {"pk": "id", "webhook_id": "webhook_id"}),
    ("webhook_deliveries", "api:webhook-deliveries", {"pk": "id", "webhook_id": "webhook_id"}),
    ("order", "api:order", {"order_no": "order_no"}),
    ("order_events", "api:order-events", {"order_no": "order_no"}),
)


def _is_id(name: str) -> bool:
    return name == "pk" or name.endswith("_id")


def uri_template(url_name: str, placeholders: dict[str, str]) -> str:
    numbers = {k: 9_000_000_001 + i for i, k in enumerate(placeholders) if _is_id(k)}
    kwargs = {k: numbers.get(k, f"{{{v}}}") for k, v in placeholders.items()}
    path = unquote(reverse(url_name, kwargs=kwargs or None))
    for name, number in numbers.items():
        if f"/{number}/" not in path:  # a route without "/<id>/" would make it wrong: say so
            raise ValueError(f"{url_name}: no /<{name}>/ segment in {path}")
        path = path.replace(f"/{number}/", f"/{{{placeholders[name]}}}/")
    return path


@extend_schema(exclude=True)  # a map of the API for people and crawlers, not an operation
class ApiIndexView(APIView):
    authentication_classes = []  # the same answer for everyone, even with a stale token
    permission_classes = [AllowAny]

    def get(self, request):
        # The scheme and host once: build_absolute_uri() would percent-encode the braces.
        origin = request.build_absolute_uri("/").rstrip("/")
        return Response(
            {
                "resources": {
                    key: origin + uri_template(name, args) for key, name, args in RESOURCES
                },
                "docs": origin + reverse("api:docs"),
                "schema": origin + reverse("api:schema"),
            }
        )
