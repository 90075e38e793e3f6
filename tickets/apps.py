from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Urge-shipment tickets")

    def ready(self):
        from django.db.models.signals import post_migrate

        # The tasks register how a delivery run is enqueued (the outbox's seam, tickets/delivery):
        # every process that writes messages must have them, not only the workers.
        from . import tasks  # noqa: F401
        from .rollups import reinstall_triggers_after_migrate

        # The rollups' triggers survive any later migration that rebuilds their tables.
        post_migrate.connect(reinstall_triggers_after_migrate, sender=self)
