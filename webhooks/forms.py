from django import forms
from django.utils.translation import gettext_lazy as _

from .models import SUBSCRIBABLE, EventType


class SubscriptionForm(forms.Form):
    url = forms.CharField(
        label=_("Receiver URL"),
        max_length=2000,
        help_text=_("Your system's address for events, e.g. https://erp.example.com/urge."),
        widget=forms.TextInput(
            attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=[(t, EventType(t).label) for t in SUBSCRIBABLE],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event type.")},
    )
