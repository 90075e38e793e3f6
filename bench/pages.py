#!/usr/bin/env python
"""Benchmark of the read paths (docs/quality.md): the same pages and endpoints at a small and
a big platform, and a big shop's dashboard against a small one's.

1. Two PostgreSQL databases are built with generate_series (bench/sweep.py's helpers): SMALL
   tickets (default 20,000) and BIG (default 2,000,000), with their orders, complaints, audit
   rows and messages, spread over the last 90 days. Every shop has 1,000 tickets, but in the
   big database shop 1 has BIG_SHOP (default 100,000): the platform grows by shops, and one
   shop grows big. Buyers have about ten tickets each at both sizes.
2. Both are served at once by gunicorn (2 workers each, production settings, DEBUG off); each
   page is fetched alternately from the two servers and the p50 of each is kept.
3. Printed: the per-page table, then
   `RESULT pages_flat_worst=<max p50 ratio big/small> target=1.30 ok|short` and
   `RESULT big_shop_dashboard=<p50 of the big shop's 90-day dashboard / a 1,000-ticket shop's>
   target=1.50 ok|short` (both shops in the big database).

    .venv/bin/python bench/pages.py [--rounds N] [--rebuild]

Scale by environment: BENCH_PAGES_SMALL, BENCH_PAGES_BIG, BENCH_PAGES_BIG_SHOP (e.g.
BENCH_PAGES_BIG=200000 runs in a few minutes on two cores). BENCH_DATABASE_URL names the
server (databases urge_bench_pages_<tickets>, kept between runs and rebuilt when older than
a day, since the pages read "the last N days"; BENCH_PAGES_PREFIX another prefix);
BENCH_PAGES_REDIS_URL the cache and broker.
"""

import argparse
import datetime as dt
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    ROOT,
    free_port,
    request,
    result,
    run_json,
    start_server,
    stop_server,
)
from sweep import admin, db_url, drop, exists, setup_django  # noqa: E402

FLAT_TARGET, BIG_SHOP_TARGET = 1.30, 1.50
SHOP_TICKETS = 1_000
DATA_VERSION = 2  # a database built by another version of generate() is built again
DAYS = 90
PASSWORD = "bench-pages-password"
METRICS_TOKEN = "bench-metrics-token"
MERCHANT, BIG_MERCHANT, REVIEWER, ADMIN = (
    "bench-merchant",
    "bench-merchant-big",
    "bench-reviewer",
    "bench-admin",
)


def scale() -> tuple[int, int, int]:
    small = int(os.environ.get("BENCH_PAGES_SMALL", 20_000))
    big = int(os.environ.get("BENCH_PAGES_BIG", 2_000_000))
    big_shop = int(os.environ.get("BENCH_PAGES_BIG_SHOP", 100_000))
    return small, big, min(big_shop, big // 2)


def db_name(tickets: int) -> str:
    return f"{os.environ.get('BENCH_PAGES_PREFIX', 'urge_bench_pages')}_{tickets}"


def django_env(name: str) -> dict:
    var_dir = Path(os.environ.get("BENCH_PAGES_VAR_DIR", "/tmp/var_bench_pages"))
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DATABASE_URL": db_url(name),
        "VAR_DIR": str(var_dir),
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def server_env(name: str) -> dict:
    return {
        **django_env(name),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-only-" + "x" * 50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "REDIS_URL": os.environ.get("BENCH_PAGES_REDIS_URL", "redis://127.0.0.1:6379/14"),
        "METRICS_TOKEN": METRICS_TOKEN,
        "API_RATE_USER": "1000000/s",
        "BUYER_MESSAGE_WEBHOOK_URL": "",
    }


# -- the data (a child process with Django set up on one database) ------------------------


def ensure(tickets: int, big_shop: int, rebuild: bool) -> str:
    """The database of `tickets`, built when missing, stale (a day old: the pages read "the
    last N days") or of another build."""
    name = db_name(tickets)
    if rebuild or not exists(name):
        recreate(name)
    info = build(name, tickets, big_shop)
    if info.get("rebuild"):
        recreate(name)
        info = build(name, tickets, big_shop)
    if info["generated"]:
        print(f"{name}: generated in {info['seconds']:.0f} s: {info['counts']}", flush=True)
    return name


def recreate(name: str):
    drop(name)
    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')


def build(name: str, tickets: int, big_shop: int) -> dict:
    env = {**django_env(name), "DATABASE_POOL": "0"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], env=env, cwd=ROOT, check=True)
    return run_json(
        __file__,
        ["--generate", str(tickets), str(big_shop)],
        {**env, "DJANGO_SETTINGS_MODULE": "config.settings.base", "DEBUG": "0"},
    )


