#!/usr/bin/env python
"""Benchmark of the API write path (docs/quality.md): gunicorn on loopback, a load generator
posting merchant replies to distinct tickets, against a raw-SQL floor (bench/floor.py: a bare
WSGI app doing the reply's writes by hand) served by the same gunicorn in the same run.
Target: the project's reply throughput ≥ 50 % of the floor's.

1. A dedicated PostgreSQL database (urge_bench_api, dropped and rebuilt each run; never a test
   database) is migrated and filled with one shop, its merchant and N tickets awaiting a reply.
2. gunicorn serves config.wsgi with the production settings on 127.0.0.1 (a free port), as behind
   a TLS proxy (the generator sends X-Forwarded-Proto: https); a second gunicorn, with the same
   settings, serves the floor on the same database. Each side replies to its own half of the
   tickets.
3. Each round runs, for each side (the side going first alternates), a /healthz phase and a
   reply phase of fixed length with the same number of client threads (Python http.client, one
   connection per request as gunicorn's sync workers close them). Each reply goes to a ticket
   never replied before, with a fresh Idempotency-Key, as a careful client sends it. The two
   reply phases of a round run back to back; the median over the rounds of their ratio
   (project ÷ floor) is the result. Each side's median reply/healthz ratio is printed too, and
   its CPU per reply: its gunicorn processes' and the database server processes' CPU time over
   its reply phases (only one side runs at a time) divided by the replies made.

    .venv/bin/python bench/api.py [--tickets N] [--seconds S] [--rounds R] [--clients C]
                                  [--workers W] [--no-idempotency-key] [--no-batch]

BENCH_API_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/urge_bench_api) names the
database, BENCH_API_REDIS_URL (default redis://127.0.0.1:6379/15) the broker and cache.
Everything is bounded: phases stop on time or when the tickets run out, the servers are stopped
at the end (also on errors). Ends with `RESULT name=value target=value ok|short`.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402
from common import HOST, ROOT, free_port, stop_server  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/urge_bench_api"
TARGET = 0.50


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


def start_server(port: int, workers: int, app: str = "config.wsgi:application"):
    return common.start_server(port, workers, server_env(), app)


def request(port, method, path, body=None, headers=None) -> tuple[int, bytes]:
    return common.request(port, method, path, body, headers)[:2]


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


FLOOR_APP = "bench.floor:application"  # the raw-SQL floor (bench/floor.py)
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> float:
    """User + system CPU of these processes so far (Linux /proc; gone processes count 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def server_pids(server: subprocess.Popen) -> list[int]:
    """gunicorn's master and its workers."""
    try:
        with open(f"/proc/{server.pid}/task/{server.pid}/children") as children:
            return [server.pid, *map(int, children.read().split())]
    except OSError:
        return [server.pid]


def backend_pids() -> list[int]:
    """The PostgreSQL server processes serving the benchmark's database."""
    import psycopg

    name = urlsplit(database_url()).path.lstrip("/")
    with psycopg.connect(database_url(), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        ).fetchall()
    return [pid for (pid,) in rows]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=30000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
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

    # The project and the floor serve the same database, each with its own half of the
    # tickets, side by side for the whole run.
    ports = {"project": free_port(), "floor": free_port()}
    servers = {}
    errors = []
    try:
        servers["project"] = start_server(ports["project"], args.workers)
        servers["floor"] = start_server(ports["floor"], args.workers, FLOOR_APP)
        half = len(ticket_ids) // 2
        remaining = {"project": iter(ticket_ids[:half]), "floor": iter(ticket_ids[half:])}
        take = threading.Lock()
        ship_by = (dt.date.today() + dt.timedelta(days=5)).isoformat()
        auth = {"Authorization": f"Token {token}"}

        def healthz(side):
            return lambda: request(ports[side], "GET", "/healthz")[0] == 200

        def reply(side):
            def post():
                with take:
                    ticket_id = next(remaining[side], None)
                if ticket_id is None:
                    return None
                headers = dict(auth)
                if not args.no_idempotency_key:
                    headers["Idempotency-Key"] = uuid.uuid4().hex
                status, body = request(
                    ports[side],
                    "POST",
                    f"/api/v1/tickets/{ticket_id}/reply/",
                    {"plan": "ship_later", "reason": "stock_shortage", "ship_by": ship_by},
                    headers,
                )
                if status != 200 and len(errors) < 5:
                    errors.append((side, status, body[:300]))
                return status == 200

            return post

        for side in servers:  # warm the workers up, on both paths
            run_phase(args.clients, 1.0, healthz(side))
            run_phase(args.clients, 1.0, reply(side))
        if not args.no_batch:
            measure_batch_reply(ports["project"], token, batch_ids)
        rates = {(side, what): [] for side in servers for what in ("healthz", "reply")}
        failed = False
        ratios = []
        cpu = {side: [] for side in servers}  # per reply: [app ms, database ms] by round
        for round_no in range(1, args.rounds + 1):
            # The two reply phases run back to back (which side goes first alternates): the
            # machine's load drifts, and each round's ratio compares like with like.
            order = ["project", "floor"] if round_no % 2 else ["floor", "project"]
            line = []
            for what, make in (("healthz", healthz), ("reply", reply)):
                for side in order:
                    # CPU of the side's gunicorn and of the database's server processes (only
                    # one side runs at a time): where each reply's time goes.
                    pids = (server_pids(servers[side]), backend_pids())
                    before = [cpu_seconds(p) for p in pids]
                    rate, ok, bad = run_phase(args.clients, args.seconds, make(side))
                    if what == "reply" and ok:
                        used = [cpu_seconds(p) - b for p, b in zip(pids, before, strict=True)]
                        cpu[side].append([1000 * u / ok for u in used])
                    rates[side, what].append(rate)
                    line.append(f"{side} {what} {rate:6.1f}/s ({ok} ok, {bad} failed)")
                    failed = failed or bool(bad)
            floor_rate = rates["floor", "reply"][-1]
            ratios.append(rates["project", "reply"][-1] / floor_rate if floor_rate else 0.0)
            print(f"round {round_no}: " + ", ".join(line) + f"; ratio {ratios[-1]:.2f}", flush=True)
            if failed:
                break
    finally:
        for server in servers.values():
            stop_server(server)
    for side, status, body in errors:
        print(f"error ({side}) {status}: {body!r}")
    median = {key: statistics.median(values) for key, values in rates.items()}
    for side in ("project", "floor"):
        health, replies = median[side, "healthz"], median[side, "reply"]
        print(
            f"{side:>7}: median /healthz {health:7.1f}/s, median reply {replies:7.1f}/s "
            f"(reply/healthz {replies / health if health else 0.0:.2f})"
        )
    for side, rounds in cpu.items():
        if rounds:
            app, db = (statistics.median(r[i] for r in rounds) for i in (0, 1))
            print(
                f"{side:>7}: CPU per reply (median) {app:5.2f} ms gunicorn, {db:5.2f} ms database"
            )
    print(
        f"clients={args.clients}, gunicorn workers={args.workers} each, "
        f"idempotency keys={'no' if args.no_idempotency_key else 'yes'}"
    )
    ratio = statistics.median(ratios) if ratios else 0.0
    print("reply rate ratios (project ÷ floor) by round: " + ", ".join(f"{r:.2f}" for r in ratios))
    verdict = "ok" if ratio >= TARGET and not errors else "short"
    print(f"RESULT api_reply_vs_floor={ratio:.2f} target={TARGET:.2f} {verdict}")


if __name__ == "__main__":
    main()
