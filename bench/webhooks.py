#!/usr/bin/env python
"""Benchmark of webhook delivery (§15, docs/webhooks.md): 10,000 merchant events delivered
through the delivery outbox (claim by lease, the body stored when the event was written,
HMAC-signed, POSTed, recorded) to a local receiver, against a floor in the
same run on the same rows: per delivery, the ticket read as JSON in one statement, the body
signed and POSTed with bare http.client, the row marked delivered in one statement (psycopg,
no Django), with the same number of processes and the same receiver.

1. A dedicated PostgreSQL database (urge_bench_webhooks, dropped and rebuilt each run; never a
   test database) is migrated and filled with one shop, its subscription, 100 tickets and N
   `ticket.opened` events for them, each with its pending delivery.
2. The receiver is a separate process (ThreadingHTTPServer on 127.0.0.1, answers 200).
3. W worker processes deliver side by side (`delivery.deliver_due`, as the Celery task does)
   until nothing is due; then the rows are made pending again and W floor processes deliver
   them by hand.

    .venv/bin/python bench/webhooks.py [--events N] [--workers W]

BENCH_WEBHOOKS_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/urge_bench_webhooks)
names the database. Ends with `RESULT webhook_delivery_per_s=<n> target=<n> ok|short`: the
target is half the floor's rate.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import run_json

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/urge_bench_webhooks"
FLOOR_SHARE = 0.5
TICKETS = 100


def database_url() -> str:
    return os.environ.get("BENCH_WEBHOOKS_DATABASE_URL", DEFAULT_URL)


def env() -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DATABASE_POOL": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "LOG_LEVEL": "ERROR",
        "VAR_DIR": os.environ.get("VAR_DIR", "/tmp/var_bench_webhooks"),
        "WEBHOOKS_ALLOW_PRIVATE": "true",  # the receiver is on loopback
        "CELERY_BROKER_URL": "memory://localhost/",
    }


def rebuild_database():
    import psycopg

    parts = urlsplit(database_url())
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env(), cwd=ROOT, check=True)


def child(role: str, *args) -> dict:
    return run_json(__file__, ["--child", role, *map(str, args)], env())


def start_children(role: str, count: int, *args) -> list[subprocess.Popen]:
    return [
        subprocess.Popen(
            [sys.executable, __file__, "--child", role, *map(str, args)],
            env=env(),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]


def collect(processes) -> list[dict]:
    results = []
    for process in processes:
        out, _ = process.communicate(timeout=1800)
        if process.returncode:
            raise SystemExit(f"a child failed ({process.returncode})")
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


# -- children ------------------------------------------------------------------------------


def setup_django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def receiver():
    """Answer every POST with 200 after reading its body; print the port, then serve."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.request_queue_size = 256
    print(server.server_port, flush=True)
    server.serve_forever()


def fill(url: str, events: int) -> dict:
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from tests import factories
    from webhooks import bodies, services
    from webhooks.models import Delivery, Event

    staff = factories.merchant(username="bench-merchant")
    shop = staff.shops.get()
    tickets = [factories.urged(shop=shop) for _ in range(TICKETS)]
    subscription = services.subscription_create(
        actor=staff, shop_id=shop.pk, url=url, events=["ticket.opened"]
    )
    now = timezone.now()
    with transaction.atomic():
        made = [
            Event(shop=shop, type="ticket.opened", created_at=now, ticket=tickets[i % TICKETS])
            for i in range(events)
        ]
        bodies.render(made, at=now)  # as when written (not timed: delivery is)
        Event.objects.bulk_create(made, batch_size=2000)
        Delivery.objects.bulk_create(
            (
                Delivery(event=e, subscription=subscription, created_at=now, next_attempt_at=now)
                for e in made
            ),
            batch_size=2000,
        )
    return {"events": len(made), "secret": subscription.secret}


def deliver(start_at: float) -> dict:
    setup_django()
    from django.db import connection

    from tickets import delivery
    from webhooks.outbox import MERCHANT_EVENTS

    connection.ensure_connection()
    time.sleep(max(start_at - time.time(), 0))
    report = delivery.deliver_due(MERCHANT_EVENTS)
    return {"end": time.time(), "delivered": report.delivered, "failed": report.failed}