def generate(total: int, big_shop: int) -> dict:
    """Shops, buyers, orders, tickets over the last 90 days (awaiting a reply the last day,
    then by a hash: 8 % timed out with a reply_timeout complaint, pending for 3 days then
    upheld or dismissed; 4 % awaiting the buyer and 8 % agreed while recent; the rest replied
    and completed, 8 % of them with a dismissed plan_rejected complaint), their audit rows and
    the buyer messages."""
    connection = setup_django()
    now = dt.datetime.now(dt.UTC)
    from django.db import DatabaseError

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_meta')")
        if cursor.fetchone()[0]:
            try:
                cursor.execute("SELECT tickets, big, at, version FROM bench_meta")
                row = cursor.fetchone()
            except DatabaseError:
                row = None  # an older build
            fresh = row and now - row[2] < dt.timedelta(hours=20)
            if fresh and row[:2] == (total, big_shop) and row[3] == DATA_VERSION:
                return {"generated": False}
            return {"rebuild": True}
        cursor.execute(
            "CREATE TABLE bench_meta (tickets int, big int, at timestamptz, version int)"
        )
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django_fsm_log.models import StateLog
    from rest_framework.authtoken.models import Token

    from complaints.models import Complaint
    from tests.concurrency.bulk import insert_generated
    from tickets import roles
    from tickets.models import (
        BuyerMessage,
        Order,
        Policy,
        ReplyReason,
        Shop,
        ShopMembership,
        Ticket,
    )

    started = time.perf_counter()
    User = get_user_model()
    buyers = max(total // 10, 100)
    big = big_shop if total > big_shop * 2 - 1 else 0
    rest_shops = (total - big) // SHOP_TICKETS
    with transaction.atomic(), connection.cursor() as cursor:
        insert_generated(
            User,
            "generate_series(1, %(n)s) AS g(i)",
            {"username": "'bench-buyer-' || i", "password": "'!'", "date_joined": "%(at)s"},
            at=now,
            n=buyers,
        )
        insert_generated(
            Shop,
            "generate_series(1, %(n)s) AS g(i)",
            {
                "code": "'bench-shop-' || i",
                "name": "'Bench shop ' || i",
                "platform": "CASE WHEN mod(i, 3) = 0 THEN 'tmall' ELSE 'taobao' END",
                "created_at": "%(at)s",
            },
            at=now - dt.timedelta(days=400),
            n=rest_shops + 1,
        )
        user0 = User.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        shop0 = Shop.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        # Ticket i: shop 1 for i <= big, else one of the other shops in turn; created evenly
        # over the 90 days in each shop.
        shop_of = (
            f"CASE WHEN i <= {big} THEN {shop0 + 1} "
            f"ELSE {shop0 + 2} + mod(i - {big}, {rest_shops}) END"
        )
        span = DAYS * 86400 - 600

        def created(i: str) -> str:
            return (
                f"(%(at)s::timestamptz - interval '{DAYS} days' + 600 * interval '1 second' + "
                f"(CASE WHEN {i} <= {big} THEN {i}::float8 / {max(big, 1)} "
                f"ELSE ({i} - {big})::float8 / {total - big} END) * {span} * interval '1 second')"
            )

        insert_generated(
            Order,
            "generate_series(1, %(n)s) AS g(i)",
            {
                "order_no": "'P' || lpad(i::text, 10, '0')",
                "shop": shop_of,
                "buyer": f"{user0} + 1 + mod(i, {buyers})",
                "amount": "(10 + mod(i, 500))::numeric(12, 2)",
                "is_fresh": "mod(i, 17) = 0",
                "paid_at": f"{created('i')} - interval '2 days'",
                "created_at": f"{created('i')} - interval '2 days'",
                "updated_at": f"{created('i')} - interval '2 days'",
            },
            at=now,
            n=total,
        )
        order0 = Order.objects.order_by("pk").values_list("pk", flat=True)[0] - 1
        policy = dict(Policy.objects.values_list("platform", "pk"))
        ship_later = ReplyReason.objects.get(code="stock_shortage").pk
        # One row per ticket with what the states are computed from: its index, creation,
        # age and a hash that picks its fate.
        source = (
            f"(SELECT o.id AS order_id, o.shop_id, o.buyer_id, s.platform, o.id - {order0} AS i, "
            f"{created(f'(o.id - {order0})')} AS created "
            "FROM tickets_order o JOIN tickets_shop s ON s.id = o.shop_id ORDER BY o.id) t"
        )
        k = "mod(abs(hashint4(t.i::int)), 100)"  # a fate independent of the shop
        age = "(%(at)s::timestamptz - t.created)"
        waiting = f"{age} < interval '1 day'"
        timed_out = f"(NOT {waiting} AND {k} < 8)"
        replied = f"(NOT {waiting} AND {k} >= 8)"
        buyer = f"({replied} AND {k} < 12 AND {age} < interval '2 days')"
        agreed = f"({replied} AND {k} BETWEEN 12 AND 19 AND {age} < interval '8 days')"
        review = f"({timed_out} AND {age} < interval '3 days')"
        replied_at = (
            "(t.created + (60 + mod(abs(hashint4(t.i::int + 1)), 80000)) * interval '1 second')"
        )
        ship_by = f"(({replied_at} AT TIME ZONE 'Asia/Shanghai')::date + 5)"
        insert_generated(
            Ticket,
            source,
            {
                "order": "t.order_id",
                "shop": "t.shop_id",
                "buyer": "t.buyer_id",
                "policy": (
                    f"CASE WHEN t.platform = 'tmall' THEN {policy['tmall']} "
                    f"ELSE {policy['taobao']} END"
                ),
                "state": (
                    f"CASE WHEN {waiting} THEN 'awaiting_reply' WHEN {review} THEN "
                    f"'platform_review' WHEN {buyer} THEN 'awaiting_buyer' WHEN {agreed} THEN "
                    "'agreed' ELSE 'completed' END"
                ),
                "created_at": "t.created",
                "updated_at": "t.created",
                "reply_due_at": "t.created + interval '24 hours'",
                "reply_plan": f"CASE WHEN {replied} THEN 'ship_later' ELSE '' END",
                "reply_reason": f"CASE WHEN {replied} THEN {ship_later} END",
                "replied_at": f"CASE WHEN {replied} THEN {replied_at} END",
                "first_action_at": f"CASE WHEN {replied} THEN {replied_at} END",
                "ship_by": f"CASE WHEN {replied} THEN {ship_by} END",
                "ship_deadline": (
                    f"CASE WHEN {replied} THEN "
                    f"(({ship_by} + time '23:59:59.999999') AT TIME ZONE 'Asia/Shanghai') END"
                ),
                "buyer_due_at": f"CASE WHEN {buyer} THEN {replied_at} + interval '2 days' END",
                "buyer_responded_at": (
                    f"CASE WHEN {replied} AND NOT {buyer} THEN {replied_at} + interval '1 hour' END"
                ),
                "buyer_accepted": f"CASE WHEN {replied} AND NOT {buyer} THEN true END",
                "settlement": (
                    f"CASE WHEN NOT ({waiting} OR {review} OR {buyer} OR {agreed}) "
                    "THEN 'shipped' ELSE '' END"
                ),
                "settled_at": (
                    f"CASE WHEN NOT ({waiting} OR {review} OR {buyer} OR {agreed}) "
                    "THEN t.created + interval '3 days' END"
                ),
                "completed_at": (
                    f"CASE WHEN NOT ({waiting} OR {review} OR {buyer} OR {agreed}) "
                    "THEN t.created + interval '3 days' END"
                ),
            },
            at=now,
        )
        tk = "mod(abs(hashint4((t.order_id - %(order0)s)::int)), 100)"
        insert_generated(
            Complaint,
            "tickets_ticket t WHERE (t.first_action_at IS NULL AND t.state <> 'awaiting_reply') "
            f"OR ({tk} BETWEEN 20 AND 27 AND t.state = 'completed')",
            {
                "ticket": "t.id",
                "kind": (
                    "CASE WHEN t.first_action_at IS NULL THEN 'reply_timeout' "
                    "ELSE 'plan_rejected' END"
                ),
                "state": (
                    "CASE WHEN t.state = 'platform_review' THEN 'pending' "
                    f"WHEN t.first_action_at IS NULL AND {tk} < 4 THEN 'upheld' "
                    "ELSE 'dismissed' END"
                ),
                "filed_at": "t.reply_due_at",
                "review_due_at": "t.reply_due_at + interval '48 hours'",
                "decided_at": (
                    "CASE WHEN t.state = 'completed' THEN t.reply_due_at + interval '1 day' END"
                ),
                "decision_note": "CASE WHEN t.state = 'completed' THEN '已核实。' ELSE '' END",
                "appeal_due_at": (
                    "CASE WHEN t.state = 'completed' THEN t.reply_due_at + interval '4 days' END"
                ),
            },
            order0=order0,
        )
        ticket_type = ContentType.objects.get_for_model(Ticket).pk
        complaint_type = ContentType.objects.get_for_model(Complaint).pk
        insert_generated(
            StateLog,
            "tickets_ticket t",
            {
                "timestamp": "t.created_at",
                "by": "t.buyer_id",
                "state": "'awaiting_reply'",
                "transition": "'urge'",
                "content_type": str(ticket_type),
                "object_id": "t.id",
                "description": '\'{"order_no": "P"}\'',
            },
        )
        insert_generated(
            StateLog,
            "tickets_ticket t WHERE t.replied_at IS NOT NULL",
            {
                "timestamp": "t.replied_at",
                "source_state": "'awaiting_reply'",
                "state": "'awaiting_buyer'",
                "transition": "'reply'",
                "content_type": str(ticket_type),
                "object_id": "t.id",
                "description": '\'{"plan": "ship_later", "reason": "stock_shortage"}\'',
            },
        )
        insert_generated(
            StateLog,
            "complaints_complaint c",
            {
                "timestamp": "c.filed_at",
                "state": "'pending'",
                "transition": "'file'",
                "content_type": str(complaint_type),
                "object_id": "c.id",
                "description": "'{\"kind\": \"' || c.kind || '\"}'",
            },
        )
        for source, kind, text in (
            ("tickets_ticket t", "ticket_opened", "您的催发货已提交。"),
            (
                "tickets_ticket t WHERE t.replied_at IS NOT NULL",
                "merchant_replied",
                "商家已回复：缺货，预计稍后发货。",
            ),
        ):
            insert_generated(
                BuyerMessage,
                source,
                {
                    "ticket": "t.id",
                    "buyer": "t.buyer_id",
                    "kind": f"'{kind}'",
                    "text": f"'{text}'",
                    "payload": "jsonb_build_object('ticket', t.id)",
                    "created_at": "coalesce(t.replied_at, t.created_at)"
                    if kind != "ticket_opened"
                    else "t.created_at",
                    "delivered_at": "t.created_at + interval '1 second'",
                    "next_attempt_at": "NULL",
                },
            )
        password = make_password(PASSWORD)
        made = {}
        for username in (MERCHANT, BIG_MERCHANT, REVIEWER, ADMIN):
            made[username] = User.objects.create(
                username=username,
                password=password,
                is_staff=username in (ADMIN, REVIEWER),
                is_superuser=username == ADMIN,
            )
        ShopMembership.objects.create(user=made[MERCHANT], shop_id=shop0 + 2)
        ShopMembership.objects.create(user=made[BIG_MERCHANT], shop_id=shop0 + 1)
        made[REVIEWER].groups.add(Group.objects.get_or_create(name=roles.REVIEWERS)[0])
        for username in (MERCHANT, REVIEWER):
            Token.objects.create(user=made[username], key=f"{username}-token".ljust(40, "0")[:40])
        Token.objects.create(user_id=user0 + 1, key="bench-buyer-token".ljust(40, "0"))
        cursor.execute(
            "INSERT INTO bench_meta VALUES (%s, %s, %s, %s)", [total, big_shop, now, DATA_VERSION]
        )
        cursor.execute(
            "SELECT (SELECT count(*) FROM tickets_ticket), (SELECT count(*) FROM "
            "complaints_complaint), (SELECT count(*) FROM django_fsm_log_statelog), "
            "(SELECT count(*) FROM tickets_buyermessage), (SELECT count(*) FROM tickets_ticket "
            f"WHERE shop_id = {shop0 + 1}), (SELECT count(*) FROM tickets_ticket "
            f"WHERE shop_id = {shop0 + 2})"
        )
        figures = dict(
            zip(
                ("tickets", "complaints", "audit", "messages", "shop1", "shop2"),
                cursor.fetchone(),
                strict=True,
            )
        )
    after_build(connection)
    return {"generated": True, "seconds": time.perf_counter() - started, "counts": figures}


def after_build(connection):
    """What a deployment holds beside the rows: maintained figures rebuilt, statistics fresh."""
    try:
        from tickets import rollups
    except ImportError:
        rollups = None
    if rollups is not None:
        rollups.rebuild()
    connection.close()
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


# -- the pages --------------------------------------------------------------------------------


class Session:
    """One logged-in browser (cookies) or API caller (a token) against one server."""

    def __init__(self, port: int, headers: dict | None = None):
        self.port, self.cookies, self.headers = port, {}, dict(headers or {})

    def get(self, path: str) -> tuple[int, bytes]:
        status, body, headers = request(self.port, "GET", path, headers=self._headers(path))
        self._keep(headers)
        return status, body

    def login(self, path: str, username: str):
        _, body = self.get(path)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1).decode()
        status, _, headers = request(
            self.port,
            "POST",
            path,
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            self._headers(path),
            form=True,
        )
        self._keep(headers)
        if status != 302:
            raise SystemExit(f"login of {username} at {path} answered {status}")

    def _headers(self, path):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        referer = f"https://127.0.0.1:{self.port}{path}"
        return {**self.headers, "Cookie": cookie, "Referer": referer} if cookie else self.headers

    def _keep(self, headers):
        for name, value in headers:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]


