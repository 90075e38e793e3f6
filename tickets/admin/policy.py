"""Policy versions (§8): published through `policy_publish`, never edited. The publish form
takes hours, days and percentages (`policy_values`), shows the changes against the version the
new one follows and publishes only when they are confirmed; on the same page it previews the
draft's impact on recent tickets (§19, `tickets.impact`). A published version reads as people
say its numbers."""

import hashlib
import json

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.http import HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..exceptions import DomainError, TimedOut
from ..exceptions import ValidationError as DomainValidationError
from ..impact import policy_impact
from ..models import Platform, Policy, Ticket, TicketState
from ..paging import CAP
from ..services import POLICY_NUMBERS, policy_changes, policy_draft, policy_publish
from .display import badge, local
from .policy_values import DAYS, HOURS, PercentField, WindowField, label, percent_text, value_text

S = TicketState


def open_tickets_capped():
    """The open tickets a version governs, counted at most to CAP + 1 through the partial
    index `ticket_open_policy_idx`: a version's page costs the same at a million open tickets
    (shown as "10,000+" beyond CAP)."""
    tickets, policies = Ticket._meta.db_table, Policy._meta.db_table
    return RawSQL(
        f'SELECT COUNT(*) FROM (SELECT 1 FROM "{tickets}" t WHERE t.policy_id = '
        f'"{policies}"."id" AND t.state <> %s LIMIT %s) capped',
        (S.COMPLETED, CAP + 1),
    )


