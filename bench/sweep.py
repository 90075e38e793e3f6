#!/usr/bin/env python
"""Benchmark of the deadline sweeps (docs/quality.md, §12), on PostgreSQL.

1. Speed: 1,000,000 open tickets of which 10,000 are past their reply deadline; one shop in
   ten has a webhook subscription (§15). The project's reply-timeout sweep
   (tickets.sweeps.sweep_reply_timeouts) runs on one copy of the data and the raw-SQL floor
   (one UPDATE ... RETURNING feeding INSERT ... SELECT of the complaints, both audit rows, the
   messages, and the subscribed shops' events and deliveries, their bodies rendered in the
   same transaction by the project's set-based renderer) on an identical copy. Target:
   project ≤ 3 × floor.
2. Idle: on the swept copy nothing is due; each sweep, run 20 times. Target: ≤ 50 ms.
3. Memory: 1,000,000 open / 100,000 due; peak RSS of the sweeping process. Target: ≤ 250 MB.

The data are generated once with generate_series into a dedicated database (urge_bench_sweeps;
never a test database) and kept there; every measurement runs on a fresh copy made with
CREATE DATABASE ... TEMPLATE, so runs are repeatable. Each measurement runs in its own child
process (Django set up, connection open, before the clock starts).

    .venv/bin/python bench/sweep.py [--open N] [--due N] [--memory-due N] [--rebuild]

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/urge_bench_sweeps) names the
base database; copies get suffixes. Each part ends with `RESULT name=value target=value ok|short`.
"""

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import run_json

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/urge_bench_sweeps"
# The instant the data are built around: deadlines before it are due, after it are not.
AT = dt.datetime(2026, 6, 18, 12, 0, tzinfo=dt.UTC)
SHOPS, BUYERS = 2_000, 10_000
# §15: one shop in SUBSCRIBED_EVERY has a webhook subscription taking every event, so the
# sweep writes `complaint.filed` events and their deliveries for a tenth of what it files.
SUBSCRIBED_EVERY = 10
FLOOR_RATIO, IDLE_MS, RSS_MB = 3.0, 50.0, 250.0


# -- orchestration (plain psycopg on the maintenance database) ----------------------------


def db_url(name: str) -> str:
    base = urlsplit(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    return urlunsplit(base._replace(path="/" + name))


def base_name() -> str:
    return urlsplit(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)).path.lstrip("/")


def admin():
    import psycopg

    return psycopg.connect(db_url("postgres"), autocommit=True)


def exists(name: str) -> bool:
    with admin() as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()


def drop(name: str):
    with admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def copy(template: str, name: str):
    drop(name)
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def checkpoint():
    """Start each timed run from the same state: nothing dirty, full-page writes due again."""
    with admin() as conn:
        conn.execute("CHECKPOINT")


def child(role: str, db: str, *args) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": db_url(db),
        "DATABASE_POOL": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": os.environ.get("VAR_DIR", "/tmp/var_bench_sweeps"),
        "BUYER_MESSAGE_WEBHOOK_URL": "",
        # Enqueueing delivery after each batch stays in the measurement, in memory.
        "CELERY_BROKER_URL": "memory://localhost/",
    }
    return run_json(__file__, ["--child", role, *map(str, args)], env)


def result(name, value, target, ok, unit=""):
    print(f"RESULT {name}={value}{unit} target={target}{unit} {'ok' if ok else 'short'}")


def ensure_base(open_tickets: int, due: int, rebuild: bool) -> str:
    name = base_name()
    if open_tickets != 1_000_000 or due != 10_000:
        name = f"{name}_{open_tickets}_{due}"
    if rebuild or not exists(name):
        drop(name)
        with admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": db_url(name), "DATABASE_POOL": "0"}
    env.setdefault("VAR_DIR", "/tmp/var_bench_sweeps")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    info = child("generate", name, open_tickets, due)
    if info["generated"]:
        print(f"generated {open_tickets:,} open tickets in {info['seconds']:.0f} s")
    return name


