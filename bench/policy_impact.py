#!/usr/bin/env python
"""Benchmark of the policy what-if (§19, docs/quality.md), on PostgreSQL: its cost grows with
the window's tickets, not with the table.

Two databases are built with generate_series, one of 20,000 tickets and one of 2,000,000, each
with the same 10,000 tickets created in the last 30 days (the same shops, amounts, replies,
complaints and compensations, made from the same row numbers); the rest are older, spread over
the two years before. The selector `tickets.impact.policy_impact` (30 days, a draft with a
stricter cap, a shorter reply window and other rates) is timed on each, in child processes,
in rounds that pair the two sizes back to back; the result is the median of the rounds'
ratios. Target: 2 M ≤ 1.3 × 20 k.

The data are generated once into dedicated databases (urge_bench_impact_<tickets>; never a test
database) and kept; `--rebuild` makes them again.

    .venv/bin/python bench/policy_impact.py [--small N] [--large N] [--window N] [--rounds R]
                                            [--rebuild]

BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/urge_bench_sweeps) names the
server (only its host and credentials are used). Ends with `RESULT name=value target=value
ok|short`.
"""

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import run_json
from sweep import admin, db_url, drop, exists, result, setup_django

ROOT = Path(__file__).resolve().parent.parent
# The instant the data are built around (the what-if's "now").
AT = dt.datetime(2026, 6, 18, 12, 0, tzinfo=dt.UTC)
SHOPS, BUYERS = 2_000, 10_000
DAYS = 30
TARGET = 1.30
DRAFT = {
    "ship_later_cap_days": "20",
    "fresh_ship_later_cap_days": "10",
    "reply_window": "12:00:00",
    "late_rate": "0.08",
    "late_max": "50",
    "stockout_rate": "0.06",
}


def name_for(tickets: int) -> str:
    return f"urge_bench_impact_{tickets}"


def built_for(name: str):
    """(tickets, window) the database was built for, or None."""
    import psycopg

    with psycopg.connect(db_url(name), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('bench_meta')").fetchone()[0] is None:
            return None
        return conn.execute("SELECT total, win FROM bench_meta").fetchone()


def ensure(tickets: int, window: int, rebuild: bool) -> str:
    name = name_for(tickets)
    if rebuild or not exists(name) or built_for(name) != (tickets, window):
        drop(name)
        with admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    env = {**os.environ, "DATABASE_URL": db_url(name), "DATABASE_POOL": "0"}
    env.setdefault("VAR_DIR", "/tmp/var_bench_impact")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    info = child("generate", name, tickets, window)
    if info["generated"]:
        print(
            f"generated {tickets:,} tickets ({window:,} in the window) in {info['seconds']:.0f} s"
        )
    return name


def child(role: str, db: str, *args) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": db_url(db),
        "DATABASE_POOL": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "VAR_DIR": os.environ.get("VAR_DIR", "/tmp/var_bench_impact"),
        "CELERY_BROKER_URL": "memory://",
    }
    return run_json(__file__, ["--child", role, *map(str, args)], env)


# -- children -----------------------------------------------------------------------------


def key(i: str) -> str:
    """The number that makes row `i`'s properties: its place among the old rows or among the
    window's, so that both databases' windows hold the same rows (parameter: old)."""
    return f"(CASE WHEN {i} > %(old)s THEN {i} - %(old)s ELSE {i} END)"


def created_at(i: str) -> str:
    """Row `i`'s creation: the old ones over [AT − 730 d, AT − 31 d), the window's over
    [AT − 30 d, AT − 1 min), in row order (parameters: at, old, window)."""
    return (
        f"(CASE WHEN {i} <= %(old)s "
        "THEN %(at)s::timestamptz - interval '730 days' "
        f"+ ({i}::float8 / greatest(%(old)s, 1)) * interval '699 days' "
        "ELSE %(at)s::timestamptz - interval '30 days' "
        f"+ (({i} - %(old)s)::float8 / %(window)s) * interval '719 hours 59 minutes' END)"
    )


