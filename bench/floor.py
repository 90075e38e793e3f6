"""The raw-SQL floor of the API's write path (docs/quality.md), served by bench/api.py with the
same gunicorn as the project, in the same run: what the cheapest honest implementation of
`POST /api/v1/tickets/{id}/reply/` costs on this machine, so that the project's reply rate is
judged against it rather than against `/healthz`.

A bare WSGI app (no Django, no framework) with a psycopg pool. One reply is one transaction of
hand-written statements, each what the reply needs and nothing more:

1. the token with the caller's role groups and shops (one statement, as the project's);
2. the Idempotency-Key claimed (`INSERT ... ON CONFLICT DO NOTHING`; a key seen before is
   locked and its stored answer replayed, a different request under it refused);
3. the ticket locked (`FOR UPDATE OF` the ticket) with its order, shop, buyer and policy;
4. the reason, active, by its code;
5. the checks: the caller staffs the ticket's shop (else 404), the state is awaiting_reply, the
   deadline has not passed, the reason allows the plan, the ship-by date within the policy's
   cap (Asia/Shanghai days);
6. the guarded `UPDATE` (`... AND state = 'awaiting_reply'`), the audit row, the buyer's
   message (the outbox row), the answer stored under the key; COMMIT; the answer as JSON
   (the fields of the project's answer).

`cannot_ship` (which also files a complaint) is not in the floor: bench/api.py replies
`ship_later`. `/healthz` answers `SELECT 1`, as the project's does.

    gunicorn bench.floor:application   (DATABASE_URL names the database)
"""

import datetime as dt
import hashlib
import json
import os
import re
from zoneinfo import ZoneInfo

from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

PLATFORM_TZ = ZoneInfo("Asia/Shanghai")
ROLES = ("reviewers", "review_leads", "operations", "order_system", "buyers")
PLANS = {"ship_later": "后续可发", "exchange_agreed": "协商一致换货"}
STATE_LABELS = {"awaiting_buyer": "Awaiting buyer", "agreed": "Agreed, to fulfil"}
KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
KEY_TTL = dt.timedelta(hours=24)
REPLY_PATH = re.compile(r"^/api/v1/tickets/([0-9]{1,18})/reply/$")

TOKEN_SQL = """
SELECT u.id, u.is_active,
       (SELECT string_agg(g.name, ',') FROM auth_group g
          JOIN auth_user_groups ug ON ug.group_id = g.id
         WHERE ug.user_id = u.id AND g.name = ANY(%s)),
       (SELECT array_agg(m.shop_id) FROM tickets_shopmembership m WHERE m.user_id = u.id)
  FROM authtoken_token t JOIN auth_user u ON u.id = t.user_id
 WHERE t.key = %s"""
CLAIM_SQL = """
INSERT INTO idempotency_idempotencykey
       (user_id, key, fingerprint, method, path, created_at, expires_at)
VALUES (%s, %s, %s, 'POST', %s, %s, %s)
ON CONFLICT (user_id, key) DO NOTHING RETURNING id"""
CLAIMED_SQL = """
SELECT id, fingerprint, status_code, response_body, expires_at
  FROM idempotency_idempotencykey WHERE user_id = %s AND key = %s FOR UPDATE"""
LOCK_SQL = """
SELECT t.state, t.shop_id, t.buyer_id, t.created_at, t.reply_due_at, t.first_action_at,
       t.second_handling_plan, t.settlement, t.settled_at, t.completed_at,
       o.order_no, o.is_fresh, s.code, s.name, b.username,
       p.buyer_window, p.ship_later_cap_days, p.fresh_ship_later_cap_days
  FROM tickets_ticket t
  JOIN tickets_order o ON o.id = t.order_id
  JOIN tickets_shop s ON s.id = t.shop_id
  JOIN auth_user b ON b.id = t.buyer_id
  JOIN tickets_policy p ON p.id = t.policy_id
 WHERE t.id = %s FOR UPDATE OF t"""
REASON_SQL = """
SELECT id, buyer_text, allows_ship_later, allows_exchange_agreed
  FROM tickets_replyreason WHERE code = %s AND is_active"""
UPDATE_SQL = """
UPDATE tickets_ticket
   SET state = %s, reply_plan = %s, reply_reason_id = %s, reply_note = %s, replied_at = %s,
       replied_by_id = %s, first_action_at = COALESCE(first_action_at, %s), ship_by = %s,
       ship_deadline = %s, buyer_due_at = %s, updated_at = %s
 WHERE id = %s AND state = 'awaiting_reply'"""
