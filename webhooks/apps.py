from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    """§15 events for merchants' systems: subscriptions, events written in the causing
    transaction, and their deliveries through the one delivery outbox (`tickets/delivery.py`)."""

    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self):
        # Register the `merchant_events` outbox in every process (metrics, console, workers).
        from . import outbox  # noqa: F401
