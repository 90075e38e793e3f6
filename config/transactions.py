"""Savepoints a service may skip. A service runs in `transaction.atomic()`: inside a caller's
transaction that is a savepoint (SAVEPOINT and RELEASE, two more round trips), so that a failure
undoes the service's work alone. Where the caller rolls its whole transaction back on any failure
it does not handle under a savepoint of its own (`whole()`: the API's idempotent requests), a
service marked `atomic_service` takes none: on its hot path that is two statements less."""

import contextvars
import functools
from contextlib import contextmanager

from django.db import transaction

_whole = contextvars.ContextVar("whole_transaction", default=False)


@contextmanager
def whole():
    """`transaction.atomic()` for a caller that lets any failure inside it end the transaction
    (rolled back), or handles it only under a savepoint of its own (`transaction.atomic()`)."""
    with transaction.atomic():
        token = _whole.set(True)
        try:
            yield
        finally:
            _whole.reset(token)


def atomic_service(*, refusals: type[BaseException] | tuple):
    """`transaction.atomic` for a service whose `refusals` are all raised before it writes
    anything. Inside `whole()` it takes no savepoint: a refusal leaves the transaction as it
    was (nothing was written), any other failure marks it for rollback (as Django does for a
    failed block without a savepoint)."""

    def decorate(service):
        in_own_transaction = transaction.atomic(service)

        @functools.wraps(service)
        def wrapper(*args, **kwargs):
            if not _whole.get() or not transaction.get_connection().in_atomic_block:
                return in_own_transaction(*args, **kwargs)
            try:
                return service(*args, **kwargs)
            except refusals:
                raise
            except BaseException:
                transaction.set_rollback(True)
                raise

        return wrapper

    return decorate
