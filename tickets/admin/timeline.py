"""The audit log (django-fsm-log), read-only: every transition of tickets and complaints."""

from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_fsm_log.models import StateLog

from complaints.models import Complaint, ComplaintState

from ..audit import load_payload
from ..models import Ticket, TicketState
from ..paging import CappedCountPaginator
from .display import TRANSITION_LABELS, ReadOnlyAdmin, local, transition_label

S = TicketState


# django-fsm-log's model has English-only names; the admin reads better with ours.
StateLog._meta.verbose_name = gettext_lazy("transition")
StateLog._meta.verbose_name_plural = gettext_lazy("timeline")
apps.get_app_config("django_fsm_log").verbose_name = gettext_lazy("Timeline")


class SubjectFilter(admin.SimpleListFilter):
    """Only the two models with a timeline, not every content type of the project."""

    title = gettext_lazy("object")
    parameter_name = "subject"

    def lookups(self, request, model_admin):
        return [("ticket", Ticket._meta.verbose_name), ("complaint", Complaint._meta.verbose_name)]

    def queryset(self, request, queryset):
        model = {"ticket": Ticket, "complaint": Complaint}.get(self.value())
        if model is None:
            return queryset
        return queryset.filter(content_type=ContentType.objects.get_for_model(model))


class TransitionFilter(admin.SimpleListFilter):
    title = gettext_lazy("transition")
    parameter_name = "transition"

    def lookups(self, request, model_admin):
        return list(TRANSITION_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(transition=self.value()) if self.value() else queryset


@admin.register(StateLog)
class StateLogAdmin(ReadOnlyAdmin):
    list_display = ("when", "subject", "what", "states", "actor", "note")
    list_select_related = ("by", "content_type")
    list_filter = (SubjectFilter, TransitionFilter)
    search_fields = ("=object_id", "=by__username")
    search_help_text = gettext_lazy("An object id or a username.")
    # Newest first by the primary key's index, whatever the table's size (rows are written
    # as things happen, so id order is time order).
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False
    paginator = CappedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isascii() and term.isdigit() and int(term) < 2**31:  # object ids are int4
            return queryset.filter(Q(object_id=int(term)) | Q(by__username=term)), False
        return queryset.filter(by__username=term), False

    @admin.display(description=gettext_lazy("when"), ordering="timestamp")
    def when(self, obj):
        return local(obj.timestamp)

    @admin.display(description=gettext_lazy("object"))
    def subject(self, obj):
        model = obj.content_type.model_class()
        name = model._meta.verbose_name if model else obj.content_type.model
        if model in (Ticket, Complaint):
            url = reverse(
                f"admin:{model._meta.app_label}_{model._meta.model_name}_change",
                args=[obj.object_id],
            )
            return format_html('<a href="{}">{} #{}</a>', url, name, obj.object_id)
        return f"{name} #{obj.object_id}"

    @admin.display(description=gettext_lazy("transition"), ordering="transition")
    def what(self, obj):
        return transition_label(obj.transition, load_payload(obj.description))

    @admin.display(description=gettext_lazy("state"))
    def states(self, obj):
        labels = {**dict(S.choices), **dict(ComplaintState.choices)}
        target = labels.get(obj.state, obj.state)
        if obj.source_state:
            return f"{labels.get(obj.source_state, obj.source_state)} → {target}"
        return target

    @admin.display(description=gettext_lazy("by"))
    def actor(self, obj):
        return obj.by.get_username() if obj.by else _("system")

    @admin.display(description=gettext_lazy("note"))
    def note(self, obj):
        return load_payload(obj.description).get("note", "")
