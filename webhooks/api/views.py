"""The webhooks API (§15): a shop's subscriptions, pings and delivery log, for the shop's staff
only (anyone else: 404, as if there were no shop). Thin: a serializer validates, a service
acts, a selector reads."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.response import Response

from idempotency.api import idempotent
from tickets.api.views import ApiMixin, validated

from .. import selectors, services
from ..models import Delivery, Subscription
from .serializers import (
    AcceptedSerializer,
    CreatedSubscriptionSerializer,
    DeliverySerializer,
    SubscriptionInputSerializer,
    SubscriptionSerializer,
)

TAGS = ["webhooks"]
NO_BODY = OpenApiTypes.OBJECT  # these actions read no input: send {} or nothing


class ShopScoped(ApiMixin):
    filter_backends = []  # no filters or ordering: the log is newest first

    def shop_id(self) -> int:
        services.require_staff(self.request.user, self.kwargs["pk"])
        return self.kwargs["pk"]

    def subscription(self):
        return services._subscription(
            self.request.user, self.kwargs["pk"], self.kwargs["webhook_id"]
        )


@extend_schema(tags=TAGS)
class NoInput(ShopScoped, generics.GenericAPIView):
    """An action that reads no input still refuses a body that is not a JSON object (malformed
    JSON, an array, a string): 400, as every endpoint refuses what its schema does not take
    (after the scope: 404 first). Nothing, or {}, is the input."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method != "POST":
            return
        try:
            refused = (
                None
                if isinstance(request.data, dict)
                else exceptions.ValidationError(
                    {"non_field_errors": [_("Send a JSON object ({}) or no body.")]}
                )
            )
        except exceptions.ParseError as malformed:
            refused = malformed
        if refused is not None:
            self.shop_id()  # out of scope: 404 before the input is looked at
            raise refused


class SubscriptionListView(ShopScoped, generics.ListAPIView):
    serializer_class = SubscriptionSerializer
    pagination_class = None  # at most 10
    queryset = Subscription.objects.none()  # for the schema; get_queryset scopes per caller

    def get_queryset(self):
        return selectors.subscriptions_of(self.shop_id())

    @extend_schema(summary="The shop's webhook subscriptions (staff of the shop)")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Subscribe a receiver to the shop's events",
        description=_(
            "At most 10 a shop (409 beyond). The answer holds the signing secret, shown this "
            "once. Events are POSTed signed: X-Urge-Signature: v1=<hex HMAC-SHA256 of "
            '"<timestamp>.<body>">, see docs/webhooks.md.'
        ),
        request=SubscriptionInputSerializer,
        responses={201: CreatedSubscriptionSerializer},
        examples=[
            OpenApiExample(
                "subscribe",
                request_only=True,
                value={"url": "https://erp.example.com/urge", "events": ["ticket.opened"]},
            )
        ],
    )
    @idempotent
    def post(self, request, pk):
        shop_id = self.shop_id()  # out of scope: 404 before the input is looked at
        data = validated(SubscriptionInputSerializer, request.data)
        subscription = services.subscription_create(
            actor=request.user, shop_id=shop_id, url=data["url"], events=data["events"]
        )
        return Response(
            CreatedSubscriptionSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


@extend_schema(tags=TAGS)
class SubscriptionDetailView(ShopScoped, generics.GenericAPIView):
    serializer_class = SubscriptionSerializer

    @extend_schema(summary="One webhook subscription (without its secret)")
    def get(self, request, pk, webhook_id):
        return Response(SubscriptionSerializer(self.subscription()).data)

    @extend_schema(
        summary="Delete a webhook subscription and its delivery log",
        responses={204: OpenApiResponse(description=_("Deleted."))},
    )
    def delete(self, request, pk, webhook_id):
        services.subscription_delete(
            actor=request.user, shop_id=self.shop_id(), subscription_id=webhook_id
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=TAGS)
class SubscriptionPingView(NoInput):
    serializer_class = AcceptedSerializer

    @extend_schema(
        summary="Send a ping event to this subscription",
        request=NO_BODY,
        responses={202: AcceptedSerializer},
    )
    @idempotent
    def post(self, request, pk, webhook_id):
        event = services.subscription_ping(
            actor=request.user, shop_id=self.shop_id(), subscription_id=webhook_id
        )
        return Response({"event_id": event.pk}, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=TAGS)
class SubscriptionResumeView(NoInput):
    serializer_class = SubscriptionSerializer

    @extend_schema(summary="Resume a paused subscription", request=NO_BODY)
    @idempotent
    def post(self, request, pk, webhook_id):
        subscription = services.subscription_resume(
            actor=request.user, shop_id=self.shop_id(), subscription_id=webhook_id
        )
        return Response(SubscriptionSerializer(subscription).data)


@extend_schema(tags=TAGS)
class DeliveryListView(ShopScoped, generics.ListAPIView):
    serializer_class = DeliverySerializer
    queryset = Delivery.objects.none()  # for the schema

    def get_queryset(self):
        return selectors.deliveries_of(self.subscription())

    @extend_schema(summary="The subscription's delivery log, newest first")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


@extend_schema(tags=TAGS)
class RedeliverView(NoInput):
    serializer_class = DeliverySerializer

    @extend_schema(
        summary="Send a delivered or dead delivery again",
        description=_(
            "The same event (same id) becomes pending, due now, with a fresh 24-hour horizon. "
            "409 while it is still being tried."
        ),
        request=NO_BODY,
        responses={202: DeliverySerializer},
    )
    @idempotent
    def post(self, request, pk, webhook_id, delivery_id):
        services.delivery_redeliver(
            actor=request.user,
            shop_id=self.shop_id(),
            subscription_id=webhook_id,
            delivery_id=delivery_id,
        )
        row = selectors.deliveries_of(self.subscription()).get(pk=delivery_id)
        return Response(DeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)


def urls():
    from django.urls import path

    base = "shops/<int:pk>/webhooks/"
    one = f"{base}<int:webhook_id>/"
    return [
        path(base, SubscriptionListView.as_view(), name="webhook-list"),
        path(one, SubscriptionDetailView.as_view(), name="webhook-detail"),
        path(f"{one}ping/", SubscriptionPingView.as_view(), name="webhook-ping"),
        path(f"{one}resume/", SubscriptionResumeView.as_view(), name="webhook-resume"),
        path(f"{one}deliveries/", DeliveryListView.as_view(), name="webhook-deliveries"),
        path(
            f"{one}deliveries/<int:delivery_id>/redeliver/",
            RedeliverView.as_view(),
            name="webhook-redeliver",
        ),
    ]
