"""The delivery outbox: one machinery for every outbox (§10 buyer messages, §15 merchant
events), so leasing, signing, retrying, dead-lettering and redelivery are written once.

An outbox is a model of `OutboxRow` (rows written in the causing transaction) and an `Outbox`
registered here: its name (the `outbox` label of the metrics) and how one row becomes an
`Envelope` (where to, with which secret, the event's id, type and body).

- **Claim by lease.** Pending rows whose `next_attempt_at` has come are claimed in small batches
  by a guarded UPDATE that moves `next_attempt_at` a lease ahead, in a short transaction
  (`FOR UPDATE SKIP LOCKED` on PostgreSQL), through the outbox's partial index: concurrent
  workers never hold the same row and no transaction stays open while a receiver is called. A
  worker that dies leaves its rows to be claimed again when the lease ends.
- **Signed.** `X-Urge-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">` with
  `X-Urge-Timestamp` (Unix seconds), `X-Urge-Event-Id` and `X-Urge-Event-Type` (§15), so a
  receiver can refuse a replayed request by its age.
- **Retried, then dead.** A 2xx answer within `TIMEOUT_SECONDS` is delivered; anything else
  (another status, a redirect, a timeout, a refused connection) is retried with exponential
  backoff, 1 minute doubling to 6 hours, until the row's retry horizon (`HORIZON`, 24 hours
  from its first attempt) has passed; the failure after that makes the row `dead`.
- **Redelivered by operations** (`redeliver`): dead rows become pending again with a fresh
  horizon; the event is the same row, never a copy. A merchant may ask for a delivered event
  again the same way (§15).
- **Guarded** (an envelope's `check`): the host is resolved, the addresses are checked, and the
  connection goes to the checked address (§15: no way into the platform's own network).
- **Logged**: the status and the first 4 KiB of the receiver's answer stay on the row.
- **No receiver configured** (an empty URL): the row is logged and marked delivered.

Delivery is at least once with respect to crashes (a worker killed between the POST and the
UPDATE that records it): receivers de-duplicate by `X-Urge-Event-Id`. Between live workers a
row is delivered once: a worker stops before its lease runs out and gives the rest back.

Enqueueing a delivery run is a seam: the task module registers how (`on_delivery_requested`),
so this module and the outboxes sit below the tasks and import none of them."""

import datetime as dt
import hashlib
import hmac
import http.client
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.db import connection, models, transaction
from django.db.models import Count, F, Min, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import PENDING_DELIVERY, OutboxRow

logger = logging.getLogger(__name__)