# -- children (Django set up against one copy) --------------------------------------------


def setup_django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    connection.ensure_connection()
    return connection


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(open_tickets: int, due: int) -> dict:
    """Bulk data with generate_series: shops, buyers, orders, tickets in the three waiting
    states (60 % awaiting reply, 20 % awaiting the buyer, 20 % agreed), their urge audit rows
    and messages. `due` of the awaiting-reply tickets are past their deadline at AT."""
    connection = setup_django()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (open int, due int, at timestamptz)")
        cursor.execute("SELECT open, due FROM bench_meta")
        if cursor.fetchone() == (open_tickets, due):
            return {"generated": subscribe_shops()}
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django_fsm_log.models import StateLog

    from tests.concurrency.bulk import insert_generated
    from tickets.models import BuyerMessage, Order, Policy, ReplyReason, Shop, Ticket

    started = time.perf_counter()
    if due > open_tickets * 6 // 10:
        raise SystemExit("--due is at most 60 % of --open (the awaiting-reply share)")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_meta")
        insert_generated(
            get_user_model(),
            "generate_series(1, %(n)s) AS g(i)",
            {
                "username": "'bench-buyer-' || i",
                "password": "'!'",
                "date_joined": "%(at)s::timestamptz",
            },
            at=AT,
            n=BUYERS,
        )
        insert_generated(
            Shop,
            "generate_series(1, %(n)s) AS g(i)",
            {
                "code": "'bench-shop-' || i",
                "name": "'Bench shop ' || i",
                "platform": "CASE WHEN mod(i, 3) = 0 THEN 'tmall' ELSE 'taobao' END",
                "created_at": "%(at)s::timestamptz",
            },
            at=AT,
            n=SHOPS,
        )
        user0 = get_user_model().objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        shop0 = Shop.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        insert_generated(
            Order,
            "generate_series(1, %(n)s) AS g(i)",
            {
                "order_no": "'BENCH' || lpad(i::text, 9, '0')",
                "shop": f"{shop0} + 1 + mod(i, {SHOPS})",
                "buyer": f"{user0} + 1 + mod(i, {BUYERS})",
                "amount": "(10 + mod(i, 500))::numeric(12, 2)",
                "is_fresh": "mod(i, 17) = 0",
                "paid_at": "%(paid)s::timestamptz",
                "created_at": "%(paid)s::timestamptz",
                "updated_at": "%(paid)s::timestamptz",
            },
            paid=AT - dt.timedelta(days=2),
            n=open_tickets,
        )
        policy = dict(Policy.objects.values_list("platform", "pk"))
        ship_later = ReplyReason.objects.get(code="stock_shortage").pk
        exchange = ReplyReason.objects.get(code="exchange_negotiated").pk
        kind = "mod(o.id, 10)"
        # Tickets are created in id order over the last 23 hours (none due yet); the oldest
        # `due` awaiting a reply are then moved past their deadline, as a day's backlog is.
        created = (
            "(%(at)s::timestamptz - interval '23 hours' "
            "+ (o.id * 82000 / %(n)s) * interval '1 second')"
        )
        replied = f"({created} + interval '10 minutes')"
        ship_by = (
            "((%(at)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date + (5 + mod(o.id, 20))::int)"
        )
        ship_deadline = f"(({ship_by} + time '23:59:59.999999') AT TIME ZONE 'Asia/Shanghai')"
        waiting = f"{kind} < 6"
        insert_generated(
            Ticket,
            f"{Order._meta.db_table} o JOIN {Shop._meta.db_table} s ON s.id = o.shop_id "
            "ORDER BY o.id",
            {
                "order": "o.id",
                "shop": "o.shop_id",
                "buyer": "o.buyer_id",
                "policy": (
                    f"CASE WHEN s.platform = 'tmall' THEN {policy['tmall']} "
                    f"ELSE {policy['taobao']} END"
                ),
                "state": (
                    f"CASE WHEN {waiting} THEN 'awaiting_reply' "
                    f"WHEN {kind} < 8 THEN 'awaiting_buyer' ELSE 'agreed' END"
                ),
                "created_at": created,
                "updated_at": created,
                "reply_due_at": f"{created} + interval '24 hours'",
                "reply_plan": (
                    f"CASE WHEN {waiting} THEN '' WHEN {kind} < 8 THEN 'ship_later' "
                    "ELSE 'exchange_agreed' END"
                ),
                "reply_reason": (
                    f"CASE WHEN {waiting} THEN NULL WHEN {kind} < 8 THEN {ship_later} "
                    f"ELSE {exchange} END"
                ),
                "replied_at": f"CASE WHEN {waiting} THEN NULL ELSE {replied} END",
                "first_action_at": f"CASE WHEN {waiting} THEN NULL ELSE {replied} END",
                "ship_by": f"CASE WHEN {waiting} THEN NULL ELSE {ship_by} END",
                "ship_deadline": f"CASE WHEN {waiting} THEN NULL ELSE {ship_deadline} END",
                "buyer_due_at": (
                    f"CASE WHEN {kind} IN (6, 7) THEN %(at)s::timestamptz + interval '23 hours' END"
                ),
            },
            at=AT,
            n=open_tickets,
        )
        make_due(cursor, due)
        insert_generated(
            StateLog,
            f"{Ticket._meta.db_table} t",
            {
                "timestamp": "t.created_at",
                "by": "t.buyer_id",
                "state": "'awaiting_reply'",
                "transition": "'urge'",
                "content_type": str(ContentType.objects.get_for_model(Ticket).pk),
                "object_id": "t.id",
                "description": '\'{"order_no": "BENCH", "policy": \' || t.policy_id || \'}\'',
            },
        )
        insert_generated(
            BuyerMessage,
            f"{Ticket._meta.db_table} t",
            {
                "ticket": "t.id",
                "buyer": "t.buyer_id",
                "kind": "'ticket_opened'",
                "text": "'您的催发货已提交。'",
                "payload": "jsonb_build_object('ticket', t.id)",
                "created_at": "t.created_at",
                "delivered_at": "t.created_at + interval '1 second'",
                "next_attempt_at": "NULL",
            },
        )
        cursor.execute("INSERT INTO bench_meta VALUES (%s, %s, %s)", [open_tickets, due, AT])
    subscribe_shops()
    connection.close()
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {"generated": True, "seconds": time.perf_counter() - started}