def generate(total: int, window: int) -> dict:
    """Users, shops, orders, tickets (one per order, created in id order), complaints and
    compensations, by row number i (1 … total); the last `window` rows are the last 30 days.
    Of every 20 tickets: 9 ship later and 3 agree an exchange (promised 0–30 days ahead, fresh
    0–15), 2 cannot ship (a complaint, one upheld), 1 times out (a complaint, upheld), 1 ships
    later and is then compensated proactively, 4 settle without a reply."""
    connection = setup_django()
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_meta (total int, win int)")
        cursor.execute("SELECT total, win FROM bench_meta")
        if cursor.fetchone() == (total, window):
            return {"generated": False}
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from complaints.models import Compensation, Complaint
    from tests.concurrency.bulk import insert_generated
    from tickets.models import Order, Policy, ReplyReason, Shop, Ticket

    started = time.perf_counter()
    old = total - window
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_meta")
        insert_generated(
            get_user_model(),
            "generate_series(1, %(n)s) AS g(i)",
            {"username": "'impact-buyer-' || i", "password": "'!'", "date_joined": "%(at)s"},
            at=AT,
            n=BUYERS,
        )
        insert_generated(
            Shop,
            "generate_series(1, %(n)s) AS g(i)",
            {
                "code": "'impact-shop-' || i",
                "name": "'Impact shop ' || i",
                "platform": "CASE WHEN mod(i, 3) = 0 THEN 'tmall' ELSE 'taobao' END",
                "created_at": "%(at)s",
            },
            at=AT,
            n=SHOPS,
        )
        user0 = get_user_model().objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        shop0 = Shop.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        created, r = created_at("i"), key("i")
        insert_generated(
            Order,
            "generate_series(1, %(n)s) AS g(i)",
            {
                "order_no": "'IMPACT' || lpad(i::text, 9, '0')",
                "shop": f"{shop0} + 1 + mod({r}, {SHOPS})",
                "buyer": f"{user0} + 1 + mod({r}, {BUYERS})",
                "amount": f"((100 + mod({r}::bigint * 7919, 300000)) / 100.0)::numeric(12, 2)",
                "is_fresh": f"mod({r}, 17) = 0",
                "paid_at": f"{created} - interval '1 hour'",
                "shipped_at": f"{created} + interval '3 days'",
                "created_at": f"{created} - interval '1 hour'",
                "updated_at": f"{created} + interval '3 days'",
            },
            at=AT,
            n=total,
            old=old,
            window=window,
        )
        order0 = Order.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        policy = dict(Policy.objects.values_list("platform", "pk"))
        later = ReplyReason.objects.get(code="stock_shortage").pk
        exchange = ReplyReason.objects.get(code="exchange_negotiated").pk
        i = f"(o.id - {order0})"
        r = key(i)
        k = f"mod({r}, 20)"
        created_o = created_at(i)
        # Replies 10 minutes to 23 h 10 min after the urge.
        replied = (
            f"CASE WHEN {k} < 14 OR {k} = 15 "
            f"THEN {created_o} + (10 + mod({r}, 1380)) * interval '1 minute' END"
        )
        dated = f"({k} < 12 OR {k} = 15)"
        ship_by = (
            f"CASE WHEN {dated} THEN (({replied}) AT TIME ZONE 'Asia/Shanghai')::date "
            f"+ (CASE WHEN o.is_fresh THEN mod({r}, 16) ELSE mod({r}, 31) END)::int END"
        )
        settled = (
            f"CASE WHEN {k} >= 16 THEN {created_o} + interval '2 hours' "
            f"ELSE {created_o} + interval '3 days' END"
        )
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
                "state": "'completed'",
                "created_at": created_o,
                "updated_at": settled,
                "reply_due_at": f"{created_o} + interval '24 hours'",
                "reply_plan": (
                    f"CASE WHEN {k} < 9 OR {k} = 15 THEN 'ship_later' "
                    f"WHEN {k} < 12 THEN 'exchange_agreed' WHEN {k} < 14 THEN 'cannot_ship' "
                    "ELSE '' END"
                ),
                "reply_reason": (
                    f"CASE WHEN {k} < 9 OR {k} = 15 OR {k} IN (12, 13) THEN {later} "
                    f"WHEN {k} < 12 THEN {exchange} END"
                ),
                "replied_at": replied,
                "first_action_at": f"coalesce({replied}, {settled})",
                "ship_by": ship_by,
                "ship_deadline": (
                    f"(({ship_by}) + time '23:59:59.999999') AT TIME ZONE 'Asia/Shanghai'"
                ),
                "second_handling_plan": f"CASE WHEN {k} = 15 THEN 'compensate' ELSE '' END",
                "second_handled_at": (
                    f"CASE WHEN {k} = 15 THEN {created_o} + interval '2 days' END"
                ),
                "settlement": "'shipped'",
                "settled_at": settled,
                "completed_at": settled,
            },
            at=AT,
            old=old,
            window=window,
        )
        ticket0 = Ticket.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        k = f"mod({key(f'(t.id - {ticket0})')}, 20)"
        filed = "coalesce(t.replied_at, t.reply_due_at)"
        insert_generated(
            Complaint,
            f"{Ticket._meta.db_table} t WHERE {k} IN (12, 13, 14)",
            {
                "ticket": "t.id",
                "kind": f"CASE WHEN {k} = 14 THEN 'reply_timeout' ELSE 'cannot_ship' END",
                "state": f"CASE WHEN {k} = 13 THEN 'dismissed' ELSE 'upheld' END",
                "filed_at": filed,
                "review_due_at": f"{filed} + interval '48 hours'",
                "decided_at": f"{filed} + interval '5 hours'",
                "appeal_due_at": (
                    f"CASE WHEN {k} = 13 THEN NULL ELSE {filed} + interval '30 days 5 hours' END"
                ),
            },
            old=old,
        )
        insert_generated(
            Compensation,
            f"{Complaint._meta.db_table} c WHERE c.state = 'upheld'",
            {
                "ticket": "c.ticket_id",
                "complaint": "c.id",
                "kind": "'late_shipment'",
                "amount": "5.00",
                "payout": "'cash'",
                "created_at": "c.decided_at",
            },
        )
        insert_generated(
            Compensation,
            f"{Ticket._meta.db_table} t WHERE t.second_handling_plan = 'compensate'",
            {
                "ticket": "t.id",
                "kind": "'stockout'",
                "amount": "5.00",
                "payout": "'cash'",
                "created_at": "t.second_handled_at",
            },
        )
        cursor.execute("INSERT INTO bench_meta VALUES (%s, %s)", [total, window])
    connection.close()
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return {"generated": True, "seconds": time.perf_counter() - started}


