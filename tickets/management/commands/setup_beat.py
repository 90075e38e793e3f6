"""Copy the beat schedule declared in code (config/celery.py) into django-celery-beat's
PeriodicTask rows, so operations see every periodic job in the admin before beat first starts.
Idempotent; an entry paused in the admin stays paused."""

from django.core.management.base import BaseCommand
from django.db import transaction
from django_celery_beat.schedulers import ModelEntry

from config.celery import BEAT_SCHEDULE, app


class Command(BaseCommand):
    help = "Create or update the PeriodicTask rows of the beat schedule declared in code."

    @transaction.atomic
    def handle(self, *args, **options):
        for name, entry in BEAT_SCHEDULE.items():
            # The same conversion beat's DatabaseScheduler applies at start-up; it updates the
            # schedule, task and options and leaves `enabled` as operations set it.
            model = ModelEntry.from_entry(name, app=app, **entry).model
            state = "enabled" if model.enabled else "PAUSED in the admin"
            self.stdout.write(f"{name}: {model.task}, {model.interval or model.crontab} ({state})")
