"""Forms of the merchant pages. They only shape input: every rule is checked by the service
the view calls (style rule 4), and the service's refusals come back as form errors."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.evidence import MAX_FILES
from complaints.models import ComplaintKind, ComplaintState
from tickets.batch_reply import MAX_BATCH
from tickets.models import Plan, ReasonSide, ReplyReason, SecondPlan, TicketState

YES_NO = [("", _("All")), ("1", _("Yes")), ("0", _("No"))]
WINDOWS = [(7, _("7 days")), (30, _("30 days")), (90, _("90 days"))]


def reason_label(reason: ReplyReason) -> str:
    """The catalogue keeps a Chinese and an English label; pick the page's language."""
    return reason.display_label


class ReasonSelect(forms.Select):
    """Each option says which plans its reason allows (`data-plans`), so the page can offer
    only the reasons of the chosen plan without a script of data."""

    plans: dict[str, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.plans:
            option["attrs"]["data-plans"] = self.plans[str(value)]
        return option


class ReasonChoiceField(forms.ModelChoiceField):
    """Active reasons, by code, grouped by side (seller / buyer) in the select."""

    widget = ReasonSelect

    def __init__(self, **kwargs):
        super().__init__(
            queryset=ReplyReason.objects.active(), to_field_name="code", empty_label=None, **kwargs
        )

    def label_from_instance(self, obj):
        return reason_label(obj)


def grouped_reason_choices(reasons):
    groups = {side: [] for side in ReasonSide.values}
    for reason in reasons:
        groups[reason.side].append((reason.code, reason_label(reason)))
    return [("", "—")] + [
        (ReasonSide(side).label, options) for side, options in groups.items() if options
    ]


PAGE_SIZES = [(25, "25"), (50, "50"), (100, "100")]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class QueueFilterForm(forms.Form):
    """What the ticket and complaint lists share: search by order number, created between two
    days (Asia/Shanghai, both included), page size. A bad value is dropped on its own field
    (the view reads `cleaned_data` field by field), never refused, never a 500."""

    q = forms.CharField(label=_("Order number"), required=False, max_length=64)
    created_from = forms.DateField(label=_("Created from"), required=False, widget=DateInput())
    created_to = forms.DateField(label=_("Created to"), required=False, widget=DateInput())
    per_page = forms.TypedChoiceField(
        label=_("Per page"), required=False, choices=PAGE_SIZES, coerce=int, empty_value=None
    )

    def filters(self) -> dict:
        if not self.is_bound:
            return {}
        self.is_valid()
        return {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}


class TicketFilterForm(QueueFilterForm):
    """The ticket list's filters (§14: a work queue, sortable by each deadline)."""

    # Short labels: the select must fit a phone's half-width filter column (390 px).
    SORTS = [
        ("deadline", _("Due soonest")),
        ("reply_due", _("Reply due")),
        ("buyer_due", _("Buyer due")),
        ("ship_due", _("Ship-by due")),
        ("-created", _("Newest first")),
        ("created", _("Oldest first")),
    ]
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All"))] + TicketState.choices
    )
    plan = forms.ChoiceField(
        label=_("Plan"), required=False, choices=[("", _("All"))] + Plan.choices
    )
    reason = forms.ChoiceField(label=_("Reason"), required=False)
    buyer = forms.CharField(label=_("Buyer"), required=False, max_length=150)
    overdue = forms.ChoiceField(label=_("Overdue"), required=False, choices=YES_NO)
    due_within = forms.IntegerField(
        label=_("Due within (hours)"), required=False, min_value=1, max_value=24 * 30
    )
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORTS)
    field_order = [
        "q",
        "state",
        "plan",
        "reason",
        "buyer",
        "overdue",
        "due_within",
        "created_from",
        "created_to",
        "sort",
        "per_page",
    ]

    def __init__(self, *args, reasons=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", _("All"))] + [
            (r.code, reason_label(r)) for r in reasons
        ]