def subscribe_shops() -> bool:
    """§15: a webhook subscription taking every event for one shop in SUBSCRIBED_EVERY (added
    to data generated before there were webhooks too). True if any was added."""
    from tests.concurrency.bulk import insert_generated
    from tickets.models import Shop
    from webhooks.models import SUBSCRIBABLE, Subscription

    if Subscription.objects.exists():
        return False
    shop0 = Shop.objects.order_by("pk").values_list("pk", flat=True)[0]
    insert_generated(
        Subscription,
        f"{Shop._meta.db_table} s WHERE mod(s.id - %(shop0)s, {SUBSCRIBED_EVERY}) = 0",
        {
            "shop": "s.id",
            "url": "'https://erp.example.com/' || s.code",
            "events": "%(events)s",
            "secret": "md5(s.code)",
            "created_at": "%(at)s::timestamptz",
        },
        shop0=shop0,
        events=Subscription.pack(SUBSCRIBABLE),
        at=AT,
    )
    return True


def make_due(cursor, total_due: int):
    """Move the oldest awaiting-reply tickets past their reply deadline (an hour's spread
    before AT) until `total_due` are due."""
    cursor.execute(
        "UPDATE tickets_ticket SET reply_due_at = %(at)s - mod(id, 3600) * interval '1 second', "
        "created_at = %(at)s - interval '24 hours' - mod(id, 3600) * interval '1 second', "
        "updated_at = %(at)s - interval '24 hours' - mod(id, 3600) * interval '1 second' "
        "WHERE id IN (SELECT id FROM tickets_ticket WHERE state = 'awaiting_reply' "
        "AND reply_due_at > %(at)s ORDER BY id LIMIT %(more)s)",
        {"at": AT, "more": total_due - due_count(cursor)},
    )


