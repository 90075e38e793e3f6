"""The platform back office in the Django admin (§3, §6, §8, §11), one module per concern:

- `site`: the site's titles, and platform staff only;
- `display`: state colours, transition labels, the timeline and the read-only base classes
  (shared with `complaints.admin`);
- `records`: tickets (with their complaints and buyer messages), buyer messages, orders;
- `rollout`: shops, their merchant staff, and the rollout schedules of second handling;
- `policy`: policy versions and the publish form (`policy_values`: their numbers as typed
  and read: hours, days, percentages);
- `reasons`: reply reasons;
- `timeline`: the audit log.

States are never edited here: they change only through the services, so every record is
read-only except the data operations own (reasons, new policy versions, rollout schedules,
enabling shops). Importing the modules registers their admins."""

from . import policy, reasons, records, rollout, site, timeline
from .display import (
    TICKET_COLOURS,
    TRANSITION_LABELS,
    NoEditsMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    admin_link,
    badge,
    local,
    timeline_rows,
)
from .policy import PolicyAdmin, PolicyPublishForm
from .reasons import ReplyReasonAdmin
from .records import BuyerMessageAdmin, OrderAdmin, TicketAdmin
from .rollout import RolloutScheduleAdmin, RolloutScheduleForm, ShopAdmin, ShopMembershipAdmin
from .timeline import StateLogAdmin

__all__ = [
    "TICKET_COLOURS",
    "TRANSITION_LABELS",
    "BuyerMessageAdmin",
    "NoEditsMixin",
    "OrderAdmin",
    "PolicyAdmin",
    "PolicyPublishForm",
    "ReadOnlyAdmin",
    "ReadOnlyInline",
    "ReplyReasonAdmin",
    "RolloutScheduleAdmin",
    "RolloutScheduleForm",
    "ShopAdmin",
    "ShopMembershipAdmin",
    "StateLogAdmin",
    "TicketAdmin",
    "admin_link",
    "badge",
    "local",
    "policy",
    "reasons",
    "records",
    "rollout",
    "site",
    "timeline",
    "timeline_rows",
]
