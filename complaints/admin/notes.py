"""Canned decision notes (决定模板, §18): kept by operations per complaint kind; reviewers read
them here and insert them on the decision page."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from tickets.admin.display import local

from ..models import DecisionTemplate


@admin.register(DecisionTemplate)
class DecisionTemplateAdmin(admin.ModelAdmin):
    list_display = ("title", "kind_label", "decision_label", "short_text", "position", "is_active")
    list_display_links = ("title",)
    list_filter = ("is_active", "kind", "decision")
    search_fields = ("title", "text")
    list_editable = ("position", "is_active")
    list_per_page = 50
    ordering = ("kind", "position", "title", "id")
    fields = ("title", "kind", "decision", "text", "position", "is_active", "updated")
    readonly_fields = ("updated",)

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=gettext_lazy("kind"), ordering="kind")
    def kind_label(self, obj):
        return obj.get_kind_display() if obj.kind else gettext_lazy("every kind")

    @admin.display(description=gettext_lazy("decision"), ordering="decision")
    def decision_label(self, obj):
        return obj.get_decision_display() if obj.decision else gettext_lazy("any decision")

    @admin.display(description=gettext_lazy("text"))
    def short_text(self, obj):
        return obj.text if len(obj.text) <= 60 else obj.text[:59] + "…"

    @admin.display(description=gettext_lazy("updated at"))
    def updated(self, obj):
        if obj.pk is None:
            return "—"
        by = f" · {obj.updated_by.get_username()}" if obj.updated_by else ""
        return f"{local(obj.updated_at)}{by}"