FLOOR_SQL = {
    # The least a delivery reads and writes: the event's ticket as JSON, then the row marked.
    "read": "SELECT e.id, row_to_json(t)::text FROM webhooks_event e "
    "JOIN tickets_ticket t ON t.id = e.ticket_id WHERE e.id = %s",
    "mark": "UPDATE webhooks_delivery SET delivered_at = now(), last_status_code = 200, "
    "attempts = attempts + 1 WHERE id = %s",
}


def floor(url: str, worker: int, workers: int, secret: str, start_at: float) -> dict:
    """What a delivery cannot do without, by hand: read the event's ticket as JSON, sign the
    body, POST it on a new connection, mark the row delivered; over this worker's share of the
    rows, with psycopg and no Django."""
    import hashlib
    import hmac
    import http.client

    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(database_url(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT id, event_id FROM webhooks_delivery WHERE id %% %s = %s ORDER BY id",
            [workers, worker],
        ).fetchall()
        time.sleep(max(start_at - time.time(), 0))
        for pk, event_id in rows:
            event, ticket = conn.execute(FLOOR_SQL["read"], [event_id]).fetchone()
            head = json.dumps({"id": str(event), "type": "ticket.opened"})[:-1]
            body = f'{head}, "data": {{"ticket": {ticket}}}}}'.encode()
            timestamp = str(int(time.time()))
            mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
            http_conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
            http_conn.request(
                "POST",
                parts.path,
                body=body,
                headers={
                    "X-Urge-Timestamp": timestamp,
                    "X-Urge-Signature": "v1=" + mac.hexdigest(),
                },
            )
            response = http_conn.getresponse()
            response.read(4096)
            http_conn.close()
            assert response.status == 200
            conn.execute(FLOOR_SQL["mark"], [pk])
    return {"end": time.time(), "sent": len(rows)}


def reset() -> dict:
    setup_django()
    from webhooks.models import Delivery

    return {"reset": Delivery.objects.update(delivered_at=None, attempts=0)}


def counts() -> dict:
    setup_django()
    from webhooks.models import Delivery

    return {
        "delivered": Delivery.objects.filter(delivered_at__isnull=False).count(),
        "pending": Delivery.objects.filter(delivered_at__isnull=True).count(),
    }


def main_child(role, args):
    if role == "receiver":
        return receiver()
    if role == "fill":
        out = fill(args[0], int(args[1]))
    elif role == "deliver":
        out = deliver(float(args[0]))
    elif role == "floor":
        out = floor(args[0], int(args[1]), int(args[2]), args[3], float(args[4]))
    elif role == "counts":
        out = counts()
    elif role == "reset":
        out = reset()
    else:
        raise SystemExit(f"unknown child role {role}")
    print(json.dumps(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="delivering processes")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return main_child(options.child[0], options.child[1:])

    rebuild_database()
    server = subprocess.Popen(
        [sys.executable, __file__, "--child", "receiver"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = f"http://127.0.0.1:{int(server.stdout.readline())}/events"
        filled = child("fill", url, options.events)
        print(
            f"{filled['events']:,} events pending for one subscription; {options.workers} workers"
        )

        start = time.time() + 3  # every worker has Django set up and a connection by then
        results = collect(start_children("deliver", options.workers, start))
        seconds = max(r["end"] for r in results) - start
        done = child("counts")
        if done["delivered"] != options.events or any(r["failed"] for r in results):
            raise SystemExit(f"not every event was delivered once: {done}, {results}")
        rate = options.events / seconds

        # The floor, on the same rows made pending again.
        child("reset")
        start = time.time() + 2
        floors = collect(
            [
                subprocess.Popen(
                    [sys.executable, __file__, "--child", "floor", url, str(worker)]
                    + [str(options.workers), filled["secret"], str(start)],
                    env=env(),
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for worker in range(options.workers)
            ]
        )
        sent = sum(r["sent"] for r in floors)
        floor_rate = sent / (max(r["end"] for r in floors) - start)
    finally:
        server.terminate()
        server.wait()
    print(f"project: {options.events:,} delivered in {seconds:.1f} s ({rate:.0f}/s)")
    print(f"floor: ticket read as JSON, signed, POSTed, row marked, by hand: {floor_rate:.0f}/s")
    target = FLOOR_SHARE * floor_rate
    ok = "ok" if rate >= target else "short"
    print(f"RESULT webhook_delivery_per_s={rate:.0f} target={target:.0f} {ok}")


if __name__ == "__main__":
    main()
