"""Applying a second-handling rollout schedule (§6): the share of shops due at an instant,
opened through `shop_rollout_percentage` (which never takes the feature away). Used by the
admin's "apply now" action and by `manage.py rollout_second_handling`."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .exceptions import NotFound
from .models import RolloutSchedule
from .services import shop_rollout_percentage


@transaction.atomic
def rollout_schedule_apply(*, schedule_id, at=None) -> dict:
    """Open second handling to the schedule's share of shops due at `at` (now by default) and
    record what was applied. Running it twice at the same instant enables nothing more."""
    at = at or timezone.now()
    try:
        schedule = RolloutSchedule.objects.select_for_update().get(pk=schedule_id)
    except (RolloutSchedule.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such rollout schedule.")) from None
    percentage = schedule.percentage_at(at)
    enabled, having, total = shop_rollout_percentage(
        percentage=percentage, platform=schedule.platform or None, at=at
    )
    if at >= schedule.starts_at:
        schedule.last_applied_at, schedule.last_applied_percentage = at, percentage
        schedule.save(update_fields=["last_applied_at", "last_applied_percentage"])
    return {
        "schedule": schedule,
        "scope": schedule.get_platform_display() if schedule.platform else _("all platforms"),
        "percentage": percentage,
        "enabled": enabled,
        "having": having,
        "total": total,
    }


def rollout_schedules_running(at=None):
    """Schedules that have started and whose end was not yet applied in full."""
    at = at or timezone.now()
    return (
        RolloutSchedule.objects.filter(starts_at__lte=at)
        .exclude(last_applied_at__gte=F("ends_at"))
        .order_by("starts_at", "id")
    )
