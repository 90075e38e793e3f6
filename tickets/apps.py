from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Urge-shipment tickets")

    def ready(self):
        # The tasks register how a delivery run is enqueued (the outbox's seam, tickets/delivery):
        # every process that writes messages must have them, not only the workers.
        from . import tasks  # noqa: F401