AUDIT_SQL = """
INSERT INTO django_fsm_log_statelog
       (timestamp, by_id, source_state, state, transition, content_type_id, object_id,
        description)
VALUES (%s, %s, 'awaiting_reply', %s, 'reply',
        (SELECT id FROM django_content_type WHERE app_label = 'tickets' AND model = 'ticket'),
        %s, %s)"""
MESSAGE_SQL = """
INSERT INTO tickets_buyermessage
       (ticket_id, buyer_id, kind, text, payload, created_at, next_attempt_at, attempts,
        last_error)
VALUES (%s, %s, 'reply', %s, %s, %s, %s, 0, '')"""
STORE_SQL = (
    "UPDATE idempotency_idempotencykey SET status_code = 200, response_body = %s WHERE id = %s"
)

_pool = None


def pool() -> ConnectionPool:
    """One pool per gunicorn worker (made after the fork, on the first request)."""
    global _pool
    if _pool is None:
        _pool = ConnectionPool(
            os.environ["DATABASE_URL"], min_size=1, max_size=2, open=True, timeout=30
        )
    return _pool


class Refused(Exception):
    def __init__(self, status: str, code: str, detail: str):
        self.status, self.code, self.detail = status, code, detail


def _local(value):
    return value.astimezone(PLATFORM_TZ).isoformat() if value is not None else None


def _body(request: dict) -> dict:
    try:
        data = json.loads(request or b"null")
    except ValueError:
        raise Refused("400 Bad Request", "parse_error", "Malformed JSON.") from None
    if not isinstance(data, dict):
        raise Refused("400 Bad Request", "invalid", "A JSON object.")
    plan, reason = data.get("plan"), data.get("reason")
    note = data.get("note", "")
    if plan not in PLANS:
        raise Refused("400 Bad Request", "invalid", "Choose a plan.")
    if not isinstance(reason, str) or not isinstance(note, str):
        raise Refused("400 Bad Request", "invalid", "Choose a reason from the catalogue.")
    try:
        ship_by = dt.date.fromisoformat(data.get("ship_by") or "")
    except (TypeError, ValueError):
        raise Refused("400 Bad Request", "invalid", "Choose the date you will ship by.") from None
    return {"plan": plan, "reason": reason, "ship_by": ship_by, "note": note.strip()}


