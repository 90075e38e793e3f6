"""Complaints over the REST API (§11): scoped list and detail, and the merchant's appeal."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from idempotency.api import idempotent
from tickets import roles
from tickets.api.permissions import Pagination
from tickets.api.views import ApiMixin, validated
from tickets.selectors import complaints_visible_to

from .. import services
from ..models import Compensation
from .filters import ComplaintFilter
from .serializers import AppealSerializer, ComplaintDetailSerializer, ComplaintSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List complaints in the caller's scope",
        description=_(
            "Merchant staff: their shops' complaints; reviewers and operations: all; buyers: "
            "none. Filters: state, kind (repeatable), shop, shop_code, ticket, "
            "filed_after/filed_before, overdue. Ordering: filed_at, review_due_at, id."
        ),
    ),
    retrieve=extend_schema(summary="A complaint with its evidence, liability and compensation"),
)
@extend_schema(tags=["complaints"])
class ComplaintViewSet(
    ApiMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    filterset_class = ComplaintFilter
    ordering_fields = ["filed_at", "review_due_at", "id"]
    ordering = ["-filed_at", "-id"]
    lookup_value_regex = "[0-9]+"
    pagination_class = Pagination
    queryset = complaints_visible_to(None)

    def get_queryset(self):
        qs = complaints_visible_to(self.request.user)
        if self.action != "list":
            qs = qs.select_related("liability").prefetch_related(
                "evidence",
                Prefetch("compensations", queryset=Compensation.objects.order_by("created_at")),
            )
        return qs

    def get_serializer_class(self):
        return ComplaintSerializer if self.action == "list" else ComplaintDetailSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        summary="Appeal an upheld complaint (merchant)",
        description=_(
            "申诉, within 30 days of the decision, by staff of the ticket's shop. Only an "
            "upheld complaint can be appealed (409 invalid_transition otherwise; 409 "
            "deadline_passed after the window)."
        ),
        request=AppealSerializer,
        responses=ComplaintDetailSerializer,
        examples=[
            OpenApiExample(
                "appeal",
                request_only=True,
                value={"note": "The carrier's scan shows the parcel left on time."},
            )
        ],
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def appeal(self, request, pk=None):
        complaint = self.get_object()
        if not roles.is_merchant_of(request.user, complaint.ticket.shop_id):
            raise exceptions.PermissionDenied(_("Only staff of the ticket's shop can appeal."))
        data = validated(AppealSerializer, request.data)
        services.complaint_appeal(complaint_id=complaint.pk, actor=request.user, note=data["note"])
        complaint = self.get_queryset().get(pk=complaint.pk)
        return Response(
            ComplaintDetailSerializer(complaint, context=self.get_serializer_context()).data
        )