BATCH_SIZE = 20
TIMEOUT_SECONDS = 10
# A claimed batch must be finished well within its lease: BATCH_SIZE × TIMEOUT_SECONDS = 200 s.
LEASE = dt.timedelta(minutes=10)
FIRST_RETRY = dt.timedelta(minutes=1)
MAX_RETRY = dt.timedelta(hours=6)
HORIZON = dt.timedelta(hours=24)
ERROR_LENGTH = 1000
RESPONSE_LENGTH = 4096  # bytes of the receiver's answer read into the log, at most


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 1 minute, doubling, at most 6 hours."""
    return min(FIRST_RETRY * 2 ** min(max(attempts - 1, 0), 16), MAX_RETRY)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """`X-Urge-Signature`: `v1=` and the hex HMAC-SHA256 of `<timestamp>.<body>`."""
    message = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Envelope:
    """What one row sends: to `url` (empty: log it and mark it delivered), signed with
    `secret`."""

    url: str
    secret: str
    event_id: str
    event_type: str
    body: bytes
    # Checked after DNS, before connecting: raises `Refused` for a URL or an address the
    # outbox must not reach (§15's merchant URLs); None: any.
    check: Callable[[str, list[str]], None] | None = None

    def headers(self, timestamp: int) -> dict:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "urge-tickets/1",
            "X-Urge-Event-Id": self.event_id,
            "X-Urge-Event-Type": self.event_type,
            "X-Urge-Timestamp": str(timestamp),
            "X-Urge-Signature": signature(secret=self.secret, timestamp=timestamp, body=self.body),
        }


@dataclass(frozen=True)
class Outbox:
    name: str  # the `outbox` label of the metrics (§16): buyer_messages, merchant_events
    model: type[OutboxRow]
    envelope: Callable[[OutboxRow], Envelope]
    related: tuple[str, ...] = ()  # select_related for building envelopes
    on_dead: Callable[[OutboxRow], None] | None = None  # after a row became dead

    @property
    def rows(self) -> models.QuerySet:
        return self.model._default_manager.all()

    def pending(self) -> models.QuerySet:
        return self.rows.filter(PENDING_DELIVERY)

    def due(self, at) -> models.QuerySet:
        """Pending rows that may be tried at `at`, in the order of the pending index."""
        return self.pending().filter(next_attempt_at__lte=at).order_by("next_attempt_at")

    def dead(self) -> models.QuerySet:
        return self.rows.filter(dead_at__isnull=False)


OUTBOXES: dict[str, Outbox] = {}


def register(outbox: Outbox) -> Outbox:
    OUTBOXES[outbox.name] = outbox
    return outbox


# -- asking for a delivery run after a commit --------------------------------------------------

# A burst of commits asks for one delivery run, not one each: after enqueueing, a process asks
# again only once DELIVERY_DEBOUNCE has passed, and the run it enqueued waits that long before
# it starts. So every row committed while this process held back (after its last enqueue and
# before the wait ended) is already committed when that run claims the due rows.
DELIVERY_DEBOUNCE = 1.0  # seconds
_enqueuers: dict[str, Callable[[float], None]] = {}
_next_enqueue: dict[str, float] = {}  # outbox → time.monotonic() before which nothing more


def on_delivery_requested(name: str, enqueue: Callable[[float], None]) -> None:
    """Register how a delivery run of outbox `name` is enqueued (the task module does, with
    the countdown it is given)."""
    _enqueuers[name] = enqueue


def request_delivery(name: str) -> None:
    """Enqueue a delivery run of outbox `name` (at most one per process per DELIVERY_DEBOUNCE).
    A broker failure is logged: the row waits and the periodic re-send covers it."""
    enqueue = _enqueuers.get(name)
    if enqueue is None:  # no task registered in this process: the periodic re-send delivers
        return
    now = time.monotonic()
    if now < _next_enqueue.get(name, 0.0):
        return
    _next_enqueue[name] = now + DELIVERY_DEBOUNCE
    try:
        enqueue(DELIVERY_DEBOUNCE)
    except Exception:  # the broker is down: the row waits in the outbox
        logger.warning("%s delivery not enqueued; the periodic re-send will retry", name)


# -- delivering --------------------------------------------------------------------------------


def claim(outbox: Outbox, *, at, limit: int = BATCH_SIZE) -> tuple[list, dt.datetime]:
    """Take up to `limit` due rows for `LEASE`; returns them and the lease's end. The first
    attempt starts the row's retry horizon."""
    lease_until = at + LEASE
    with transaction.atomic():
        due = outbox.due(at).values_list("pk", flat=True)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ids = list(due[:limit])
        if not ids:
            return [], lease_until
        outbox.pending().filter(pk__in=ids).update(
            next_attempt_at=lease_until,
            attempts=F("attempts") + 1,
            retry_until=Coalesce(
                F("retry_until"), Value(at + HORIZON, output_field=models.DateTimeField())
            ),
        )
    rows = list(
        outbox.pending()
        .filter(pk__in=ids, next_attempt_at=lease_until)
        .select_related(*outbox.related)
        .order_by("pk")
    )
    return rows, lease_until


class Refused(Exception):
    """The envelope's `check` refused the URL or the address it resolves to: nothing sent."""


class Rejected(Exception):
    """The receiver answered, but not 2xx within the timeout (a redirect too: not followed)."""

    def __init__(self, status: int, response: bytes = b""):
        super().__init__(f"HTTP {status}")
        self.status, self.response = status, response


