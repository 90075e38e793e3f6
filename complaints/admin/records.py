"""Evidence, compensation and liability records (read-only), the latter two exportable as CSV."""

import csv

from django.contrib import admin
from django.http import StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tickets.admin.display import ReadOnlyAdmin, admin_link, local
from tickets.models import PLATFORM_TZ
from tickets.paging import CappedCountPaginator

from ..models import Compensation, Evidence, Liability
from .display import evidence_url


def stream_csv(name: str, columns: list, objects) -> StreamingHttpResponse:
    """`objects` as a CSV download, streamed row by row (`columns`: header, getter), in the
    reader's language (headers and labels), with a UTF-8 byte-order mark so that spreadsheet
    programs read the Chinese right."""

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    language = translation.get_language()
    headers = [str(header) for header, _getter in columns]

    def rows():
        # The body is written after the view returns: in the language the request asked for.
        with translation.override(language):
            yield "\ufeff"
            yield writer.writerow(headers)
            for obj in objects:
                yield writer.writerow([getter(obj) for _header, getter in columns])

    stamp = timezone.localtime(timezone.now(), PLATFORM_TZ).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response


class CsvExportMixin:
    """An admin action streaming the selected rows as CSV (`csv_columns`: header, getter)."""

    csv_columns: list = []
    csv_name = "export"

    @admin.action(description=gettext_lazy("Export selected as CSV"))
    def export_csv(self, request, queryset):
        return stream_csv(self.csv_name, self.csv_columns, queryset.iterator(chunk_size=2000))


# -- evidence, compensation and liability records (read-only) -----------------------------


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "preview", "content_type", "size", "ticket_link", "uploaded")
    list_select_related = ("ticket__order",)
    search_fields = ("=ticket__order__order_no", "original_name")
    list_filter = ("content_type",)
    fields = (
        "preview",
        "original_name",
        "content_type",
        "size",
        "sha256",
        "ticket",
        "complaint",
        "uploaded_by",
        "uploaded_at",
    )
    readonly_fields = fields

    @admin.display(description=gettext_lazy("preview"))
    def preview(self, obj):
        url = evidence_url(obj)
        if url is None:
            return _("(the evidence view is not installed)")
        if obj.is_image:
            return format_html(
                '<a href="{0}" target="_blank"><img src="{0}" alt="{1}" class="rv-thumb"></a>',
                url,
                obj.original_name,
            )
        return format_html('<a href="{}" target="_blank">{}</a>', url, _("Open PDF"))

    @admin.display(description=gettext_lazy("ticket"))
    def ticket_link(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("uploaded at"), ordering="uploaded_at")
    def uploaded(self, obj):
        return local(obj.uploaded_at)


def _when(at):
    return timezone.localtime(at, PLATFORM_TZ).isoformat(timespec="seconds") if at else ""


def _of_compensation(liability, name):
    return getattr(liability.compensation, name) if liability.compensation else ""


class ReversedFilter(admin.SimpleListFilter):
    title = gettext_lazy("reversed")
    parameter_name = "reversed"

    def lookups(self, request, model_admin):
        return [("no", _("Standing")), ("yes", _("Reversed on appeal"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(reversed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(reversed_at__isnull=True)
        return queryset


@admin.register(Liability)
class LiabilityAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "shop_code",
        "order",
        "complaint_link",
        "points",
        "amount",
        "created",
        "reversed",
    )
    list_select_related = ("shop", "ticket__order", "complaint", "compensation")
    list_filter = (ReversedFilter, ("shop__platform", admin.ChoicesFieldListFilter))
    search_fields = ("=ticket__order__order_no", "=shop__code", "shop__name")
    date_hierarchy = "created_at"
    actions = ("export_csv",)
    csv_name = "liabilities"
    show_full_result_count = False
    paginator = CappedCountPaginator
    csv_columns = [
        (gettext_lazy("id"), lambda o: o.pk),
        (gettext_lazy("shop"), lambda o: o.shop.code),
        (gettext_lazy("platform"), lambda o: o.shop.platform),
        (gettext_lazy("order"), lambda o: o.ticket.order.order_no),
        (gettext_lazy("complaint"), lambda o: o.complaint_id),
        (gettext_lazy("kind"), lambda o: o.complaint.kind),
        (gettext_lazy("penalty points"), lambda o: o.points),
        (gettext_lazy("compensation (yuan)"), lambda o: _of_compensation(o, "amount")),
        (gettext_lazy("paid as"), lambda o: _of_compensation(o, "payout")),
        (gettext_lazy("Tmall points"), lambda o: _of_compensation(o, "points")),
        (gettext_lazy("created at"), lambda o: _when(o.created_at)),
        (gettext_lazy("reversed at"), lambda o: _when(o.reversed_at)),
    ]

    @admin.display(description=gettext_lazy("shop"), ordering="shop__code")
    def shop_code(self, obj):
        return obj.shop.code

    @admin.display(description=gettext_lazy("order"), ordering="ticket__order__order_no")
    def order(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("complaint"))
    def complaint_link(self, obj):
        return admin_link(obj.complaint, obj.complaint.get_kind_display())

    @admin.display(description=gettext_lazy("compensation"))
    def amount(self, obj):
        c = obj.compensation
        if c is None:
            return "—"
        return f"¥{c.amount}" + (f" ({c.points})" if c.points else "")

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.display(description=gettext_lazy("reversed at"), ordering="reversed_at")
    def reversed(self, obj):
        return local(obj.reversed_at) if obj.reversed_at else "—"


@admin.register(Compensation)
class CompensationAdmin(CsvExportMixin, ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "shop",
        "order",
        "amount",
        "payout",
        "points",
        "created",
        "reversed",
    )
    list_select_related = ("ticket__order", "ticket__shop")
    list_filter = (
        "kind",
        "payout",
        ReversedFilter,
        ("ticket__shop__platform", admin.ChoicesFieldListFilter),
    )
    search_fields = ("=ticket__order__order_no", "=ticket__shop__code")
    date_hierarchy = "created_at"
    actions = ("export_csv",)
    csv_name = "compensations"
    show_full_result_count = False
    paginator = CappedCountPaginator
    csv_columns = [
        (gettext_lazy("id"), lambda o: o.pk),
        (gettext_lazy("kind"), lambda o: o.kind),
        (gettext_lazy("shop"), lambda o: o.ticket.shop.code),
        (gettext_lazy("order"), lambda o: o.ticket.order.order_no),
        (gettext_lazy("complaint"), lambda o: o.complaint_id or ""),
        (gettext_lazy("amount (yuan)"), lambda o: o.amount),
        (gettext_lazy("paid as"), lambda o: o.payout),
        (gettext_lazy("Tmall points"), lambda o: o.points),
        (gettext_lazy("created at"), lambda o: _when(o.created_at)),
        (gettext_lazy("reversed at"), lambda o: _when(o.reversed_at)),
    ]

    @admin.display(description=gettext_lazy("shop"), ordering="ticket__shop__code")
    def shop(self, obj):
        return obj.ticket.shop.code

    @admin.display(description=gettext_lazy("order"), ordering="ticket__order__order_no")
    def order(self, obj):
        return admin_link(obj.ticket, obj.ticket.order.order_no)

    @admin.display(description=gettext_lazy("created at"), ordering="created_at")
    def created(self, obj):
        return local(obj.created_at)

    @admin.display(description=gettext_lazy("reversed at"), ordering="reversed_at")
    def reversed(self, obj):
        return local(obj.reversed_at) if obj.reversed_at else "—"
