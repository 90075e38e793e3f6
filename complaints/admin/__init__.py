"""The platform review desk (§7, §11), one module per concern:

- `review_desk`: the complaint queue, claim and release, take the next case, the review panel;
- `filters`: the queue's filters;
- `decisions`: the decision form, the service each decision calls, the view they post to;
- `records`: evidence, compensations and liabilities (read-only, CSV export);
- `notes`: the canned decision notes operations keep per kind (§18);
- `display`: the desk's renderings (badges, times and links come from `tickets.admin`).

Every claim, release and decision goes through `complaints.services`, which lock the row and
refuse a complaint held by someone else; the admin only maps the domain errors to messages.

django-fsm-2's `FSMAdminMixin` is not used for the decisions: it calls the model's transition
and `save()` directly, which would skip the services (row lock, holder check, liability,
buyer messages, audit payload). The decision form posts to a view that calls them.
Importing the modules registers their admins."""

from . import decisions, display, filters, notes, records, review_desk
from .decisions import DecisionForm, available_decisions, run_decision, success_text
from .notes import DecisionTemplateAdmin
from .records import CompensationAdmin, CsvExportMixin, EvidenceAdmin, LiabilityAdmin
from .review_desk import ComplaintAdmin, review_context

__all__ = [
    "CompensationAdmin",
    "ComplaintAdmin",
    "CsvExportMixin",
    "DecisionForm",
    "DecisionTemplateAdmin",
    "EvidenceAdmin",
    "LiabilityAdmin",
    "available_decisions",
    "decisions",
    "display",
    "filters",
    "notes",
    "records",
    "review_desk",
    "run_decision",
    "success_text",
    "review_context",
]
