"""The ticket side of the REST API (§11). Thin: a serializer validates, a service acts, the
selectors' scoped querysets read. Errors are mapped once, in tickets.api.errors."""

from types import SimpleNamespace

from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.defaults import page_not_found
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from idempotency.api import idempotent

from .. import roles, services
from ..exceptions import NotFound as DomainNotFound
from ..models import BuyerMessage, Order, ReplyReason, Shop
from ..selectors import (
    handling_time_by_day,
    shop_metrics,
    tickets_visible_to,
    with_current_deadline,
)
from .filters import BuyerMessageFilter, TicketFilter
from .parsers import FormParser, JSONParser, MultiPartParser
from .permissions import IsNotOrderSystem, IsOrderSystem, Pagination
from .schema import ApiAutoSchema
from .serializers import (
    BuyerMessageSerializer,
    BuyerResponseSerializer,
    BuyerTicketDetailSerializer,
    MetricsQuerySerializer,
    OrderEventSerializer,
    OrderSerializer,
    OrderUpsertSerializer,
    ReasonSerializer,
    ReplySerializer,
    SecondHandlingSerializer,
    ShopMetricsSerializer,
    ShopSerializer,
    TicketDetailSerializer,
    TicketSerializer,
    UrgeSerializer,
)


def validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApiMixin:
    """What every endpoint shares: the documented error contract, pagination (50, at most 200
    with ?page_size=), and no entry for the order system's account outside /orders/."""

    schema = ApiAutoSchema()
    pagination_class = Pagination
    permission_classes = [IsAuthenticated, IsNotOrderSystem]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        # `?since=` or `?shop=` is not a value of the documented type (a date-time, an integer):
        # a 400, not silently "no filter". Leave a parameter out to leave it unset.
        empty = sorted({key for key, values in request.query_params.lists() if "" in values})
        if empty:
            message = _("Give this parameter a value, or leave it out.")
            raise exceptions.ValidationError({key: [message] for key in empty})


# -- the order system ----------------------------------------------------------------------

ORDER_NO = OpenApiParameter(
    "order_no",
    str,
    OpenApiParameter.PATH,
    pattern=r"^[A-Za-z0-9_-]{1,64}$",
    description=_("The order system's order number: 1 to 64 letters, digits, '-' or '_'."),
)


@extend_schema(tags=["orders"], parameters=[ORDER_NO])
class OrderView(ApiMixin, generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsOrderSystem]
    serializer_class = OrderSerializer
    queryset = Order.objects.select_related("shop", "buyer")

    def get_object(self):
        """The order of the URL's number. DRF's metadata (OPTIONS) calls this too; its default
        looks for a `pk` in the URL and fails on an assertion (a 500)."""
        order = self.get_queryset().filter(order_no=self.kwargs["order_no"]).first()
        if order is None:
            raise exceptions.NotFound(_("No such order."))
        return order

    @extend_schema(summary="Read an order", responses=OrderSerializer)
    def get(self, request, order_no):
        return Response(OrderSerializer(self.get_object()).data)

    @extend_schema(
        summary="Create or update an order (order system)",
        description=_(
            "Upsert the mirror of an order. `shop` is the shop's code, `buyer` the buyer's "
            "username (created on first sight), `amount` a decimal string in yuan. An order "
            "never moves to another shop or buyer. 201 when created, 200 when updated."
        ),
        request=OrderUpsertSerializer,
        responses={201: OrderSerializer, 200: OrderSerializer},
        examples=[
            OpenApiExample(
                "paid order",
                request_only=True,
                value={
                    "shop": "taobao-demo-1",
                    "buyer": "buyer1",
                    "amount": "129.90",
                    "is_fresh": False,
                    "paid_at": "2026-05-08T09:30:00+08:00",
                },
            )
        ],
    )
    def put(self, request, order_no):
        data = validated(OrderUpsertSerializer, request.data)
        order, created = services.order_upsert(
            order_no=order_no,
            shop_code=data["shop"],
            buyer_username=data["buyer"],
            amount=data["amount"],
            is_fresh=data["is_fresh"],
            paid_at=data["paid_at"],
        )
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(OrderSerializer(order).data, status=code)


