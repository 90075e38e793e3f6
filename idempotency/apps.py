from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdempotencyConfig(AppConfig):
    name = "idempotency"
    verbose_name = _("idempotency keys")
    default_auto_field = "django.db.models.BigAutoField"