def order_no(i: int) -> str:
    return f"P{i:010d}"


def pages(total: int) -> list[tuple[str, str, str]]:
    """(label, who, path): the same list at both sizes (the searched order exists in both, and
    the searched part, the number without its first and last characters, is in the same 11
    order numbers at both: a part that more numbers hold as the table grows asks for a longer
    page, which is another measurement)."""
    probe = min(total, 20_000) // 2 + 7
    return [
        ("merchant dashboard 30 d", MERCHANT, "/merchant/?days=30"),
        ("merchant dashboard 90 d", MERCHANT, "/merchant/?days=90"),
        ("merchant ticket list", MERCHANT, "/merchant/tickets/"),
        ("merchant complaint list", MERCHANT, "/merchant/complaints/"),
        ("admin complaint queue", ADMIN, "/admin/complaints/complaint/"),
        ("admin ticket list", ADMIN, "/admin/tickets/ticket/"),
        ("admin search order (full)", ADMIN, f"/admin/tickets/ticket/?q={order_no(probe)}"),
        ("admin search order (part)", ADMIN, f"/admin/tickets/ticket/?q={order_no(probe)[1:-1]}"),
        ("admin buyer messages", ADMIN, "/admin/tickets/buyermessage/"),
        ("admin audit rows", ADMIN, "/admin/django_fsm_log/statelog/"),
        ("admin policy list", ADMIN, "/admin/tickets/policy/"),
        ("operations console", ADMIN, "/admin/operations/console/"),
        ("/metrics", "metrics", "/metrics"),
        ("API tickets (merchant)", "api-merchant", "/api/v1/tickets/"),
        ("API complaints (merchant)", "api-merchant", "/api/v1/complaints/"),
        ("API tickets (reviewer)", "api-reviewer", "/api/v1/tickets/"),
        ("API complaints (reviewer)", "api-reviewer", "/api/v1/complaints/"),
        ("API messages (buyer)", "api-buyer", "/api/v1/messages/"),
    ]