def reply(environ, ticket_id: int) -> tuple[str, bytes]:
    scheme, _, key = environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme != "Token" or not key:
        raise Refused("401 Unauthorized", "not_authenticated", "No credentials.")
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    data = _body(raw)
    idem_key = environ.get("HTTP_IDEMPOTENCY_KEY")
    if idem_key is not None and not KEY_PATTERN.match(idem_key):
        raise Refused("400 Bad Request", "invalid", "A bad Idempotency-Key.")
    path = environ["PATH_INFO"]
    at = dt.datetime.now(dt.UTC)
    with pool().connection() as conn, conn.transaction(), conn.cursor() as cur:
        found = cur.execute(TOKEN_SQL, [list(ROLES), key]).fetchone()
        if found is None or not found[1]:
            raise Refused("401 Unauthorized", "authentication_failed", "Invalid token.")
        user_id, _active, roles, shops = found
        if roles and "order_system" in roles.split(","):
            raise Refused("403 Forbidden", "permission_denied", "Not for the order system.")
        claimed = None
        if idem_key is not None:
            fingerprint = hashlib.sha256(
                json.dumps(["POST", path, json.loads(raw)], sort_keys=True).encode()
            ).hexdigest()
            row = cur.execute(
                CLAIM_SQL, [user_id, idem_key, fingerprint, path, at, at + KEY_TTL]
            ).fetchone()
            if row is None:
                old = cur.execute(CLAIMED_SQL, [user_id, idem_key]).fetchone()
                if old[1] != fingerprint:
                    raise Refused("422 Unprocessable Entity", "idempotency_key_reused", "Reused.")
                return "200 OK", json.dumps(old[3]).encode()
            claimed = row[0]
        ticket = cur.execute(LOCK_SQL, [ticket_id]).fetchone()
        if ticket is None or ticket[1] not in (shops or ()):
            raise Refused("404 Not Found", "not_found", "No such ticket.")
        (state, shop_id, buyer_id, created_at, reply_due_at, first_action_at, second_plan,
         settlement, settled_at, completed_at, order_no, is_fresh, shop_code, shop_name,
         buyer_name, buyer_window, cap, fresh_cap) = ticket  # fmt: skip
        reason = cur.execute(REASON_SQL, [data["reason"]]).fetchone()
        if reason is None:
            raise Refused("400 Bad Request", "invalid", "Choose a reason from the catalogue.")
        reason_id, buyer_text, allows_ship_later, allows_exchange = reason
        plan = data["plan"]
        if not (allows_ship_later if plan == "ship_later" else allows_exchange):
            raise Refused("400 Bad Request", "invalid", "The reason does not allow the plan.")
        if state != "awaiting_reply":
            raise Refused("409 Conflict", "invalid_transition", "Cannot reply.")
        if at >= reply_due_at:
            raise Refused("409 Conflict", "deadline_passed", "The reply deadline passed.")
        today = at.astimezone(PLATFORM_TZ).date()
        ship_by = data["ship_by"]
        if not today <= ship_by <= today + dt.timedelta(days=fresh_cap if is_fresh else cap):
            raise Refused("400 Bad Request", "invalid", "The ship-by date is out of range.")
        ship_deadline = dt.datetime.combine(ship_by, dt.time.max, tzinfo=PLATFORM_TZ)
        target, buyer_due_at = "agreed", None
        if plan == "ship_later":
            target, buyer_due_at = "awaiting_buyer", at + buyer_window
        cur.execute(
            UPDATE_SQL,
            [target, plan, reason_id, data["note"], at, user_id, at, ship_by, ship_deadline,
             buyer_due_at, at, ticket_id],
        )  # fmt: skip
        if cur.rowcount != 1:
            raise Refused("409 Conflict", "invalid_transition", "Cannot reply.")
        payload = {"note": data["note"], "plan": plan, "reason": data["reason"]}
        payload["ship_by"] = ship_by.isoformat()
        cur.execute(
            AUDIT_SQL, [at, user_id, target, ticket_id, json.dumps(payload, sort_keys=True)]
        )
        ship_text = f"。换货预计 {ship_by.isoformat()} 前发出"
        if plan == "ship_later":
            due = buyer_due_at.astimezone(PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")
            ship_text = (
                f"。预计 {ship_by.isoformat()} 前发货，请在 {due} 前确认，逾期未操作视为认可"
            )
        text = f"商家回复：{PLANS[plan]}。原因：{buyer_text.strip().rstrip('。.． ')}{ship_text}。"
        message = {"ticket": ticket_id, "order_no": order_no, "plan": plan}
        message.update(reason=data["reason"], ship_by=ship_by.isoformat())
        cur.execute(MESSAGE_SQL, [ticket_id, buyer_id, text, Jsonb(message), at, at])
        deadline = buyer_due_at if plan == "ship_later" else ship_deadline
        answer = {
            "id": ticket_id,
            "order_no": order_no,
            "shop": shop_code,
            "shop_id": shop_id,
            "shop_name": shop_name,
            "buyer": buyer_name,
            "state": target,
            "state_display": STATE_LABELS[target],
            "created_at": _local(created_at),
            "reply_due_at": _local(reply_due_at),
            "reply_plan": plan,
            "reply_reason": data["reason"],
            "replied_at": _local(at),
            "ship_by": ship_by.isoformat(),
            "ship_deadline": _local(ship_deadline),
            "buyer_due_at": _local(buyer_due_at),
            "buyer_accepted": None,
            "second_handling_plan": second_plan or None,
            "settlement": settlement or None,
            "settled_at": _local(settled_at),
            "completed_at": _local(completed_at),
            "deadline": _local(deadline),
            "is_overdue": at >= deadline,
        }
        if claimed is not None:
            cur.execute(STORE_SQL, [Jsonb(answer), claimed])
    return "200 OK", json.dumps(answer, ensure_ascii=False).encode()


def healthz() -> tuple[str, bytes]:
    with pool().connection() as conn:
        conn.execute("SELECT 1").fetchone()
    return "200 OK", b'{"status": "ok", "database": "ok"}'


def application(environ, start_response):
    path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
    try:
        match = REPLY_PATH.match(path)
        if path == "/healthz" and method in ("GET", "HEAD"):
            status, body = healthz()
        elif match and method == "POST":
            status, body = reply(environ, int(match.group(1)))
        else:
            raise Refused("404 Not Found", "not_found", "Not found.")
    except Refused as refused:
        status = refused.status
        body = json.dumps({"code": refused.code, "detail": refused.detail}).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