def more_due(total_due: int) -> dict:
    """Make `total_due` awaiting-reply tickets due (for the memory run)."""
    connection = setup_django()
    with connection.cursor() as cursor:
        make_due(cursor, total_due)
        cursor.execute("VACUUM ANALYZE tickets_ticket")
        return {"due": due_count(cursor)}


def due_count(cursor) -> int:
    cursor.execute(
        "SELECT count(*) FROM tickets_ticket WHERE state = 'awaiting_reply' AND reply_due_at <= %s",
        [AT],
    )
    return cursor.fetchone()[0]


def counts(cursor) -> dict:
    cursor.execute(
        "SELECT (SELECT count(*) FROM complaints_complaint), "
        "(SELECT count(*) FROM django_fsm_log_statelog), "
        "(SELECT count(*) FROM tickets_buyermessage), "
        "(SELECT count(*) FROM tickets_ticket WHERE state = 'platform_review'), "
        "(SELECT count(*) FROM webhooks_event), (SELECT count(*) FROM webhooks_delivery)"
    )
    names = ["complaints", "audit_rows", "messages", "in_review", "events", "deliveries"]
    return dict(zip(names, cursor.fetchone(), strict=True))


def run_project(batch: int) -> dict:
    connection = setup_django()
    from tickets import sweeps
    from tickets.outbox import request_delivery

    request_delivery()  # the broker connection, open in a worker already
    with connection.cursor() as cursor:
        before = counts(cursor)
    started = time.perf_counter()
    moved = sweeps.sweep_reply_timeouts(at=AT, batch_size=batch or sweeps.BATCH_SIZE)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        after = counts(cursor)
    return {
        "seconds": seconds,
        "moved": moved,
        "rss_mb": peak_rss_mb(),
        "added": {k: after[k] - before[k] for k in after},
    }


FLOOR_SQL = """
WITH t AS (
    UPDATE tickets_ticket SET state = 'platform_review', updated_at = %(at)s
    WHERE state = 'awaiting_reply' AND reply_due_at <= %(at)s
    RETURNING id, policy_id, buyer_id, order_id, shop_id
), ticket_log AS (
    INSERT INTO django_fsm_log_statelog
        (timestamp, by_id, source_state, state, transition, content_type_id, object_id,
         description)
    SELECT %(at)s, NULL, 'awaiting_reply', 'platform_review', 'reply_timeout', %(ticket_type)s,
           t.id, '{}'
    FROM t
), c AS (
    INSERT INTO complaints_complaint
        (ticket_id, kind, state, filed_at, filed_by_id, merchant_note, review_due_at,
         review_overdue_flagged_at, assignee_id, claimed_at, decided_by_id, decided_at,
         decision_note, appeal_due_at, appealed_at, appealed_by_id, appeal_note,
         appeal_decided_by_id, appeal_decided_at, appeal_decision_note)
    SELECT t.id, 'reply_timeout', 'pending', %(at)s, NULL, '', %(at)s + p.review_target,
           NULL, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, '', NULL, NULL, ''
    FROM t JOIN tickets_policy p ON p.id = t.policy_id
    RETURNING id, ticket_id
), complaint_log AS (
    INSERT INTO django_fsm_log_statelog
        (timestamp, by_id, source_state, state, transition, content_type_id, object_id,
         description)
    SELECT %(at)s, NULL, NULL, 'pending', 'file', %(complaint_type)s, c.id,
           '{"kind": "reply_timeout", "ticket": ' || c.ticket_id || '}'
    FROM c
), ev AS (
    INSERT INTO webhooks_event (id, shop_id, type, created_at, ticket_id, complaint_id, body)
    SELECT gen_random_uuid(), t.shop_id, 'complaint.filed', %(at)s, c.ticket_id, c.id, ''
    FROM c JOIN t ON t.id = c.ticket_id
    WHERE EXISTS (SELECT 1 FROM webhooks_subscription s WHERE s.shop_id = t.shop_id
                  AND s.active AND s.events LIKE '%%,complaint.filed,%%')
    RETURNING id, shop_id
), dl AS (
    INSERT INTO webhooks_delivery
        (event_id, subscription_id, created_at, delivered_at, attempts, next_attempt_at,
         retry_until, last_error, last_status_code, last_response, dead_at)
    SELECT ev.id, s.id, %(at)s, NULL, 0, %(at)s, NULL, '', NULL, '', NULL
    FROM ev JOIN webhooks_subscription s ON s.shop_id = ev.shop_id
    WHERE s.active AND s.events LIKE '%%,complaint.filed,%%'
), msg AS (
INSERT INTO tickets_buyermessage
    (ticket_id, buyer_id, kind, text, payload, created_at, delivered_at, attempts,
     next_attempt_at, last_error, last_response)
SELECT c.ticket_id, t.buyer_id, 'complaint_filed', %(text)s,
       jsonb_build_object('ticket', c.ticket_id, 'order_no', o.order_no, 'complaint', c.id,
                          'complaint_kind', 'reply_timeout'),
       %(at)s, NULL, 0, %(at)s, '', ''
FROM c JOIN t ON t.id = c.ticket_id JOIN tickets_order o ON o.id = t.order_id
)
SELECT id FROM ev
"""


