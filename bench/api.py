#!/usr/bin/env python
"""Benchmark of the API write path (docs/quality.md): gunicorn on loopback, a load generator
posting merchant replies to distinct tickets, against the same server's /healthz in the same run.
Target: reply throughput ≥ 30 % of /healthz.

1. A dedicated PostgreSQL database (urge_bench_api, dropped and rebuilt each run; never a test
   database) is migrated and filled with one shop, its merchant and N tickets awaiting a reply.
2. gunicorn serves config.wsgi with the production settings on 127.0.0.1 (a free port), as behind
   a TLS proxy (the generator sends X-Forwarded-Proto: https).
3. Rounds alternate a /healthz phase and a reply phase of fixed length with the same number of
   client threads (Python http.client, one connection per request as gunicorn's sync workers
   close them). Each reply goes to a ticket never replied before, with a fresh Idempotency-Key,
   as a careful client sends it. The ratio of the median rates is the result.

    .venv/bin/python bench/api.py [--tickets N] [--seconds S] [--rounds R] [--clients C]
                                  [--workers W] [--no-idempotency-key]

BENCH_API_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/urge_bench_api) names the
database, BENCH_API_REDIS_URL (default redis://127.0.0.1:6379/15) the broker and cache.
Everything is bounded: phases stop on time or when the tickets run out, the server is stopped
at the end (also on errors). Ends with `RESULT name=value target=value ok|short`.
"""

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/urge_bench_api"
TARGET = 0.30
HOST = "127.0.0.1"


def database_url() -> str:
    return os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_URL)


def server_env() -> dict:
    var_dir = Path(os.environ.get("BENCH_API_VAR_DIR", "/tmp/var_bench_api"))
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "x" * 50),
        "DATABASE_URL": database_url(),
        "ALLOWED_HOSTS": HOST,
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "ERROR",
        # As deployed: the outbox's delivery request goes to Redis after each commit.
        "REDIS_URL": os.environ.get("BENCH_API_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "PYTHONPATH": str(ROOT),
        # One merchant token sends every reply: its rate (1,200 a minute) would cap the run.
        # The throttle still counts each request in Redis, as deployed.
        "API_RATE_USER": "1000000/s",
    }


# -- the database --------------------------------------------------------------------------


def recreate_database():
    import psycopg

    url = urlsplit(database_url())
    name = url.path.lstrip("/")
    admin_url = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=server_env(), check=True
    )


def seed(n_tickets: int) -> tuple[str, list[int]]:
    """One shop, its merchant (a DRF token) and n tickets awaiting a reply, bulk-inserted."""
    os.environ.update(server_env())
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from tickets.models import Order, Shop, ShopMembership, Ticket
    from tickets.policy import policy_in_force

    User = django.contrib.auth.get_user_model()
    now = timezone.now()
    shop = Shop.objects.create(code="bench-shop", name="Bench", platform="taobao")
    merchant = User.objects.create(username="bench-merchant")
    ShopMembership.objects.create(user=merchant, shop=shop)
    buyer = User.objects.create(username="bench-buyer")
    policy = policy_in_force(platform="taobao", at=now)
    orders = Order.objects.bulk_create(
        Order(
            order_no=f"BENCH{i:07d}",
            shop=shop,
            buyer=buyer,
            amount=Decimal("100.00"),
            paid_at=now - dt.timedelta(hours=1),
        )
        for i in range(n_tickets)
    )
    tickets = Ticket.objects.bulk_create(
        Ticket(
            order=order,
            shop=shop,
            buyer=buyer,
            policy=policy,
            created_at=now,
            reply_due_at=now + policy.reply_window,
        )
        for order in orders
    )
    token = Token.objects.create(user=merchant).key
    ids = [t.pk for t in tickets]
    connection.close()
    return token, ids


