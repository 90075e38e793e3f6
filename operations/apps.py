from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = _("Operations")

    def ready(self):
        from prometheus_client import REGISTRY

        from tickets.sweeps import sweep_ran

        from . import metrics, services

        sweep_ran.connect(services.record_sweep_run, dispatch_uid="operations.record_sweep_run")
        metrics.register(REGISTRY)