@dataclass(frozen=True)
class Answer:
    status: int
    response: bytes  # the first RESPONSE_LENGTH bytes of the body


class _Pinned:
    """Connect to the address that was resolved and checked, not to whatever the name resolves
    to a moment later (DNS rebinding); TLS still verifies the certificate for the name."""

    def __init__(self, host, port, *, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def _socket(self):
        return socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTP(_Pinned, http.client.HTTPConnection):
    def connect(self):
        self.sock = self._socket()


class _PinnedHTTPS(_Pinned, http.client.HTTPSConnection):
    def connect(self):
        self.sock = self._context.wrap_socket(self._socket(), server_hostname=self.host)


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def post(envelope: Envelope, *, at=None) -> Answer:
    """POST the envelope, signed, to the address its host resolves to (after the envelope's
    `check`). Returns the 2xx answer; raises `Rejected` for any other status (redirects are not
    followed) or an answer later than TIMEOUT_SECONDS, `Refused`, or OSError / HTTPException
    when there is no answer."""
    timestamp = int((at or timezone.now()).timestamp())
    url = urlsplit(envelope.url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise Refused(f"not an http(s) URL: {envelope.url}")
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = resolve(url.hostname, port)
    if envelope.check is not None:
        envelope.check(envelope.url, addresses)
    connection_class = _PinnedHTTPS if url.scheme == "https" else _PinnedHTTP
    started = time.monotonic()
    conn = connection_class(url.hostname, port, address=addresses[0], timeout=TIMEOUT_SECONDS)
    try:
        path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        conn.request("POST", path, body=envelope.body, headers=envelope.headers(timestamp))
        response = conn.getresponse()
        answer = Answer(response.status, response.read(RESPONSE_LENGTH))
    finally:
        conn.close()
    if not 200 <= answer.status < 300:
        raise Rejected(answer.status, answer.response)
    if time.monotonic() - started > TIMEOUT_SECONDS:
        raise TimeoutError(f"answered after more than {TIMEOUT_SECONDS} s")
    return answer


def _response_text(response: bytes) -> str:
    return response.decode("utf-8", errors="replace")


@dataclass
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0

    def __add__(self, other):
        return DeliveryReport(
            self.delivered + other.delivered, self.failed + other.failed, self.dead + other.dead
        )


def _failed(
    outbox: Outbox, row, lease_until, *, error: str, status: int | None, response: bytes = b""
) -> bool:
    """Record a failed attempt: back off, or past the retry horizon, dead. True if dead."""
    now = timezone.now()
    mine = outbox.pending().filter(pk=row.pk, next_attempt_at=lease_until)
    fields = {
        "last_error": error[:ERROR_LENGTH],
        "last_status_code": status,
        "last_response": _response_text(response),
    }
    if now >= row.retry_until:
        died = mine.update(dead_at=now, next_attempt_at=None, **fields)
        logger.error(
            "%s %s is dead after %d attempts: %s", outbox.name, row.pk, row.attempts, error
        )
        if died and outbox.on_dead is not None:
            for name, value in fields.items():
                setattr(row, name, value)
            outbox.on_dead(row)
        return True
    retry_at = min(now + backoff(row.attempts), row.retry_until)
    mine.update(next_attempt_at=retry_at, **fields)
    logger.warning("%s %s not delivered: %s", outbox.name, row.pk, error)
    return False


def deliver_batch(outbox: Outbox, *, at=None, limit: int = BATCH_SIZE) -> DeliveryReport | None:
    """Claim and deliver one batch of `outbox`. None when nothing is due."""
    at = at or timezone.now()
    rows, lease_until = claim(outbox, at=at, limit=limit)
    if not rows:
        return None
    report = DeliveryReport()
    logged = []
    deadline = time.monotonic() + (LEASE.total_seconds() - 2 * TIMEOUT_SECONDS)
    for index, row in enumerate(rows):
        if time.monotonic() > deadline:  # give the rest back before the lease runs out
            outbox.pending().filter(
                pk__in=[r.pk for r in rows[index:]], next_attempt_at=lease_until
            ).update(next_attempt_at=timezone.now(), attempts=F("attempts") - 1)
            break
        envelope = outbox.envelope(row)
        if not envelope.url:
            logger.info(
                "%s %s (%s): %s", outbox.name, row.pk, envelope.event_type, envelope.body.decode()
            )
            logged.append(row.pk)
            continue
        try:
            answer = post(envelope)
        except Rejected as exc:
            dead = _failed(
                outbox, row, lease_until, error=str(exc), status=exc.status, response=exc.response
            )
        except (Refused, OSError, ValueError, http.client.HTTPException) as exc:
            dead = _failed(
                outbox, row, lease_until, error=f"{type(exc).__name__}: {exc}", status=None
            )
        else:
            outbox.pending().filter(pk=row.pk, next_attempt_at=lease_until).update(
                delivered_at=timezone.now(),
                next_attempt_at=None,
                last_error="",
                last_status_code=answer.status,
                last_response=_response_text(answer.response),
            )
            report.delivered += 1
            continue
        report.failed += 1
        report.dead += dead
    if logged:
        report.delivered += (
            outbox.pending()
            .filter(pk__in=logged, next_attempt_at=lease_until)
            .update(delivered_at=timezone.now(), next_attempt_at=None, last_error="")
        )
    return report


def deliver_due(
    outbox: Outbox, *, at=None, batch_size: int = BATCH_SIZE, max_batches=None, on_batch=None
) -> DeliveryReport:
    """Deliver every row of `outbox` due now, batch after batch (the task and the periodic
    re-send). Rows that fail are retried later by their own backoff, not in this run."""
    at = at or timezone.now()
    report, batches = DeliveryReport(), 0
    while max_batches is None or batches < max_batches:
        batch = deliver_batch(outbox, at=at, limit=batch_size)
        if batch is None:
            break
        report, batches = report + batch, batches + 1
        if on_batch:
            on_batch(batch.delivered)
    return report


# -- operations: the backlog and redelivery (§16) ----------------------------------------------


@dataclass(frozen=True)
class Backlog:
    pending: int
    oldest_pending_at: dt.datetime | None
    dead: int

    def oldest_pending_age(self, at) -> float:
        """Seconds since the oldest pending row was written; 0 when none is pending."""
        if self.oldest_pending_at is None:
            return 0.0
        return max((at - self.oldest_pending_at).total_seconds(), 0.0)


def backlog(outbox: Outbox, *, limit: int | None = None) -> Backlog:
    """The outbox's pending rows (counted up to `limit`) with the oldest of them, and its dead
    rows (up to `limit`): two range scans of the partial indexes (`*_pending_age_idx`, oldest
    first, and `*_dead_idx`), each as long as what it counts."""
    pending = outbox.pending().order_by("created_at").values("created_at")
    dead = outbox.dead().order_by("dead_at").values("dead_at")
    if limit is not None:
        pending, dead = pending[:limit], dead[:limit]
    figures = pending.aggregate(n=Count("*"), oldest=Min("created_at"))
    return Backlog(pending=figures["n"], oldest_pending_at=figures["oldest"], dead=dead.count())


def redeliver(outbox: Outbox, *, ids=None, at=None, delivered_too: bool = False) -> int:
    """Operations' redelivery: the dead rows among `ids` (every dead row when None) become
    pending again, due now, with a fresh retry horizon and backoff. With `delivered_too`
    (a merchant asking for an event again, §15), delivered rows among `ids` are sent again the
    same way. Returns how many."""
    at = at or timezone.now()
    rows = outbox.rows.filter(~PENDING_DELIVERY) if delivered_too else outbox.dead()
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    with transaction.atomic():
        count = rows.update(
            dead_at=None,
            delivered_at=None,
            next_attempt_at=at,
            retry_until=at + HORIZON,
            attempts=0,
        )
        if count:
            transaction.on_commit(lambda: request_delivery(outbox.name), robust=True)
    if count:
        logger.info("%s: %d rows redelivered", outbox.name, count)
    return count