@extend_schema(tags=["orders"], parameters=[ORDER_NO])
class OrderEventView(ApiMixin, generics.GenericAPIView):
    permission_classes = [IsAuthenticated, IsOrderSystem]
    serializer_class = OrderEventSerializer

    @extend_schema(
        summary="Report that an order shipped or was refunded (order system)",
        description=_(
            "Completes the order's open ticket; during platform review the settlement is "
            "recorded and the ticket completes when its complaint is finished. Repeating an "
            "event already recorded changes nothing."
        ),
        request=OrderEventSerializer,
        responses={200: OrderSerializer},
        examples=[
            OpenApiExample(
                "shipped",
                request_only=True,
                value={"type": "shipped", "at": "2026-05-10T15:00:00+08:00"},
            )
        ],
    )
    @idempotent
    def post(self, request, order_no):
        data = validated(OrderEventSerializer, request.data)
        order = services.order_settle(
            order_no=order_no, settlement=data["type"], at=data["at"], actor=request.user
        )
        order = Order.objects.select_related("shop", "buyer").get(pk=order.pk)
        return Response(OrderSerializer(order).data)


# -- tickets -------------------------------------------------------------------------------

TICKET_EXAMPLE = OpenApiExample(
    "reply ship later",
    request_only=True,
    value={"plan": "ship_later", "reason": "stock_shortage", "ship_by": "2026-05-15", "note": ""},
)


