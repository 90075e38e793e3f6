"""The REST API under /api/ (§11): /api/v1/..., the OpenAPI schema and its docs."""

from django.http import HttpResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from complaints.api.views import ComplaintViewSet
from webhooks.api.views import urls as webhook_urls

from . import views
from .batch import BatchReplyView
from .index import ApiIndexView

app_name = "api"


class SwaggerView(SpectacularSwaggerSplitView):
    """The docs page; the split view serves Swagger UI's start-up script as a file (the
    Content-Security-Policy allows no inline script). OPTIONS is answered plainly: DRF's
    metadata answer would go through the page's HTML template renderer, which has no template
    for it (a 500)."""

    def options(self, request, *args, **kwargs):
        return HttpResponse(headers={"Allow": ", ".join(self.allowed_methods)})


router = SimpleRouter()
router.register("tickets", views.TicketViewSet, basename="ticket")
router.register("complaints", ComplaintViewSet, basename="complaint")

v1 = [
    path("", ApiIndexView.as_view(), name="index"),
    path("orders/<str:order_no>/", views.OrderView.as_view(), name="order"),
    path("orders/<str:order_no>/events/", views.OrderEventView.as_view(), name="order-events"),
    path("reasons/", views.ReasonListView.as_view(), name="reason-list"),
    path("messages/", views.MessageListView.as_view(), name="message-list"),
    path("shops/", views.ShopListView.as_view(), name="shop-list"),
    path("shops/<int:pk>/metrics/", views.ShopMetricsView.as_view(), name="shop-metrics"),
    # Before the router's routes, where "batch-reply" is no ticket id anyway.
    path("tickets/batch-reply/", BatchReplyView.as_view(), name="ticket-batch-reply"),
    *webhook_urls(),  # §15
    *router.urls,
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="api:schema"), name="docs"),
]