def run_floor() -> dict:
    connection = setup_django()
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from complaints.models import Complaint
    from tickets.models import Ticket
    from tickets.outbox import KIND_TEXTS, TEXTS
    from webhooks.bodies import render_written

    params = {
        "at": AT,
        "ticket_type": ContentType.objects.get_for_model(Ticket).pk,
        "complaint_type": ContentType.objects.get_for_model(Complaint).pk,
        "text": TEXTS["complaint_filed"].format(kind_text=KIND_TEXTS["reply_timeout"]),
    }
    with connection.cursor() as cursor:
        before = counts(cursor)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(FLOOR_SQL, params)
        events = [row[0] for row in cursor.fetchall()]
        # The bodies, in the same transaction: the project's set-based renderer (§15: the
        # ticket and complaint as the API's detail views show them; no cheaper SQL does that).
        rendering = time.perf_counter()
        render_written(events, at=AT)
        render_seconds = time.perf_counter() - rendering
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        after = counts(cursor)
    return {
        "seconds": seconds,
        "render_seconds": render_seconds,
        "added": {k: after[k] - before[k] for k in after},
    }


def run_idle(repeat: int) -> dict:
    connection = setup_django()
    from complaints.sweeps import sweep_review_overdue
    from tickets import sweeps
    from webhooks.reminders import reminders_due, sweep_reply_reminders

    jobs = {
        "reply_timeouts": sweeps.sweep_reply_timeouts,
        "buyer_silence": sweeps.sweep_buyer_silence,
        "missed_ship_dates": sweeps.sweep_missed_ship_dates,
        "review_overdue": sweep_review_overdue,
        "reply_reminders": sweep_reply_reminders,
    }
    # The copy was swept of reply timeouts only: the reminders due at AT are sent first.
    sweep_reply_reminders(at=AT)
    timings = {}
    for name, job in jobs.items():
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            moved = job(at=AT)
            runs.append((time.perf_counter() - started) * 1000)
            assert moved == 0, f"{name} found {moved} due on the idle copy"
        timings[name] = statistics.median(runs)
    from complaints.sweeps import past_review_target

    queries = {
        name: spec.due(AT).order_by(spec.deadline).values_list("pk")[:1000]
        for name, spec in sweeps.SWEEPS.items()
    }
    queries["review_overdue"] = (
        past_review_target(AT).order_by("review_due_at").values_list("pk")[:1000]
    )
    queries["reply_reminders"] = reminders_due(AT).order_by("reply_due_at").values_list("pk")[:1000]
    plans = {}
    with connection.cursor() as cursor:
        for name, query in queries.items():
            sql, params = query.query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plans[name] = " / ".join(row[0].strip() for row in cursor.fetchall())
    return {"median_ms": timings, "plans": plans}