@extend_schema_view(
    list=extend_schema(
        summary="List tickets in the caller's scope",
        description=_(
            "Buyers: their own tickets; merchant staff: their shops'; reviewers and "
            "operations: all. Filters: state (repeatable), shop (id), shop_code, order_no, "
            "reply_plan, created_after/created_before, overdue. Ordering: created_at, "
            "reply_due_at, deadline, id (prefix - for descending)."
        ),
    ),
    retrieve=extend_schema(
        summary="A ticket with its order, reason, complaints, allowed actions and timeline",
        description=_(
            "The shop's staff and the platform get the whole ticket (notes, who acted). Its "
            "buyer gets the buyer's projection (§17): states, times, plan, the reason's buyer "
            "text, ship-by date, deadlines, their own response; each step's actor as buyer, "
            "merchant, platform or system; no note, evidence or liability."
        ),
        responses=PolymorphicProxySerializer(
            component_name="TicketDetailForCaller",
            serializers=[TicketDetailSerializer, BuyerTicketDetailSerializer],
            resource_type_field_name=None,
        ),
    ),
)
@extend_schema(tags=["tickets"])
class TicketViewSet(
    ApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    filterset_class = TicketFilter
    ordering_fields = ["created_at", "reply_due_at", "deadline", "id"]
    ordering = ["-created_at", "-id"]
    lookup_value_regex = "[0-9]+"
    queryset = tickets_visible_to(None)  # for the schema; get_queryset scopes per caller

    def get_queryset(self):
        qs = with_current_deadline(tickets_visible_to(self.request.user))
        if self.action == "retrieve":
            qs = qs.prefetch_related("complaints")
        return qs

    def get_serializer_class(self):
        return TicketSerializer if self.action == "list" else TicketDetailSerializer

    def retrieve(self, request, *args, **kwargs):
        ticket = self.get_object()
        internals = roles.sees_ticket_internals(request.user, ticket.shop_id)
        serializer_class = TicketDetailSerializer if internals else BuyerTicketDetailSerializer
        return Response(serializer_class(ticket, context=self.get_serializer_context()).data)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _result(self, ticket, *, code=status.HTTP_200_OK) -> Response:
        """What an action answers: the ticket as lists show it (state, plan, deadlines), from
        the instance the service returns (its order, shop and buyer already joined), so the
        write path reads nothing again. The timeline and complaints are in GET /tickets/{id}/."""
        serializer = TicketSerializer(ticket, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    def _ticket_for_action(self) -> SimpleNamespace:
        """The scope check of an action: 404 out of scope, before anything else is looked at.
        Only the two ids the role checks need: the service reads and locks the row itself."""
        row = (
            tickets_visible_to(self.request.user)
            .filter(pk=self.kwargs["pk"])
            .values("pk", "shop_id", "buyer_id")
            .first()
        )
        if row is None:
            raise exceptions.NotFound(_("No such ticket."))
        return SimpleNamespace(**row)

    def _require_merchant(self, ticket, message):
        if not roles.is_merchant_of(self.request.user, ticket.shop_id):
            raise exceptions.PermissionDenied(message)

    def _as_merchant(self, serializer_class, message, act, data=None):
        """Validate `data` (default: the body) with `serializer_class` and call `act(**fields)`,
        a service acting as the caller. The service refuses anyone not staffing the ticket's
        shop as if there were no ticket; only then (or before a field error) is the scope
        looked up, so that a caller who may see the ticket (its buyer, a reviewer) gets 403
        with `message`, everyone else 404, and the common path costs no statement of its own."""
        serializer = serializer_class(data=self.request.data if data is None else data)
        if not serializer.is_valid():
            self._require_merchant(self._ticket_for_action(), message)
            raise exceptions.ValidationError(serializer.errors)
        try:
            return act(**serializer.validated_data)
        except DomainNotFound:
            self._require_merchant(self._ticket_for_action(), message)
            raise

    @extend_schema(
        summary="Urge shipment (buyer)",
        description=_(
            "催发货 on the caller's own paid, unshipped, unrefunded order. 201 with a new "
            "ticket, or 200 with the order's open ticket (urging twice opens nothing new)."
        ),
        request=UrgeSerializer,
        responses={201: TicketSerializer, 200: TicketSerializer},
        examples=[OpenApiExample("urge", request_only=True, value={"order_no": "TB20260508001"})],
    )
    @idempotent
    def create(self, request):
        data = validated(UrgeSerializer, request.data)
        ticket, created = services.ticket_urge(buyer=request.user, order_no=data["order_no"])
        return self._result(ticket, code=201 if created else 200)

    @extend_schema(
        summary="Reply with a plan (merchant)",
        description=_(
            "Before reply_due_at. ship_later → awaiting_buyer (the buyer has 24 h); "
            "exchange_agreed → agreed; cannot_ship → platform_review with a complaint. The "
            "reason must allow the plan; ship_by is at most 30 days ahead (15 for fresh)."
        ),
        request=ReplySerializer,
        responses=TicketSerializer,
        examples=[TICKET_EXAMPLE],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reply(self, request, pk=None):
        ticket = self._as_merchant(
            ReplySerializer,
            _("Only staff of the ticket's shop can reply."),
            lambda **data: services.ticket_reply(ticket_id=pk, actor=request.user, **data),
        )
        return self._result(ticket)

    @extend_schema(
        summary="Accept or reject a ship-later plan (buyer)",
        description=_(
            "Before buyer_due_at; silence counts as acceptance. A rejection files a "
            "plan_rejected complaint and the ticket goes to platform review."
        ),
        request=BuyerResponseSerializer,
        responses=TicketSerializer,
        examples=[OpenApiExample("accept", request_only=True, value={"accept": True})],
    )
    @action(detail=True, methods=["post"], url_path="buyer-response")
    @idempotent
    def buyer_response(self, request, pk=None):
        ticket = self._ticket_for_action()
        if ticket.buyer_id != request.user.pk:
            raise exceptions.PermissionDenied(_("Only the ticket's buyer can answer the plan."))
        data = validated(BuyerResponseSerializer, request.data)
        ticket = services.ticket_buyer_respond(
            ticket_id=ticket.pk, buyer=request.user, accept=data["accept"]
        )
        return self._result(ticket)

    @extend_schema(
        summary="Second handling: compensate or claim buyer fault (merchant)",
        description=_(
            "二次处理, once per ticket, in awaiting_buyer or agreed before the promised date, "
            "where the shop has the feature and the ticket was replied after it opened. "
            "compensate: a stock-out compensation, no complaint. buyer_fault: a note and 1–5 "
            "evidence files (JPEG/PNG/PDF by content, ≤ 5 MiB each; larger is a 413); the "
            "ticket goes to platform review."
        ),
        request={"multipart/form-data": SecondHandlingSerializer},
        responses=TicketSerializer,
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="second-handling",
        parser_classes=[MultiPartParser, FormParser, JSONParser],
    )
    @idempotent
    def second_handling(self, request, pk=None):
        data = request.data
        if hasattr(data, "getlist"):  # multipart: `evidence` repeated, or `evidence[]`
            data = {k: data[k] for k in ("plan", "note") if k in data} | {
                "evidence": data.getlist("evidence") + data.getlist("evidence[]")
            }
        ticket = self._as_merchant(
            SecondHandlingSerializer,
            _("Only staff of the ticket's shop can handle it."),
            lambda **fields: services.ticket_second_handling(
                ticket_id=pk, actor=request.user, **fields
            ),
            data=data,
        )
        return self._result(ticket)


# -- catalogue, messages, shops -----------------------------------------------------------


@extend_schema(tags=["reasons"], summary="The active reply-reason catalogue")
class ReasonListView(ApiMixin, generics.ListAPIView):
    # §11: "anyone authenticated", the order system's account included.
    permission_classes = [IsAuthenticated]
    serializer_class = ReasonSerializer
    queryset = ReplyReason.objects.active()
    filterset_fields = ["side"]
    ordering_fields = ["sort_order", "code"]
    ordering = ["sort_order", "code"]


@extend_schema(
    tags=["messages"],
    summary="The caller's buyer messages (newest first)",
    description=_("Every buyer-visible event of the caller's tickets, as the buyer app shows it."),
)
class MessageListView(ApiMixin, generics.ListAPIView):
    serializer_class = BuyerMessageSerializer
    filterset_class = BuyerMessageFilter
    ordering_fields = ["created_at", "id"]
    ordering = ["-created_at", "-id"]
    queryset = BuyerMessage.objects.none()

    def get_queryset(self):
        return BuyerMessage.objects.filter(buyer_id=self.request.user.pk)


def shops_visible_to(user):
    if roles.is_platform_staff(user):
        return Shop.objects.all()
    return Shop.objects.filter(pk__in=roles.shop_ids(user))


@extend_schema(
    tags=["shops"],
    summary="The shops the caller staffs (all of them for reviewers and operations)",
)
class ShopListView(ApiMixin, generics.ListAPIView):
    serializer_class = ShopSerializer
    filterset_fields = ["platform", "code"]
    ordering_fields = ["code", "id"]
    ordering = ["code"]
    queryset = Shop.objects.none()

    def get_queryset(self):
        return shops_visible_to(self.request.user)


@extend_schema(
    tags=["shops"],
    summary="Handling-time figures of a shop (§9)",
    description=_(
        "Over tickets created in [since, until) (default: the last 30 days): count, mean, "
        "median and 90th percentile handling seconds, timeouts, complaints, upheld and upheld "
        "rate, and the figures by day. For the shop's staff and platform staff."
    ),
    parameters=[MetricsQuerySerializer],
    responses=ShopMetricsSerializer,
)
class ShopMetricsView(ApiMixin, generics.GenericAPIView):
    serializer_class = ShopMetricsSerializer
    queryset = Shop.objects.none()

    def get(self, request, pk):
        shop = shops_visible_to(request.user).filter(pk=pk).first()
        if shop is None:
            raise exceptions.NotFound(_("No such shop."))
        window = validated(MetricsQuerySerializer, request.query_params)
        figures = shop_metrics(shop_id=shop.pk, since=window["since"], until=window.get("until"))
        figures["by_day"] = handling_time_by_day(
            shop_id=shop.pk, since=window["since"], until=window.get("until")
        )
        figures.update(shop=shop.code, shop_id=shop.pk)
        return Response(ShopMetricsSerializer(figures).data)


def not_found(request, exception=None):
    """handler404: JSON under /api/ (clients parse every answer), Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"code": "not_found", "detail": str(_("Not found."))},
            status=404,
            json_dumps_params={"ensure_ascii": False},
        )
    return page_not_found(request, exception)