class ComplaintFilterForm(QueueFilterForm):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All"))] + ComplaintState.choices
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All"))] + ComplaintKind.choices
    )
    field_order = ["q", "state", "kind", "created_from", "created_to", "per_page"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A complaint's date is the day it was filed.
        self.fields["created_from"].label = _("Filed from")
        self.fields["created_to"].label = _("Filed to")


class DashboardForm(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Window"), required=False, choices=WINDOWS, coerce=int, empty_value=30
    )
    hours = forms.IntegerField(
        label=_("Due within (hours)"), required=False, min_value=1, max_value=72
    )


class ReplyForm(forms.Form):
    plan = forms.ChoiceField(label=_("Plan"), choices=Plan.choices, widget=forms.RadioSelect)
    reason = ReasonChoiceField(
        label=_("Reason"), help_text=_("Only the reasons that go with the chosen plan are offered.")
    )
    ship_by = forms.DateField(
        label=_("Ship by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Needed for ship later and exchange agreed."),
    )
    note = forms.CharField(
        label=_("Note (internal)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args, today: dt.date, latest: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        # The picker offers only allowed days; the service still checks whatever is sent.
        self.fields["ship_by"].widget.attrs.update(min=today.isoformat(), max=latest.isoformat())
        reasons = list(self.fields["reason"].queryset)
        self.reasons = reasons
        self.fields["reason"].choices = grouped_reason_choices(reasons)
        self.fields["reason"].widget.plans = {r.code: " ".join(r.allowed_plans) for r in reasons}

    def clean(self):
        data = super().clean()
        if data.get("plan") == Plan.CANNOT_SHIP:
            data["ship_by"] = None  # a stale date left in the field means nothing here
        return data


class ReplyPreviewForm(forms.Form):
    """What the reply preview needs; the service judges it (`reply_preview`)."""

    plan = forms.ChoiceField(choices=Plan.choices, required=False)
    reason = forms.CharField(required=False, max_length=64)
    ship_by = forms.DateField(label=_("Ship by"), required=False)

    def clean(self):
        data = super().clean()
        if data.get("plan") == Plan.CANNOT_SHIP:
            data["ship_by"] = None  # as the reply form: a stale date means nothing here
        return data


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; their type and size are checked by the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class SecondHandlingForm(forms.Form):
    plan = forms.ChoiceField(
        label=_("Second handling"), choices=SecondPlan.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a buyer-fault claim: what the buyer did."),
    )
    evidence = MultipleFileField(label=_("Evidence"), required=False)
    # Set by the confirmation step of a compensation (money, once per ticket).
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Formatted here, not at import, so that it is in the request's language.
        self.fields["evidence"].help_text = _(
            "1 to %(n)d files, JPEG, PNG or PDF, at most 5 MiB each."
        ) % {"n": MAX_FILES}


class AppealForm(forms.Form):
    note = forms.CharField(
        label=_("Why the decision should be reversed"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class TicketIdsField(forms.Field):
    """Ticket ids from the list's checkboxes (`name="tickets"`, repeated): distinct positive
    integers, at most MAX_BATCH. Whether each is the merchant's is the service's to judge."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else [value] if value else []
        ids = []
        for raw in values:
            text = str(raw).strip()
            if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**63:
                raise forms.ValidationError(_("Select tickets from the list."))
            ids.append(int(text))
        return list(dict.fromkeys(ids))  # a ticket ticked twice is one ticket

    def validate(self, value):
        super().validate(value)
        if len(value) > MAX_BATCH:
            raise forms.ValidationError(
                _("Select at most %(max)d tickets at once.") % {"max": MAX_BATCH}
            )


class BatchReplyForm(ReplyForm):
    """批量回复 (§14): the reply form's plan, reason, date and note, for the ticked tickets or for
    all awaiting a reply that match the list's filters (`filters`, its query string)."""

    nothing_matched = _("No ticket awaiting a reply matches these filters.")
    plan = forms.ChoiceField(label=_("Plan"), choices=[("", "—")] + Plan.choices)
    tickets = TicketIdsField(required=False)
    all_matching = forms.BooleanField(required=False)
    filters = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["all_matching"].label = _(
            "All awaiting a reply that match the filters (up to %(max)d)"
        ) % {"max": MAX_BATCH}

    def clean(self):
        data = super().clean()
        if not data.get("tickets") and not data.get("all_matching") and not self.errors:
            raise forms.ValidationError(_("Select at least one ticket."))
        return data