def main_child(role: str, args: list[str]):
    if role == "generate":
        out = generate(int(args[0]), int(args[1]))
    elif role == "project":
        out = run_project(int(args[0]))
    elif role == "floor":
        out = run_floor()
    elif role == "idle":
        out = run_idle(int(args[0]))
    elif role == "more_due":
        out = more_due(int(args[0]))
    else:
        raise SystemExit(f"unknown child role {role}")
    print(json.dumps(out, default=str))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open", type=int, default=1_000_000, help="open tickets")
    parser.add_argument("--due", type=int, default=10_000, help="due tickets (speed run)")
    parser.add_argument("--memory-due", type=int, default=100_000, help="due (memory run)")
    parser.add_argument("--batch", type=int, default=0, help="sweep batch size")
    parser.add_argument("--rounds", type=int, default=2, help="speed rounds (best is kept)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the base data")
    parser.add_argument("--keep", action="store_true", help="keep the copies afterwards")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return main_child(options.child[0], options.child[1:])

    sys.path.insert(0, str(ROOT))
    batch = options.batch or 0  # 0: the project's default
    base = ensure_base(options.open, options.due, options.rebuild)
    run_db, floor_db, memory_db = f"{base}_run", f"{base}_floor", f"{base}_memory"
    print(f"data: {options.open:,} open tickets, {options.due:,} due, batch {batch or 'default'}")

    # 1. speed: the project and the floor, each on a fresh copy, alternating; best of rounds.
    project_runs, floor_runs = [], []
    for _ in range(options.rounds):
        copy(base, floor_db)
        checkpoint()
        floor = child("floor", floor_db)
        copy(base, run_db)
        checkpoint()
        project = child("project", run_db, batch)
        floor_runs.append(floor["seconds"])
        project_runs.append(project["seconds"])
        if project["added"] != floor["added"]:
            raise SystemExit(f"different rows written: {project['added']} vs {floor['added']}")
        print(
            f"  floor {floor['seconds'] * 1000:.0f} ms (bodies "
            f"{floor['render_seconds'] * 1000:.0f} ms), project "
            f"{project['seconds'] * 1000:.0f} ms; rows written by each: {project['added']}"
        )
    best_project, best_floor = min(project_runs), min(floor_runs)
    ratio = best_project / best_floor
    print(f"reply-timeout sweep of {options.due:,} due among {options.open:,} open:")
    print(f"  project {best_project * 1000:.0f} ms, floor {best_floor * 1000:.0f} ms")
    result("sweep_vs_floor", f"{ratio:.2f}", f"{FLOOR_RATIO:.2f}", ratio <= FLOOR_RATIO, "x")

    # 2. idle: the swept copy has nothing due.
    idle = child("idle", run_db, 20)
    for name, ms in idle["median_ms"].items():
        print(f"  idle {name}: {ms:.1f} ms (plan: {idle['plans'].get(name, '-')})")
    worst = max(idle["median_ms"].values())
    result("idle_sweep_ms", f"{worst:.1f}", f"{IDLE_MS:.0f}", worst <= IDLE_MS)

    # 3. memory: many more due at once.
    copy(base, memory_db)
    made = child("more_due", memory_db, options.memory_due)
    memory = child("project", memory_db, batch)
    print(
        f"memory run: {made['due']:,} due among {options.open:,} open, swept "
        f"{memory['moved']:,} in {memory['seconds']:.1f} s"
    )
    rss = memory["rss_mb"]
    result("sweep_peak_rss_mb", f"{rss:.0f}", f"{RSS_MB:.0f}", rss <= RSS_MB)
    if not options.keep:
        for name in (run_db, floor_db, memory_db):
            drop(name)


if __name__ == "__main__":
    main()