def measure(repeat: int, explain: bool) -> dict:
    """Time the selector `repeat` times after one warm-up run; with `explain`, the plans of
    the statements of one run (EXPLAIN ANALYZE, same parameters)."""
    connection = setup_django()
    from tickets.impact import policy_impact
    from tickets.models import Ticket
    from tickets.services import policy_draft

    draft = policy_draft(platform="taobao", at=AT, **DRAFT)

    def run():
        return policy_impact(platform="taobao", draft=draft, days=DAYS, at=AT)

    statements = []

    def capture(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        figures = run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    plans = []
    if explain:
        with connection.cursor() as cursor:
            # The first slice's statement (after the policy in force), as the selector sent
            # it: every table reached through an index, none read whole.
            for sql, params in statements[1:2]:
                cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + sql, params)
                plans.append([row[0] for row in cursor.fetchall()])
    return {
        "tickets": Ticket.objects.count(),
        "window": figures["tickets"],
        "best": min(timings),
        "median": statistics.median(timings),
        "figures": figures,
        "plans": plans,
    }


def main_child(role: str, args: list[str]):
    if role == "generate":
        out = generate(int(args[0]), int(args[1]))
    elif role == "measure":
        out = measure(int(args[0]), args[1] == "1")
    else:
        raise SystemExit(f"unknown child role {role}")
    print(json.dumps(out, default=str))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=20_000, help="tickets of the small table")
    parser.add_argument("--large", type=int, default=2_000_000, help="tickets of the large one")
    parser.add_argument("--window", type=int, default=10_000, help="tickets in the 30 days")
    parser.add_argument("--rounds", type=int, default=5, help="paired rounds (median ratio)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per round")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the data")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        return main_child(options.child[0], options.child[1:])
    if options.window > options.small:
        raise SystemExit("--window is at most --small")

    small = ensure(options.small, options.window, options.rebuild)
    large = ensure(options.large, options.window, options.rebuild)
    # Rounds pair the two sizes back to back (the order alternating), each the best of
    # `repeat` runs; the result is the median of the rounds' ratios, so that a burst of load
    # on this shared machine during one run moves one round, not the result.
    ratios, runs, last = [], {small: [], large: []}, {}
    for round_ in range(options.rounds):
        order = (small, large) if round_ % 2 == 0 else (large, small)
        for db in order:
            out = child("measure", db, options.repeat, int(round_ == 0 and db == large))
            runs[db].append(out["best"])
            last[db] = out
            print(
                f"  {out['tickets']:>9,} tickets, {out['window']:,} in the window: "
                f"best {out['best'] * 1000:.0f} ms, median {out['median'] * 1000:.0f} ms"
            )
            for plan in out["plans"]:
                print("    plan: " + " / ".join(line.strip() for line in plan[:30]))
        ratios.append(runs[large][-1] / runs[small][-1])
        print(f"  round {round_ + 1}: 2 M / 20 k = {ratios[-1]:.2f}")
    if last[small]["figures"] != last[large]["figures"]:
        raise SystemExit("the two windows gave different figures: the data differ")
    figures = last[large]["figures"]
    print(
        "figures (same on both): "
        + json.dumps(
            {k: figures[k] for k in ("tickets", "replies_over_cap", "late_first_replies")},
            default=str,
        )
    )
    ratio = statistics.median(ratios)
    print(
        f"policy what-if over {options.window:,} tickets (best of each size): "
        f"{min(runs[small]) * 1000:.0f} ms at {options.small:,} tickets, "
        f"{min(runs[large]) * 1000:.0f} ms at {options.large:,}; median ratio of "
        f"{options.rounds} rounds"
    )
    result("policy_impact_2m_vs_20k", f"{ratio:.2f}", f"{TARGET:.2f}", ratio <= TARGET)


if __name__ == "__main__":
    main()
