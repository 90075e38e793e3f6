"""Delivering the buyer-message outbox (§10).

Undelivered rows (`delivered_at` NULL) whose `next_attempt_at` has come are claimed in small
batches by a guarded UPDATE that moves `next_attempt_at` a lease ahead, in a short transaction
(`FOR UPDATE SKIP LOCKED` on PostgreSQL): concurrent workers never hold the same row, and no
database transaction stays open while the webhook is called. Each message is then POSTed to
`BUYER_MESSAGE_WEBHOOK_URL` as JSON signed with HMAC-SHA256 over the body
(`X-Signature: sha256=<hex>`, key `BUYER_MESSAGE_WEBHOOK_SECRET`) and marked delivered; a
failure records `last_error` and backs off (`attempts`, `next_attempt_at`). Without a URL,
messages are logged and marked delivered. A worker that dies mid-batch leaves its rows to be
claimed again when the lease ends.

Delivery is at least once with respect to crashes (a worker killed between the POST and the
UPDATE that records it): the receiver de-duplicates by `X-Message-Id`. Between live workers a
row is delivered once: a worker stops before its lease runs out and gives the rest back."""

import datetime as dt
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import BuyerMessage

logger = logging.getLogger(__name__)

BATCH_SIZE = 20
TIMEOUT_SECONDS = 10
# A claimed batch must be finished well within its lease: BATCH_SIZE × TIMEOUT_SECONDS = 200 s.
LEASE = dt.timedelta(minutes=10)
FIRST_RETRY = dt.timedelta(seconds=30)
MAX_RETRY = dt.timedelta(hours=1)


def backoff(attempts: int) -> dt.timedelta:
    """30 s after the first failure, doubling, at most an hour apart."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), MAX_RETRY)


def sign(body: bytes, secret: str) -> str:
    """The `X-Signature` header: `sha256=` and the hex HMAC-SHA256 of the body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def message_body(message: BuyerMessage) -> bytes:
    return json.dumps(
        {
            "id": message.pk,
            "ticket": message.ticket_id,
            "buyer": message.buyer.get_username(),
            "kind": message.kind,
            "text": message.text,
            "payload": message.payload,
            "created_at": message.created_at,
        },
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def claim(*, at, limit: int = BATCH_SIZE) -> tuple[list[BuyerMessage], dt.datetime]:
    """Take up to `limit` due messages for `LEASE`; returns them and the lease's end."""
    lease_until = at + LEASE
    with transaction.atomic():
        due = (
            BuyerMessage.objects.filter(delivered_at__isnull=True)
            .filter(Q(next_attempt_at__lte=at) | Q(next_attempt_at__isnull=True))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due[:limit])
        if not ids:
            return [], lease_until
        BuyerMessage.objects.filter(pk__in=ids, delivered_at__isnull=True).update(
            next_attempt_at=lease_until, attempts=F("attempts") + 1
        )
    messages = list(
        BuyerMessage.objects.filter(pk__in=ids, next_attempt_at=lease_until)
        .select_related("buyer")
        .order_by("pk")
    )
    return messages, lease_until


def post(message: BuyerMessage, *, url: str, secret: str):
    body = message_body(message)
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Signature": sign(body, secret),
            "X-Message-Id": str(message.pk),
            "User-Agent": "urge-tickets/1",
        },
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
        response.read()


def _mine(message: BuyerMessage, lease_until):
    # Guarded by the lease: a row given back or re-claimed is no longer this worker's.
    return BuyerMessage.objects.filter(
        pk=message.pk, delivered_at__isnull=True, next_attempt_at=lease_until
    )


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0

    def __add__(self, other):
        return DeliveryReport(self.delivered + other.delivered, self.failed + other.failed)


def deliver_batch(*, at=None, limit: int = BATCH_SIZE) -> DeliveryReport | None:
    """Claim and deliver one batch. None when nothing is due."""
    at = at or timezone.now()
    messages, lease_until = claim(at=at, limit=limit)
    if not messages:
        return None
    url = settings.BUYER_MESSAGE_WEBHOOK_URL
    if not url:
        for message in messages:
            logger.info(
                "buyer message %s to %s (%s): %s",
                message.pk,
                message.buyer.get_username(),
                message.kind,
                message.text,
            )
        done = BuyerMessage.objects.filter(
            pk__in=[m.pk for m in messages], delivered_at__isnull=True, next_attempt_at=lease_until
        ).update(delivered_at=timezone.now(), next_attempt_at=None, last_error="")
        return DeliveryReport(delivered=done)
    report = DeliveryReport()
    secret = settings.BUYER_MESSAGE_WEBHOOK_SECRET
    deadline = time.monotonic() + (LEASE.total_seconds() - 2 * TIMEOUT_SECONDS)
    for index, message in enumerate(messages):
        if time.monotonic() > deadline:  # give the rest back before the lease runs out
            rest = [m.pk for m in messages[index:]]
            BuyerMessage.objects.filter(
                pk__in=rest, delivered_at__isnull=True, next_attempt_at=lease_until
            ).update(next_attempt_at=timezone.now(), attempts=F("attempts") - 1)
            break
        try:
            post(message, url=url, secret=secret)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"[:1000]
            logger.warning("buyer message %s not delivered: %s", message.pk, error)
            _mine(message, lease_until).update(
                next_attempt_at=timezone.now() + backoff(message.attempts), last_error=error
            )
            report.failed += 1
        else:
            _mine(message, lease_until).update(
                delivered_at=timezone.now(), next_attempt_at=None, last_error=""
            )
            report.delivered += 1
    return report


def deliver_due_messages(*, at=None, batch_size: int = BATCH_SIZE, max_batches=None, on_batch=None):
    """Deliver every message due now, batch after batch (the task and the periodic re-send).
    Messages that fail are retried later by their own backoff, not in this run."""
    at = at or timezone.now()
    report, batches = DeliveryReport(), 0
    while max_batches is None or batches < max_batches:
        batch = deliver_batch(at=at, limit=batch_size)
        if batch is None:
            break
        report, batches = report + batch, batches + 1
        if on_batch:
            on_batch(batch.delivered)
    return report