# -- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(),
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def request(port, method, path, body=None, headers=None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        all_headers = {"X-Forwarded-Proto": "https", **(headers or {})}
        if body is not None:
            body = json.dumps(body).encode()
            all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- the load ------------------------------------------------------------------------------


def run_phase(clients: int, seconds: float, make_request) -> tuple[float, int, int]:
    """`clients` threads call make_request() until time is up or it returns None (nothing
    left). Returns (successes per second, successes, failures)."""
    ok, failed, lock = [0], [0], threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        while time.monotonic() < stop_at:
            result = make_request()
            if result is None:
                return
            with lock:
                if result:
                    ok[0] += 1
                else:
                    failed[0] += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return ok[0] / elapsed, ok[0], failed[0]


# -- batch reply (§14) ---------------------------------------------------------------------

BATCH = 200
BATCH_TARGET = 0.30


def measure_batch_reply(port: int, token: str, ticket_ids: list[int]) -> float:
    """docs/quality.md "batch reply": one `batch-reply` of BATCH tickets against BATCH single
    replies, one after another from one client, each to tickets never replied before, every
    request with its own Idempotency-Key. Needs 2 × BATCH ticket ids. Prints
    `RESULT batch_reply_vs_single=<batch time ÷ singles' time> target=0.30 ok|short`."""
    singles, batch = ticket_ids[:BATCH], ticket_ids[BATCH : 2 * BATCH]
    if len(batch) < BATCH:
        raise SystemExit(f"the batch measurement needs {2 * BATCH} tickets")
    ship_by = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    reply = {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by}

    def headers():
        return {"Authorization": f"Token {token}", "Idempotency-Key": uuid.uuid4().hex}

    failures = 0
    started = time.monotonic()
    for ticket_id in singles:
        status, _ = request(port, "POST", f"/api/v1/tickets/{ticket_id}/reply/", reply, headers())
        failures += status != 200
    single_seconds = time.monotonic() - started
    started = time.monotonic()
    status, body = request(
        port, "POST", "/api/v1/tickets/batch-reply/", {"tickets": batch, **reply}, headers()
    )
    batch_seconds = time.monotonic() - started
    replied = json.loads(body).get("replied") if status == 200 else None
    ratio = batch_seconds / single_seconds if single_seconds else 0.0
    print(
        f"{BATCH} single replies {single_seconds:.2f} s ({failures} failed), one batch of "
        f"{BATCH} {batch_seconds:.2f} s (status {status}, replied {replied})",
        flush=True,
    )
    verdict = "ok" if ratio <= BATCH_TARGET and not failures and replied == BATCH else "short"
    print(f"RESULT batch_reply_vs_single={ratio:.2f} target={BATCH_TARGET:.2f} {verdict}")
    return ratio


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--no-idempotency-key", action="store_true")
    parser.add_argument("--no-batch", action="store_true", help="skip the batch-reply measure")
    args = parser.parse_args()

    print(f"database {urlsplit(database_url()).path.lstrip('/')}: rebuilding", flush=True)
    recreate_database()
    token, ticket_ids = seed(args.tickets + (0 if args.no_batch else 2 * BATCH))
    batch_ids = [] if args.no_batch else ticket_ids[: 2 * BATCH]
    ticket_ids = ticket_ids[len(batch_ids) :]
    print(f"seeded {len(ticket_ids)} tickets awaiting a reply", flush=True)

    port = free_port()
    server = start_server(port, args.workers)
    errors = []
    try:
        remaining = iter(ticket_ids)
        take = threading.Lock()
        ship_by = (dt.date.today() + dt.timedelta(days=5)).isoformat()
        auth = {"Authorization": f"Token {token}"}

        def healthz():
            status, _ = request(port, "GET", "/healthz")
            return status == 200

        def reply():
            with take:
                ticket_id = next(remaining, None)
            if ticket_id is None:
                return None
            headers = dict(auth)
            if not args.no_idempotency_key:
                headers["Idempotency-Key"] = uuid.uuid4().hex
            status, body = request(
                port,
                "POST",
                f"/api/v1/tickets/{ticket_id}/reply/",
                {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by},
                headers,
            )
            if status != 200 and len(errors) < 5:
                errors.append((status, body[:300]))
            return status == 200

        run_phase(args.clients, 1.0, healthz)  # warm the workers up
        if not args.no_batch:
            measure_batch_reply(port, token, batch_ids)
        health_rates, reply_rates = [], []
        for round_no in itertools.count(1):
            if round_no > args.rounds:
                break
            h_rate, h_ok, h_failed = run_phase(args.clients, args.seconds, healthz)
            r_rate, r_ok, r_failed = run_phase(args.clients, args.seconds, reply)
            health_rates.append(h_rate)
            reply_rates.append(r_rate)
            print(
                f"round {round_no}: /healthz {h_rate:7.1f}/s ({h_ok} ok, {h_failed} failed)   "
                f"reply {r_rate:7.1f}/s ({r_ok} ok, {r_failed} failed)",
                flush=True,
            )
            if r_failed or h_failed:
                break
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    for status, body in errors:
        print(f"error {status}: {body!r}")
    health, replies = statistics.median(health_rates), statistics.median(reply_rates)
    ratio = replies / health if health else 0.0
    print(
        f"median /healthz {health:.1f}/s, median reply {replies:.1f}/s "
        f"(clients={args.clients}, gunicorn workers={args.workers}, "
        f"idempotency keys={'no' if args.no_idempotency_key else 'yes'})"
    )
    verdict = "ok" if ratio >= TARGET and not errors else "short"
    print(f"RESULT api_reply_vs_healthz={ratio:.2f} target={TARGET:.2f} {verdict}")


if __name__ == "__main__":
    main()