def sessions(port: int) -> dict:
    merchant, big, staff = Session(port), Session(port), Session(port)
    merchant.login("/merchant/login/", MERCHANT)
    big.login("/merchant/login/", BIG_MERCHANT)
    staff.login("/admin/login/", ADMIN)
    token = {
        "api-merchant": f"{MERCHANT}-token".ljust(40, "0")[:40],
        "api-reviewer": f"{REVIEWER}-token".ljust(40, "0")[:40],
        "api-buyer": "bench-buyer-token".ljust(40, "0"),
    }
    return {
        MERCHANT: merchant,
        BIG_MERCHANT: big,
        ADMIN: staff,
        "metrics": Session(port, {"Authorization": f"Bearer {METRICS_TOKEN}"}),
        **{who: Session(port, {"Authorization": f"Token {key}"}) for who, key in token.items()},
    }


def timed(session: Session, path: str) -> float:
    started = time.perf_counter()
    status, body = session.get(path)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
    return elapsed


def measure(rounds: int, small_port: int, big_port: int, total_small: int):
    """Each page fetched alternately from both servers, `rounds` times after one warm-up."""
    small, big = sessions(small_port), sessions(big_port)
    rows = []
    for label, who, path in pages(total_small):
        times = {"small": [], "big": []}
        for n in range(rounds + 1):
            for name, side in (("small", small), ("big", big)):
                ms = timed(side[who], path)
                if n:
                    times[name].append(ms)
        rows.append((label, statistics.median(times["small"]), statistics.median(times["big"])))
    dashboards = {"small": [], "big": []}
    for n in range(rounds + 1):
        for name, who in (("small", MERCHANT), ("big", BIG_MERCHANT)):
            ms = timed(big[who], "/merchant/?days=90")
            if n:
                dashboards[name].append(ms)
    return rows, {k: statistics.median(v) for k, v in dashboards.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--generate", nargs=2, type=int, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.generate:
        print(json.dumps(generate(*options.generate), default=str))
        return

    small_n, big_n, big_shop = scale()
    small_db = ensure(small_n, big_shop, options.rebuild)
    big_db = ensure(big_n, big_shop, options.rebuild)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        env=server_env(small_db),
        cwd=ROOT,
        check=True,
    )
    small_port, big_port = free_port(), free_port()
    servers = []
    try:
        servers.append(start_server(small_port, options.workers, server_env(small_db)))
        servers.append(start_server(big_port, options.workers, server_env(big_db)))
        rows, dashboards = measure(options.rounds, small_port, big_port, small_n)
    finally:
        for server in servers:
            stop_server(server)

    print(f"p50 of {options.rounds} loads, ms: {small_n:,} tickets vs {big_n:,} tickets")
    print(f"  {'page':<30} {'small':>9} {'big':>9} {'ratio':>7}")
    for label, small_ms, big_ms in rows:
        print(f"  {label:<30} {small_ms:9.1f} {big_ms:9.1f} {big_ms / small_ms:7.2f}")
    worst_label, worst = max(((r[0], r[2] / r[1]) for r in rows), key=lambda r: r[1])
    print(f"  worst: {worst_label}")
    result("pages_flat_worst", f"{worst:.2f}", f"{FLAT_TARGET:.2f}", worst <= FLAT_TARGET)
    ratio = dashboards["big"] / dashboards["small"]
    print(
        f"90-day dashboard: shop of {big_shop:,} tickets {dashboards['big']:.1f} ms, "
        f"shop of {SHOP_TICKETS:,} {dashboards['small']:.1f} ms"
    )
    result("big_shop_dashboard", f"{ratio:.2f}", f"{BIG_SHOP_TARGET:.2f}", ratio <= BIG_SHOP_TARGET)


if __name__ == "__main__":
    main()
