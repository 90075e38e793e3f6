"""The Celery app: settings from Django under the CELERY_ namespace, tasks autodiscovered."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("urge_tickets")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
