"""The broker goes down, again and again, while merchants and buyers act (docs/quality.md,
§10, §16): every request still succeeds, the worker never dies, every buyer message is
delivered once Redis is back and none twice, and every sweep runs again within two minutes of
the broker's return.

Real processes: a private redis-server on a free port (never the shared one), a Celery worker
with embedded beat ticking every second, and the requests in another process, all on the test
database; a local webhook receives the messages, slowly, so that a delivery task is usually
running (its message unacknowledged) at the moment Redis goes away: the case that used to
kill the worker."""

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.utils import timezone

from complaints.models import Complaint
from tests import factories
from tests.concurrency.bulk import process_env
from tests.sweeps.webhook import Webhook
from tickets.models import BuyerMessage, Ticket

ROOT = Path(__file__).resolve().parents[2]
SECRET = "outage-test-secret"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A throw-away redis-server of this test only, without persistence."""

    def __init__(self, directory: Path):
        self.port, self.directory, self.process = free_port(), directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                if client.ping():
                    return
            time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def webhook():
    hook = Webhook(delay=0.3)
    yield hook
    hook.close()


@pytest.fixture
def worker(private_redis, webhook, tmp_path):
    env = process_env(
        tmp_path,
        CELERY_BROKER_URL=private_redis.url,
        BUYER_MESSAGE_WEBHOOK_URL=webhook.url,
        BUYER_MESSAGE_WEBHOOK_SECRET=SECRET,
        SWEEP_INTERVAL_SECONDS="1",
        LOG_LEVEL="INFO",
    )
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-B",
            "--concurrency",
            "2",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "INFO",
            "--schedule",
            str(tmp_path / "beat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def requests(shop, prefix, count, *, broker_url, var_dir) -> dict:
    env = process_env(var_dir, CELERY_BROKER_URL=broker_url)
    out = subprocess.run(
        [sys.executable, "-m", "tests.concurrency.make_requests", shop.code, prefix, str(count)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic() - (deadline - timeout)
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def due_for_every_sweep(shop) -> dict:
    """One item past its deadline for each periodic sweep, made through the services."""
    now = timezone.now()
    timed_out = factories.urged(shop=shop, at=now - dt.timedelta(hours=25))
    silent = factories.replied(plan="ship_later", shop=shop, at=now - dt.timedelta(hours=25))
    missed = factories.agreed(shop=shop, days=0, at=now - dt.timedelta(days=3))
    reviewed = factories.replied(plan="cannot_ship", shop=shop, at=now - dt.timedelta(hours=49))
    return {
        "reply_timeouts": lambda: Ticket.objects.get(pk=timed_out.pk).state == "platform_review",
        "buyer_silence": lambda: Ticket.objects.get(pk=silent.pk).state == "agreed",
        "missed_ship_dates": lambda: Ticket.objects.get(pk=missed.pk).state == "platform_review",
        "review_overdue": lambda: (
            Complaint.objects.get(ticket_id=reviewed.pk).review_overdue_flagged_at is not None
        ),
    }


OUTAGES = 10


def test_worker_survives_ten_redis_outages_and_every_message_arrives_once(
    private_redis, webhook, worker, tmp_path
):
    shop = factories.ShopFactory()
    url = private_redis.url

    def delivered_ids():
        return [int(headers["X-Urge-Event-Id"]) for headers, _ in webhook.received]

    messages = BuyerMessage.objects.filter(ticket__shop=shop)
    before = requests(shop, "up", 3, broker_url=url, var_dir=tmp_path)
    assert before["done"] == 3
    wait_for(lambda: len(set(delivered_ids())) >= 3, 180, "delivery while Redis is up")

    for outage in range(OUTAGES):
        # Messages to deliver, so that a (slow) delivery is running when Redis goes away.
        requests(shop, f"busy{outage}", 3, broker_url=url, var_dir=tmp_path)
        time.sleep(0.5)
        private_redis.stop()
        during = requests(shop, f"down{outage}", 2, broker_url=url, var_dir=tmp_path)
        assert during["done"] == 2  # every request succeeded with the broker down
        due = due_for_every_sweep(shop)
        time.sleep(1)
        assert worker.poll() is None, f"the worker died during outage {outage + 1}"

        private_redis.start()
        for sweep, swept in due.items():
            waited = wait_for(swept, 120, f"{sweep} after outage {outage + 1}")
            print(f"outage {outage + 1}: {sweep} ran {waited:.1f} s after Redis returned")
        assert worker.poll() is None, f"the worker died after outage {outage + 1}"

    wait_for(
        lambda: not messages.filter(delivered_at__isnull=True).exists(),
        180,
        "the re-send of every message after the last outage",
    )
    time.sleep(3)  # beat keeps re-sending every second: nothing more may arrive
    ids = delivered_ids()
    assert sorted(ids) == sorted(messages.values_list("pk", flat=True))  # all, none twice
    for headers, body in webhook.received:
        signed = f"{headers['X-Urge-Timestamp']}.".encode() + body
        digest = hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert headers["X-Urge-Signature"] == f"v1={digest}"
    assert worker.poll() is None, "the worker survived every outage"
    log = (tmp_path / "worker.log").read_text()
    assert "Unrecoverable error" not in log