class PolicyPublishForm(forms.ModelForm):
    """A new version: numbers prefilled from the latest version of the platform, windows in
    hours or days and rates as percentages (`policy_values`). The service decides the version
    number and refuses a start in the past or before the latest one, and a version that
    changes nothing. A valid form is published only once its changes against the version it
    follows were shown and confirmed unchanged (`confirm`: their digest)."""

    # Windows in hours or days, rates as percentages (the other numbers: the model's fields).
    reply_window = WindowField(HOURS, label=gettext_lazy("Reply window (hours)"))
    buyer_window = WindowField(HOURS, label=gettext_lazy("Buyer confirmation window (hours)"))
    review_target = WindowField(HOURS, label=gettext_lazy("Review target (hours)"))
    appeal_window = WindowField(DAYS, label=gettext_lazy("Appeal window (days)"))
    appeal_review_target = WindowField(HOURS, label=gettext_lazy("Appeal review target (hours)"))
    reply_reminder_lead = WindowField(
        HOURS, allow_zero=True, label=gettext_lazy("Reply reminder lead (hours)")
    )
    late_rate = PercentField(label=gettext_lazy("Late-shipment compensation rate (percent)"))
    stockout_rate = PercentField(label=gettext_lazy("Stock-out compensation rate (percent)"))

    class Meta:
        model = Policy
        fields = ("platform", "effective_from", *POLICY_NUMBERS, "note")
        help_texts = {
            "effective_from": gettext_lazy(
                "Now or later; leave empty for now. Open tickets keep the version they were "
                "created under."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Empty means "now", so that a form left open a while is not refused as in the past.
        if "effective_from" in self.fields:  # absent on a published (read-only) version
            self.fields["effective_from"].required = False
        self.changes = None  # set once the numbers are valid: [(name, before, after)]
        self.previous = None  # the version the new one would follow
        self.digest = ""
        self.awaiting_confirmation = False

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # Try the publication and roll it back: the form shows the service's own refusal
        # under the field it names, and save_model publishes for real.
        try:
            with transaction.atomic():
                draft = policy_publish(**self.publish_arguments(actor=None))
                self.previous = Policy.objects.filter(
                    platform=draft.platform, version=draft.version - 1
                ).first()
                raise _DryRun
        except _DryRun:
            pass
        except DomainValidationError as error:
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)
            return data
        self.changes = [
            (name, getattr(self.previous, name, None), getattr(draft, name))
            for name in policy_changes(self.previous, draft)
        ]
        self.digest = self._digest(data)
        if self.data.get("confirm") != self.digest:
            # Shown with the changes and asked again (PolicyAdmin.render_change_form shows no
            # error for it); a changed number after the check shows the changes again.
            self.awaiting_confirmation = True
            raise forms.ValidationError(_("Check the changes, then confirm."), code="confirm")
        return data

    def _digest(self, data) -> str:
        """What was shown before confirming: the platform, start, note, every number and the
        version followed (someone else publishing meanwhile asks for a new look)."""
        shown = {name: data.get(name) for name in self.Meta.fields}
        shown["follows"] = self.previous.pk if self.previous else None
        text = json.dumps(shown, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    def publish_arguments(self, *, actor):
        data = self.cleaned_data
        return {
            "platform": data["platform"],
            "effective_from": data.get("effective_from") or timezone.now(),
            "note": data.get("note", ""),
            "actor": actor,
            **{name: data[name] for name in POLICY_NUMBERS if name in data},
        }


class _DryRun(Exception):
    pass


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = (
        "platform",
        "version",
        "status",
        "effective",
        "until",
        "open_tickets",
        "reply_hours",
        "review_hours",
        "late_terms",
        "points_per_upheld",
    )
    list_filter = ("platform",)
    ordering = ("platform", "-effective_from")
    form = PolicyPublishForm

    def get_queryset(self, request):
        following = Policy.objects.filter(
            platform=OuterRef("platform"), effective_from__gt=OuterRef("effective_from")
        ).order_by("effective_from")
        return (
            super()
            .get_queryset(request)
            .annotate(
                next_from=Subquery(following.values("effective_from")[:1]),
                open_count=open_tickets_capped(),
            )
        )

    # A published version is never edited; a new one is published instead.
    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "platforms": Platform.choices}
        return super().changelist_view(request, extra_context)

    def add_view(self, request, form_url="", extra_context=None):
        # Publishing is one step; the new version is read-only, so no "continue editing".
        extra_context = {
            **(extra_context or {}),
            "title": _("Publish a policy version"),
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().add_view(request, form_url, extra_context)

    def get_urls(self):
        preview = path(
            "preview/",
            self.admin_site.admin_view(self.preview_view),
            name="tickets_policy_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request):
        """§19 "preview impact": the publish form's numbers as typed (checked as publishing
        checks them) replayed over the platform's tickets of the last `days` days beside the
        version in force; read-only, stopped past POLICY_IMPACT_TIMEOUT_SECONDS. JSON."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        data = request.POST
        try:
            numbers = typed_numbers(data)
            draft = policy_draft(platform=data.get("platform", ""), **numbers)
            figures = policy_impact(
                platform=draft.platform,
                draft=draft,
                days=data.get("days"),
                timeout=settings.POLICY_IMPACT_TIMEOUT_SECONDS,
            )
        except TimedOut as error:
            return JsonResponse({"error": error.message, "field": None}, status=503)
        except DomainError as error:
            return JsonResponse({"error": error.message, "field": error.field}, status=400)
        return JsonResponse(figures)

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        # A published version reads as people say its numbers: "24 hours", "30 days", "5%".
        return ("platform", "effective_from", *(f"shown_{n}" for n in POLICY_NUMBERS), "note")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context["adminform"].form
        if add and form.awaiting_confirmation:
            # The check before publishing is not an error: the changes, then "confirm".
            previous = form.previous
            context.update(
                errors=None,
                confirm_digest=form.digest,
                asked_again="confirm" in request.POST,
                previous=previous,
                previous_in_force=previous is not None
                and previous.effective_from <= timezone.now(),
                previous_from=local(previous.effective_from) if previous else "",
                starts=local(form.cleaned_data["effective_from"])
                if form.cleaned_data.get("effective_from")
                else "",
                changes=[
                    {
                        "name": name,
                        "label": label(name),
                        "before": value_text(name, before) if previous else "—",
                        "after": value_text(name, after),
                    }
                    for name, before, after in form.changes
                ],
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_changeform_initial_data(self, request):
        platform = request.GET.get("platform") or "taobao"
        latest = Policy.objects.filter(platform=platform).order_by("-version").first()
        initial = {"platform": platform}
        if latest is not None:
            initial.update({name: getattr(latest, name) for name in POLICY_NUMBERS})
        return initial

    def save_model(self, request, obj, form, change):
        policy = policy_publish(**form.publish_arguments(actor=request.user))
        obj.pk, obj.version, obj.effective_from = policy.pk, policy.version, policy.effective_from
        obj.created_at, obj.created_by = policy.created_at, policy.created_by

    def response_add(self, request, obj, post_url_continue=None):
        self.message_user(
            request,
            _("Published %(policy)s, in force from %(at)s.")
            % {"policy": obj, "at": local(obj.effective_from)},
            messages.SUCCESS,
        )
        return self.response_post_save_add(request, obj)

    def response_post_save_add(self, request, obj):
        return HttpResponseRedirect(reverse("admin:tickets_policy_changelist"))

    @admin.display(description=gettext_lazy("status"))
    def status(self, obj):
        now = timezone.now()
        if obj.effective_from > now:
            return badge(_("scheduled"), "#1f5fbf")
        if obj.next_from is None or obj.next_from > now:
            return badge(_("in force"), "#2e7d32")
        return badge(_("superseded"), "#6b6b6b")

    @admin.display(description=gettext_lazy("applies from"), ordering="effective_from")
    def effective(self, obj):
        return local(obj.effective_from)

    @admin.display(description=gettext_lazy("until"))
    def until(self, obj):
        return local(obj.next_from) if obj.next_from else "—"

    @admin.display(description=gettext_lazy("open tickets it governs"), ordering="open_count")
    def open_tickets(self, obj):
        if obj.open_count > CAP:
            return f"{number_format(CAP, force_grouping=True)}+"
        return obj.open_count

    @admin.display(description=gettext_lazy("reply window"), ordering="reply_window")
    def reply_hours(self, obj):
        return value_text("reply_window", obj.reply_window)

    @admin.display(description=gettext_lazy("review target"), ordering="review_target")
    def review_hours(self, obj):
        return value_text("review_target", obj.review_target)

    @admin.display(description=gettext_lazy("late-shipment compensation"))
    def late_terms(self, obj):
        return (
            f"{percent_text(obj.late_rate)} · ¥{obj.late_min}–¥{obj.late_max} · "
            f"{obj.get_payout_display()}"
        )


def _shown(name):
    """The read-only page's rendering of one number of a published version."""

    @admin.display(description=Policy._meta.get_field(name).verbose_name)
    def shown(model_admin, obj):
        return value_text(name, getattr(obj, name))

    shown.__name__ = f"shown_{name}"
    return shown


for _name in POLICY_NUMBERS:
    setattr(PolicyAdmin, f"shown_{_name}", _shown(_name))


def typed_numbers(data) -> dict:
    """The publish form's numbers as typed (hours, days, percentages), each read by its form
    field as publishing reads it, for the preview; the first bad one is a domain error on its
    field, as the service's are."""
    fields = PolicyPublishForm.base_fields
    numbers = {}
    for name in POLICY_NUMBERS:
        if name not in data:
            continue
        try:
            numbers[name] = fields[name].clean(data[name])
        except forms.ValidationError as error:
            raise DomainValidationError(" ".join(error.messages), field=name) from None
    return numbers
