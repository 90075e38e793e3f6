from django.core.management.base import BaseCommand

from idempotency.services import idempotency_purge_expired


class Command(BaseCommand):
    help = "Delete API idempotency keys older than 24 hours."

    def handle(self, *args, **options):
        deleted = idempotency_purge_expired()
        self.stdout.write(f"deleted {deleted} expired idempotency keys")
