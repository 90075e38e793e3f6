from celery import shared_task

from .services import idempotency_purge_expired


@shared_task(name="idempotency.purge_expired_idempotency_keys")
def purge_expired_idempotency_keys() -> int:
    return idempotency_purge_expired()
