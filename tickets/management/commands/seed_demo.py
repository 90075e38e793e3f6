"""`manage.py seed_demo [--tickets N]`: the demo data set of §13.

Three parts, all in one transaction (a demo set is there whole or not at all):

1. The fixed people of §13 (buyer1, buyer2, merchant1, merchant2, reviewer1, ops1, ordersys,
   password `demo-pass-123`), their groups, shops and API tokens.
2. A bulk history of N tickets over the last 30 days on both platforms, written with
   `bulk_create` in batches. Each ticket's life is simulated with the models' own transition
   methods (the pure bodies of the django-fsm `@transition`s) and writes the same rows the
   services write: audit rows, buyer messages, complaints, compensations, liabilities and
   evidence. Deadlines come from the policy in force at each ticket's creation. Automatic
   transitions happen at their deadlines, as the sweeps would have applied them, so nothing
   in the bulk set is left overdue except the few rows meant to fall due minutes from now.
3. Hand-made tickets for buyer1 and buyer2 in the two demo shops, made through the real
   services with `at=` in the past: one in every ticket state and every complaint state, and
   some whose reply and buyer deadlines fall due a few minutes after seeding.

Running it again changes nothing: when the shop `taobao-demo-1` exists, parts 2 and 3 are
skipped whatever `--tickets` says (build another size in an empty database).
"""

import bisect
import datetime as dt
import hashlib
import io
import json
import operator
import random
import sys
import time
import uuid
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django_fsm import State
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token
from tqdm import tqdm

from complaints import services as complaint_services
from complaints.models import (
    Compensation,
    CompensationKind,
    Complaint,
    ComplaintKind,
    ComplaintState,
    DecisionTemplate,
    Evidence,
    Liability,
)
from tickets import roles
from tickets import services as ticket_services
from tickets.audit import dump_payload
from tickets.models import (
    PLANS_WITH_DATE,
    PLATFORM_TZ,
    BuyerMessage,
    MessageKind,
    Order,
    Plan,
    Platform,
    Policy,
    ReplyReason,
    SecondPlan,
    Settlement,
    Shop,
    ShopMembership,
    Ticket,
    TicketState,
    platform_today,
)
from tickets.outbox import (
    COMPENSATION_TEXTS,
    KIND_TEXTS,
    amount_text,
    buyer_text,
    local_text,
    outcome_text,
    reply_fields,
)
from tickets.policy import late_shipment_terms, policy_in_force, stockout_terms

S = TicketState
C = ComplaintState
PASSWORD = "demo-pass-123"
MARKER_SHOP = "taobao-demo-1"
TMALL_SHOP = "tmall-demo-1"
# username, groups, is_staff, shop code staffed, what the account is for
FIXED_USERS = (
    ("buyer1", (roles.BUYERS,), False, None, "buyer (API)"),
    ("buyer2", (roles.BUYERS,), False, None, "buyer (API)"),
    ("merchant1", (), False, MARKER_SHOP, "merchant, Taobao, second handling rolled out"),
    ("merchant2", (), False, TMALL_SHOP, "merchant, Tmall, second handling not rolled out"),
    ("reviewer1", (roles.REVIEWERS,), True, None, "platform reviewer (admin)"),
    ("ops1", (roles.OPERATIONS,), True, None, "platform operations (admin)"),
    # §18: a lead reviewer (assigns complaints to reviewers and takes them back); not in §13's
    # fixed list, which this extends.
    ("lead1", (roles.REVIEW_LEADS,), True, None, "lead reviewer: assigns complaints (admin)"),
    ("ordersys", (roles.ORDER_SYSTEM,), False, None, "order system service account (API)"),
)
BATCH = 2000  # rows per INSERT
CHUNK = 5000  # tickets simulated, then written, at a time (bounds memory)
DAYS = 30  # the history covers the §9 dashboard's trailing window
SWEEP_LAG = (5, 55)  # seconds after a deadline at which a once-a-minute sweep acted
HOUR = dt.timedelta(hours=1)
MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)


def _png(text: str, colour=(250, 236, 210)) -> bytes:
    """A small real PNG (evidence must pass the content check)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (360, 160), colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((8, 8, 351, 151), outline=(120, 90, 40), width=3)
    draw.text((24, 40), "DEMO EVIDENCE", fill=(60, 40, 10))
    draw.text((24, 80), text, fill=(60, 40, 10))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _payload(payload):
    """A payload whose values may be rows written later: rows become their ids."""
    if not payload:
        return payload
    return {k: (v.pk if isinstance(v, models.Model) else v) for k, v in payload.items()}


class RowMaker:
    """Builds unsaved model instances from a template of field defaults, with the related
    objects cached, at a small part of the cost of keyword construction."""

    def __init__(self, model):
        self.model = model
        fields = model._meta.concrete_fields
        self.index = {}
        self.defaults = []
        for i, field in enumerate(fields):
            self.index[field.name] = self.index[field.attname] = i
            self.defaults.append(None if field.primary_key else field.get_default())
        self.relations = {f.name: f for f in fields if f.is_relation}
        self.attnames = [f.attname for f in fields]

    def __call__(self, **values):
        args = list(self.defaults)
        related = []
        for name, value in values.items():
            field = self.relations.get(name)
            if field is None:
                args[self.index[name]] = value
            else:
                args[self.index[field.attname]] = None if value is None else value.pk
                related.append((field, value))
        # The attributes Model.__init__ would set, without its per-field work: these rows
        # are only read and inserted here (never save()d), at 10^5 of them.
        obj = self.model.__new__(self.model)
        obj._state = ModelState()
        obj.__dict__.update(zip(self.attnames, args, strict=True))
        for field, value in related:
            field.set_cached_value(obj, value)
        return obj


class History:
    """Simulates tickets one by one with the models' pure transitions and collects every row
    the services would write, then writes a chunk with bulk inserts."""

    def __init__(self, *, now, rng: random.Random, people):
        self.now, self.rng, self.people = now, rng, people
        self.transitions = {}
        for model in (Ticket, Complaint):
            for tr in model._meta.get_field("state").get_all_transitions(model):
                self.transitions[(model, tr.name, str(tr.source))] = tr
        self.content_types = {
            Ticket: ContentType.objects.get_for_model(Ticket).pk,
            Complaint: ContentType.objects.get_for_model(Complaint).pk,
        }
        self.policies = {}
        for policy in Policy.objects.order_by("effective_from"):
            times, rows = self.policies.setdefault(policy.platform, ([], []))
            times.append(policy.effective_from)
            rows.append(policy)
        self.reasons = {
            plan: list(ReplyReason.objects.active().allowing(plan)) for plan in Plan.values
        }
        self.evidence_png = _png("buyer refused delivery")
        self.order_seq = Order.objects.filter(order_no__startswith="DEMO").count()
        self.make = {
            model: RowMaker(model) for model in (Order, Ticket, Complaint, Compensation, Liability)
        }
        self._reset()

    def _reset(self):
        self.orders, self.tickets, self.complaints = [], [], []
        self.compensations, self.liabilities = [], []
        self.logs, self.messages, self.evidence = [], [], []

    # -- reading the policy ------------------------------------------------------------
    def policy_at(self, platform, at) -> Policy:
        """tickets.policy.policy_in_force, from the rows read once."""
        times, rows = self.policies[platform]
        i = bisect.bisect_right(times, at) - 1
        if i < 0:
            raise CommandError(f"no policy is in force for {platform} at {at.isoformat()}")
        return rows[i]

    # -- random helpers ------------------------------------------------------------------
    def between(self, start, end):
        return start + (end - start) * self.rng.random()

    def swept(self, deadline):
        """When a once-a-minute sweep acted on `deadline`: a few seconds after it, and by now
        at the latest if it has passed (so no bulk row is left overdue)."""
        at = deadline + dt.timedelta(seconds=self.rng.uniform(*SWEEP_LAG))
        return min(at, self.now) if deadline <= self.now else at

    def amount(self) -> Decimal:
        yuan = min(max(self.rng.lognormvariate(4.6, 1.0), 1.0), 20000.0)
        return Decimal(f"{yuan:.2f}")

    def new_order(self, *, shop, buyer, paid_at, is_fresh=None) -> Order:
        self.order_seq += 1
        order = self.make[Order](
            order_no=f"DEMO{self.order_seq:09d}",
            shop=shop,
            buyer=buyer,
            amount=self.amount(),
            is_fresh=self.rng.random() < 0.2 if is_fresh is None else is_fresh,
            paid_at=paid_at,
            created_at=paid_at or self.now,
        )
        self.orders.append(order)
        return order

    # -- the rows the services write -----------------------------------------------------
    def fire(self, obj, name, *, log_at, actor=None, payload=None, args=None):
        """Run the transition's own body (it is pure), move the state as django-fsm does, and
        keep the audit row `audit.audited` would have written."""
        args = args or {}
        source = str(obj.state)
        tr = self.transitions[(type(obj), name, source)]
        result = tr.method(obj, **args)
        target = tr.target
        if isinstance(target, State):
            target = target.get_state(obj, tr, result, args=[], kwargs=args)
        type(obj)._meta.get_field("state").set_state(obj, target)
        self.logs.append((obj, source, str(target), name, actor, log_at, payload))

    def log_creation(self, obj, *, transition, state, actor, at, payload):
        self.logs.append((obj, None, str(state), transition, actor, at, payload))

    def message(self, ticket, kind, at, payload=None, **fields):
        self.messages.append((ticket, kind, at, payload, buyer_text(kind, **fields)))

    def urge(self, *, shop, order, at) -> Ticket:
        """ticket_urge."""
        policy = self.policy_at(shop.platform, at)
        ticket = self.make[Ticket](
            order=order,
            shop=shop,
            buyer=order.buyer,
            policy=policy,
            created_at=at,
            reply_due_at=at + policy.reply_window,
        )
        ticket.demo_order_no = order.order_no
        self.tickets.append(ticket)
        self.log_creation(
            ticket,
            transition="urge",
            state=S.AWAITING_REPLY,
            actor=order.buyer,
            at=at,
            payload={"order_no": order.order_no, "policy": policy.pk},
        )
        self.message(
            ticket, MessageKind.TICKET_OPENED, at, reply_due_at=local_text(ticket.reply_due_at)
        )
        return ticket

    def reply(self, ticket, *, at, actor, plan, days=None):
        """ticket_reply."""
        reason = self.rng.choice(self.reasons[plan])
        ship_by = None
        if plan in PLANS_WITH_DATE:
            cap = ticket.policy.ship_later_cap(is_fresh=ticket.order.is_fresh)
            if days is None:
                days = int(self.rng.triangular(0, 12, 3))
            ship_by = platform_today(at) + dt.timedelta(days=min(cap, days))
        self.fire(
            ticket,
            "reply",
            log_at=at,
            actor=actor,
            payload={"plan": plan, "reason": reason.code, "ship_by": ship_by, "note": ""},
            args=dict(
                plan=plan,
                reason=reason,
                ship_by=ship_by,
                note="",
                by=actor,
                at=at,
                buyer_window=ticket.policy.buyer_window,
            ),
        )
        self.message(
            ticket,
            MessageKind.REPLY,
            at,
            {"plan": plan, "reason": reason.code, "ship_by": ship_by and ship_by.isoformat()},
            **reply_fields(
                plan=plan, reason=reason, ship_by=ship_by, buyer_due_at=ticket.buyer_due_at
            ),
        )
        if plan == Plan.CANNOT_SHIP:
            return self.file(ticket, ComplaintKind.CANNOT_SHIP, at=at)
        return None

    def file(self, ticket, kind, *, at, filed_by=None, note="") -> Complaint:
        """complaint_file."""
        complaint = self.make[Complaint](
            ticket=ticket,
            kind=kind,
            filed_at=at,
            filed_by=filed_by,
            merchant_note=note,
            review_due_at=at + ticket.policy.review_target,
        )
        self.complaints.append(complaint)
        self.log_creation(
            complaint,
            transition="file",
            state=C.PENDING,
            actor=filed_by,
            at=at,
            payload={"kind": kind, "ticket": ticket},
        )
        self.message(
            ticket,
            MessageKind.COMPLAINT_FILED,
            at,
            {"complaint": complaint, "complaint_kind": kind},
            complaint_kind=kind,
            kind_text=KIND_TEXTS[kind],
        )
        return complaint

    def reply_timeout(self, ticket, *, at):
        """ticket_reply_timeout (what the sweep does at `reply_due_at`)."""
        self.fire(ticket, "reply_timeout", log_at=at)
        return self.file(ticket, ComplaintKind.REPLY_TIMEOUT, at=at)

    def buyer_answer(self, ticket, *, at, accept: bool):
        """ticket_buyer_respond."""
        args = {"at": at}
        self.fire(
            ticket,
            "accept" if accept else "reject",
            log_at=at,
            actor=ticket.buyer,
            payload={"accept": accept},
            args=args,
        )
        if accept:
            self.message(ticket, MessageKind.BUYER_RESPONSE, at, answer="接受")
            return None
        return self.file(ticket, ComplaintKind.PLAN_REJECTED, at=at)

    def buyer_silence(self, ticket, *, at):
        """ticket_buyer_silence (the sweep at `buyer_due_at`)."""
        self.fire(ticket, "buyer_silence", log_at=at)
        self.message(ticket, MessageKind.DEEMED_ACCEPTED, at, ship_by=ticket.ship_by.isoformat())

    def missed_ship_date(self, ticket, *, at):
        """ticket_missed_ship_date (the sweep at `ship_deadline`)."""
        self.fire(ticket, "missed_ship_date", log_at=at)
        return self.file(ticket, ComplaintKind.MISSED_SHIP_DATE, at=at)

    def compensation(self, ticket, *, kind, terms, at, complaint=None) -> Compensation:
        """compensation_create."""
        compensation = self.make[Compensation](
            ticket=ticket,
            complaint=complaint,
            kind=kind,
            amount=terms.amount,
            payout=terms.payout,
            points=terms.points,
            created_at=at,
        )
        self.compensations.append(compensation)
        self.message(
            ticket,
            MessageKind.COMPENSATION,
            at,
            {"compensation": compensation, "amount": str(terms.amount)},
            compensation_kind=COMPENSATION_TEXTS[kind],
            amount_text=amount_text(terms),
        )
        return compensation

    def second_handling(self, ticket, *, at, actor, plan):
        """ticket_second_handling."""
        if plan == SecondPlan.COMPENSATE:
            note = "缺货，主动赔付"
            terms = stockout_terms(ticket.policy, ticket.order.amount)
            self.fire(
                ticket,
                "compensate",
                log_at=at,
                actor=actor,
                payload={"plan": plan, "note": note, "amount": terms.amount},
                args={"note": note, "at": at},
            )
            ticket.demo_stockout_at = at
            self.compensation(ticket, kind=CompensationKind.STOCKOUT, terms=terms, at=at)
            return None
        note = "买家要求更换收货地址后失联，无法履约"
        self.fire(
            ticket,
            "claim_buyer_fault",
            log_at=at,
            actor=actor,
            payload={"plan": plan, "note": note, "evidence": ["签收拒绝截图.png"]},
            args={"note": note, "at": at},
        )
        complaint = self.file(
            ticket, ComplaintKind.BUYER_FAULT_CLAIM, at=at, filed_by=actor, note=note
        )
        self.evidence.append((ticket, complaint, actor, at))
        return complaint

    def settle(self, ticket, *, at, settlement):
        """order_settle: recorded during platform review, completes the ticket otherwise."""
        order = ticket.order
        setattr(order, "shipped_at" if settlement == Settlement.SHIPPED else "refunded_at", at)
        payload = {"settlement": settlement, "at": at}
        args = {"settlement": settlement, "at": max(at, ticket.created_at)}
        actor = self.people["ordersys"]
        if ticket.state == S.PLATFORM_REVIEW:
            self.fire(
                ticket, "record_settlement", log_at=at, actor=actor, payload=payload, args=args
            )
            return
        self.fire(ticket, "settle", log_at=at, actor=actor, payload=payload, args=args)
        self.message(ticket, MessageKind.COMPLETED, at)

    # -- reviewers -------------------------------------------------------------------------
    def review(self, complaint, *, settle_at, settlement):
        """A complaint's life from filing to now: claimed, maybe released, decided, maybe
        appealed; the ticket records a settlement meanwhile and finishes with the decision."""
        ticket, rng, now = complaint.ticket, self.rng, self.now
        reviewers = self.people["reviewers"]
        claim_at = complaint.filed_at + dt.timedelta(hours=rng.triangular(0.2, 70, 8))
        steps = []
        reviewer = rng.choice(reviewers)
        steps.append((claim_at, "claim", reviewer))
        if rng.random() < 0.06:
            release_at = claim_at + dt.timedelta(minutes=rng.uniform(5, 120))
            steps.append((release_at, "release", reviewer))
            claim_at = release_at + dt.timedelta(hours=rng.uniform(0.5, 12))
            reviewer = rng.choice(reviewers)
            steps.append((claim_at, "claim", reviewer))
        decide_at = claim_at + dt.timedelta(minutes=rng.triangular(5, 600, 40))
        upheld = rng.random() < (0.3 if complaint.kind == ComplaintKind.BUYER_FAULT_CLAIM else 0.7)
        steps.append((decide_at, "uphold" if upheld else "dismiss", reviewer))
        if upheld and rng.random() < 0.3:
            appeal_at = decide_at + dt.timedelta(hours=rng.uniform(1, 24 * 12))
            steps.append((appeal_at, "appeal", None))
            steps.append(
                (
                    appeal_at + dt.timedelta(hours=rng.triangular(1, 96, 20)),
                    "grant_appeal" if rng.random() < 0.4 else "deny_appeal",
                    rng.choice(reviewers),
                )
            )
        settled = False
        for at, step, actor in steps:
            if at > now:
                break
            if not settled and settle_at is not None and settle_at <= at:
                self.settle(ticket, at=settle_at, settlement=settlement)
                settled = True
            self.complaint_step(complaint, step, at=at, actor=actor)
        if not settled and settle_at is not None and settle_at <= now:
            self.settle(ticket, at=settle_at, settlement=settlement)

    def complaint_step(self, complaint, step, *, at, actor):
        ticket = complaint.ticket
        if step == "claim":
            self.fire(complaint, "claim", log_at=at, actor=actor, args={"by": actor, "at": at})
        elif step == "release":
            self.fire(complaint, "release", log_at=at, actor=actor)
        elif step in ("uphold", "dismiss"):
            note = {
                "uphold": "商家未按约定履约，投诉成立。",
                "dismiss": "商家提供的凭证可以证明买家原因，投诉不成立。",
            }[step]
            args = {"by": actor, "note": note, "at": at}
            if step == "uphold":
                args["appeal_window"] = ticket.policy.appeal_window
            self.fire(complaint, step, log_at=at, actor=actor, payload={"note": note}, args=args)
            if step == "uphold":
                stockout_at = getattr(ticket, "demo_stockout_at", None)
                points = 0 if stockout_at and stockout_at < at else ticket.policy.points_per_upheld
                compensation = self.compensation(
                    ticket,
                    kind=CompensationKind.LATE_SHIPMENT,
                    terms=late_shipment_terms(ticket.policy, ticket.order.amount),
                    at=at,
                    complaint=complaint,
                )
                liability = self.make[Liability](
                    complaint=complaint,
                    ticket=ticket,
                    shop=ticket.shop,
                    points=points,
                    compensation=compensation,
                    created_at=at,
                )
                self.liabilities.append(liability)
                complaint.demo_liability = liability
            self.message(
                ticket,
                MessageKind.COMPLAINT_DECIDED,
                at,
                {"complaint": complaint, "outcome": "upheld" if step == "uphold" else "dismissed"},
                complaint_kind=complaint.kind,
                kind_text=KIND_TEXTS[complaint.kind],
                outcome=outcome_text(complaint.kind, "upheld" if step == "uphold" else "dismissed"),
            )
            self.fire(
                ticket,
                "complaint_finished",
                log_at=at,
                payload={"complaint": complaint},
                args={"at": at},
            )
            if ticket.state == S.COMPLETED:
                self.message(ticket, MessageKind.COMPLETED, at)
        elif step == "appeal":
            merchant = self.people["staff"][ticket.shop.code]
            note = "已补充发货记录，申请复核。"
            self.fire(
                complaint,
                "appeal",
                log_at=at,
                actor=merchant,
                payload={"note": note},
                args={
                    "by": merchant,
                    "note": note,
                    "at": at,
                    "review_target": ticket.policy.appeal_review_target,
                },
            )
        else:  # grant_appeal / deny_appeal
            note = "申诉材料成立，撤销判责。" if step == "grant_appeal" else "申诉理由不成立。"
            self.fire(
                complaint,
                step,
                log_at=at,
                actor=actor,
                payload={"note": note},
                args={"by": actor, "note": note, "at": at},
            )
            if step == "grant_appeal":
                liability = complaint.demo_liability
                liability.reversed_at = at
                liability.compensation.reversed_at = at

    # -- one ticket's life -------------------------------------------------------------------
    def ticket_life(self, *, shop, buyer, created_at, due_soon=None, reply_at=None):
        """Urge at `created_at`, then let merchant, buyer, order system, sweeps and reviewers
        act, each at a sampled time, as long as that time is in the past. `due_soon`:
        "reply" or "buyer" keep the ticket waiting on that deadline (it falls due soon);
        `reply_at` fixes when the merchant replies."""
        rng, now = self.rng, self.now
        order = self.new_order(
            shop=shop,
            buyer=buyer,
            paid_at=created_at - dt.timedelta(hours=rng.triangular(0.5, 96, 6)),
        )
        ticket = self.urge(shop=shop, order=order, at=created_at)
        merchant = self.people["staff"][shop.code]
        speed = self.people["speed"][shop.code]
        settlement = Settlement.SHIPPED if rng.random() < 0.8 else Settlement.REFUNDED

        # awaiting_reply: a reply, the order settling first, or the reply deadline.
        if reply_at is None:
            reply_at = created_at + dt.timedelta(hours=rng.expovariate(1 / speed))
        if due_soon == "reply" or (due_soon is None and rng.random() < 0.07):
            reply_at = None  # never replies
        early_settle = None
        if rng.random() < 0.05 and due_soon is None:
            early_settle = created_at + dt.timedelta(hours=rng.uniform(0.2, 20))
        events = [
            (self.swept(ticket.reply_due_at), "timeout"),
            (reply_at, "reply") if reply_at and reply_at < ticket.reply_due_at else None,
            (early_settle, "settle") if early_settle else None,
        ]
        at, event = min(e for e in events if e)
        if at > now:
            return ticket
        if event == "settle":
            self.settle(ticket, at=at, settlement=settlement)
            return ticket
        if event == "timeout":
            complaint = self.reply_timeout(ticket, at=at)
            return self._to_review(ticket, complaint, settlement)
        roll = rng.random()
        plan = (
            Plan.SHIP_LATER
            if roll < 0.68 or due_soon == "buyer"
            else Plan.EXCHANGE_AGREED
            if roll < 0.86
            else Plan.CANNOT_SHIP
        )
        complaint = self.reply(ticket, at=at, actor=merchant, plan=plan)
        if complaint is not None:
            return self._to_review(ticket, complaint, settlement)
        replied_at = at

        # The order's fate against the promised date, and second handling where it is open.
        deadline = ticket.ship_deadline
        fate = rng.random()
        if fate < 0.72:
            settle_at = self.between(replied_at, deadline)
        elif fate < 0.8:
            settle_at = deadline + dt.timedelta(days=rng.uniform(0.5, 8))
        else:
            settle_at = None
        since = shop.second_handling_since
        second_at = second_plan = None
        if (
            fate >= 0.72
            and since is not None
            and replied_at >= since
            and rng.random() < 0.5
            and due_soon is None
        ):
            second_at = self.between(replied_at, min(deadline, replied_at + 4 * DAY))
            second_plan = SecondPlan.COMPENSATE if rng.random() < 0.6 else SecondPlan.BUYER_FAULT

        if ticket.state == S.AWAITING_BUYER:
            answer_roll = rng.random()
            answer_at = replied_at + dt.timedelta(hours=rng.triangular(0.1, 23, 2))
            if due_soon == "buyer" or answer_roll >= 0.62:
                answer = (self.swept(ticket.buyer_due_at), "silence")
            else:
                answer = (answer_at, "accept" if answer_roll < 0.5 else "reject")
            events = [answer]
            if settle_at is not None and due_soon is None:
                events.append((settle_at, "settle"))
            if second_at is not None:
                events.append((second_at, "second"))
            at, event = min(events)
            if at > now:
                return ticket
            if event == "settle":
                self.settle(ticket, at=at, settlement=settlement)
                return ticket
            if event == "second":
                return self._second(ticket, second_at, second_plan, merchant, settle_at, settlement)
            if event == "reject":
                complaint = self.buyer_answer(ticket, at=at, accept=False)
                return self._to_review(ticket, complaint, settlement)
            if event == "accept":
                self.buyer_answer(ticket, at=at, accept=True)
            else:
                self.buyer_silence(ticket, at=at)
            agreed_at = at
        else:
            agreed_at = replied_at

        # agreed: shipped in time, second handling, or the promised date missed (a same-day
        # promise may end before the buyer's window: the sweep then files right after).
        events = [(self.swept(max(deadline, agreed_at)), "missed")]
        if settle_at is not None:
            events.append((settle_at, "settle"))
        if second_at is not None:
            events.append((second_at, "second"))
        at, event = min(events)
        if at > now:
            return ticket
        if event == "settle":
            self.settle(ticket, at=at, settlement=settlement)
            return ticket
        if event == "second":
            return self._second(ticket, second_at, second_plan, merchant, settle_at, settlement)
        complaint = self.missed_ship_date(ticket, at=at)
        return self._to_review(ticket, complaint, settlement, settle_at=settle_at)

    def _second(self, ticket, at, plan, merchant, settle_at, settlement):
        complaint = self.second_handling(ticket, at=at, actor=merchant, plan=plan)
        if complaint is not None:
            return self._to_review(ticket, complaint, settlement, settle_at=settle_at)
        # compensated: the order is refunded (or ships after all) some time later.
        if self.rng.random() < 0.75:
            settle_at = at + dt.timedelta(hours=self.rng.uniform(1, 72))
            if settle_at <= self.now:
                self.settle(ticket, at=settle_at, settlement=Settlement.REFUNDED)
        return ticket

    def _to_review(self, ticket, complaint, settlement, settle_at=None):
        if settle_at is None and self.rng.random() < 0.75:
            settle_at = complaint.filed_at + dt.timedelta(hours=self.rng.uniform(1, 24 * 6))
        self.review(complaint, settle_at=settle_at, settlement=settlement)
        return ticket

    # -- writing -----------------------------------------------------------------------------
    def _message_rows(self, adapt_dt):
        delivery = dt.timedelta(seconds=2)
        dumps = json.dumps
        for ticket, kind, at, payload, text in self.messages:
            pk = ticket.pk
            body = {"ticket": pk, "order_no": ticket.demo_order_no}
            if payload:
                body.update(_payload(payload))
            sent = adapt_dt(at)
            # History: delivered long ago, so the outbox starts without old news.
            yield (
                pk,
                ticket.buyer_id,
                kind,
                text,
                dumps(body),
                sent,
                sent,
                adapt_dt(at + delivery),
                1,
                "",
            )

    def write(self):
        """Insert what the simulation collected, parents first, then the rows that point at
        them by id (audit rows and messages carry ids in their payloads)."""
        self.orders.sort(key=lambda o: o.created_at)
        self.tickets.sort(key=lambda t: t.created_at)
        self.complaints.sort(key=lambda c: c.filed_at)
        insert_objects(Order, self.orders)
        insert_objects(Ticket, self.tickets)
        insert_objects(Complaint, self.complaints)
        insert_objects(Compensation, self.compensations)
        insert_objects(Liability, self.liabilities)
        # Audit rows and messages, the largest tables, are never model instances here.
        adapt_dt, _adapt_date = db_adapters()
        self.logs.sort(key=lambda row: row[5])
        insert_rows(
            StateLog,
            (
                "timestamp",
                "by_id",
                "source_state",
                "state",
                "transition",
                "content_type_id",
                "object_id",
                "description",
            ),
            (
                (
                    adapt_dt(at),
                    getattr(actor, "pk", None),
                    source,
                    target,
                    name,
                    self.content_types[type(obj)],
                    obj.pk,
                    dump_payload(_payload(payload)) if payload else "{}",
                )
                for obj, source, target, name, actor, at, payload in self.logs
            ),
        )
        self.messages.sort(key=lambda row: row[2])
        insert_rows(
            BuyerMessage,
            (
                "ticket_id",
                "buyer_id",
                "kind",
                "text",
                "payload",
                "created_at",
                "next_attempt_at",
                "delivered_at",
                "attempts",
                "last_error",
            ),
            self._message_rows(adapt_dt),
        )
        evidence = []
        storage = Evidence._meta.get_field("file").storage
        for ticket, complaint, actor, at in self.evidence:
            name = storage.save(
                f"{ticket.pk}/{uuid.uuid4().hex}.png", ContentFile(self.evidence_png)
            )
            evidence.append(
                Evidence(
                    ticket=ticket,
                    complaint=complaint,
                    file=name,
                    original_name="签收拒绝截图.png",
                    content_type="image/png",
                    extension="png",
                    size=len(self.evidence_png),
                    sha256=_sha256(self.evidence_png),
                    uploaded_by=actor,
                    uploaded_at=at,
                )
            )
        Evidence.objects.bulk_create(evidence, batch_size=BATCH)
        self._reset()


def reserve_ids(model, n: int) -> list[int]:
    """`n` new primary keys for `model`, taken before inserting so that rows can point at each
    other without a round trip per row: from the sequence on PostgreSQL, above the largest id
    on SQLite (the seeding transaction holds SQLite's write lock)."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, model._meta.pk.column, n],
            )
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX({model._meta.pk.column}), 0) FROM {table}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + n))


def insert_objects(model, objs: list):
    """What `bulk_create` does, for many rows at a time with executemany: ids assigned first,
    foreign keys read from the related objects, values prepared by each field."""
    if not objs:
        return
    if connection.vendor not in ("postgresql", "sqlite"):
        model.objects.bulk_create(objs, batch_size=BATCH)
        return
    for obj, pk in zip(objs, reserve_ids(model, len(objs)), strict=True):
        obj.pk = pk
    fields = [f for f in model._meta.concrete_fields]
    relations = [f for f in fields if f.is_relation]
    for obj in objs:
        obj._state.adding = False
        for field in relations:
            related = field.get_cached_value(obj, None)
            if related is not None:
                # Past the descriptor, which would drop the cached object on a changed id.
                obj.__dict__[field.attname] = related.pk
    now = timezone.now()
    db_datetime, db_date = db_adapters()
    converters = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:  # as pre_save() would
                obj.__dict__[f.attname] = now
        if isinstance(f, models.DateTimeField):
            converters.append((f.attname, db_datetime))
        elif isinstance(f, models.DateField):
            converters.append((f.attname, db_date))
        elif isinstance(
            f,
            (
                models.CharField,
                models.TextField,
                models.IntegerField,
                models.BooleanField,
                models.ForeignKey,
                models.DecimalField,
            ),
        ):
            converters.append((f.attname, None))  # the driver takes these as they are
        else:
            converters.append((f.attname, lambda v, f=f: f.get_db_prep_save(v, connection)))
    attnames = [f.attname for f in fields]
    get = operator.itemgetter(*attnames)
    convert = [(i, c) for i, (_name, c) in enumerate(converters) if c is not None]

    def rows():
        for obj in objs:
            row = list(get(obj.__dict__))
            for i, c in convert:
                if row[i] is not None:
                    row[i] = c(row[i])
            yield row

    insert_rows(model, attnames, rows())


def db_adapters():
    """(datetime, date) adapters giving what the database takes: PostgreSQL the values as
    they are, SQLite the text Django stores (naive UTC), as `connection.ops` would adapt them
    but without its per-value lookups (a million values here)."""
    if connection.vendor != "sqlite":
        return (lambda v: v), (lambda v: v)

    def datetime_text(value):
        if value is None:
            return None
        if value.tzinfo is not dt.UTC:
            value = value.astimezone(dt.UTC)
        return str(value)[:-6]  # drop "+00:00"

    def date_text(value):
        return None if value is None else value.isoformat()

    return datetime_text, date_text


def insert_rows(model, columns, rows):
    """Insert rows (tuples of database values for `columns`): COPY on PostgreSQL, executemany
    in batches elsewhere."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_list = ", ".join(quote(_column(model, c)) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {table} ({column_list}) VALUES ({', '.join(['%s'] * len(columns))})"
        for batch in _batched(rows):
            cursor.executemany(sql, batch)


def _column(model, name):
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field.column
    raise LookupError(f"{model.__name__} has no column {name}")


def _batched(rows):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# -- the fixed people of §13 ------------------------------------------------------------------


# §18: canned decision notes (决定模板) operations keep per kind; reviewers insert and edit them.
DECISION_TEMPLATES = (
    ("", "uphold", "未说明原因", "商家未在约定时间内履约，也未说明正当理由，投诉成立。"),
    ("", "dismiss", "已按时履约", "核实物流记录，商家已在约定时间内发货，投诉不成立。"),
    (
        "buyer_fault_claim",
        "uphold",
        "凭证不足",
        "商家提供的凭证不能证明无法履约是买家原因所致，商家举证不成立，判商家责任。",
    ),
    (
        "buyer_fault_claim",
        "dismiss",
        "聊天记录为证",
        "聊天记录显示买家要求暂缓发货，商家举证成立，不判责。",
    ),
    ("cannot_ship", "uphold", "无不可抗力证明", "商家选择无法发货，未提供不可抗力证明，投诉成立。"),
    (
        "",
        "grant_appeal",
        "补充材料成立",
        "商家补充的发货记录可以证明已按约履约，申诉成立，撤销判责。",
    ),
    ("", "deny_appeal", "申诉理由不足", "申诉材料不能改变原判定，维持判责。"),
)


def decision_templates(author):
    """The demo's canned decision notes, in the order they are offered."""
    DecisionTemplate.objects.bulk_create(
        DecisionTemplate(
            kind=kind, decision=decision, title=title, text=text, position=i, updated_by=author
        )
        for i, (kind, decision, title, text) in enumerate(DECISION_TEMPLATES)
    )


def ensure_fixed_people(now) -> dict:
    """The §13 users, groups, shops and tokens. Creates what is missing and changes nothing
    that is there (an existing user keeps its password unless it has none usable)."""
    User = get_user_model()
    shops = {}
    for code, name, platform, since in (
        (MARKER_SHOP, "淘宝演示店 1", Platform.TAOBAO, now - 20 * DAY),
        (TMALL_SHOP, "天猫演示旗舰店 1", Platform.TMALL, None),
    ):
        shops[code], _created = Shop.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "platform": platform,
                "second_handling_since": since,
                "created_at": now - 400 * DAY,
            },
        )
    users = {}
    hashed = None
    for username, groups, is_staff, shop_code, _what in FIXED_USERS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": is_staff}
        )
        if created or not user.has_usable_password():
            # One hash for all: the password is public anyway, and each hash costs a second.
            hashed = hashed or make_password(PASSWORD)
            user.password = hashed
            user.save(update_fields=["password"])
        if is_staff and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        if groups:
            user.groups.add(*Group.objects.filter(name__in=groups))
        if shop_code:
            ShopMembership.objects.get_or_create(user=user, shop=shops[shop_code])
        Token.objects.get_or_create(user=user)
        users[username] = user
    return {"users": users, "shops": shops}


def database_totals() -> dict[str, int]:
    """What the database holds, counted, not tallied while writing: the summary then includes
    the hand-made tickets and whatever was there before."""
    return {
        "orders": Order.objects.count(),
        "tickets": Ticket.objects.count(),
        "complaints": Complaint.objects.count(),
        "audit rows": StateLog.objects.count(),
        "messages": BuyerMessage.objects.count(),
        "compensations": Compensation.objects.count(),
        "shops": Shop.objects.count(),
        "buyers": get_user_model().objects.filter(groups__name=roles.BUYERS).count(),
    }


def tokens_table() -> list[tuple[str, str, str, str]]:
    tokens = dict(
        Token.objects.filter(user__username__in=[u[0] for u in FIXED_USERS]).values_list(
            "user__username", "key"
        )
    )
    return [(name, PASSWORD, tokens.get(name, "-"), what) for name, *_r, what in FIXED_USERS]


# -- the bulk history ----------------------------------------------------------------------


def bulk_people(*, now, rng, n_tickets, fixed) -> tuple[dict, list, list]:
    """Shops (both platforms, half with second handling), their staff, buyers and reviewers."""
    User = get_user_model()
    n_shops = max(4, n_tickets // 250)
    n_buyers = max(10, n_tickets // 10)
    shops = []
    for i in range(1, n_shops + 1):
        platform = Platform.TAOBAO if i % 2 else Platform.TMALL
        rolled_out = rng.random() < 0.5
        shops.append(
            Shop(
                code=f"demo-{platform}-{i:04d}",
                name=f"{'淘宝' if platform == Platform.TAOBAO else '天猫'}演示店 {i:04d}",
                platform=platform,
                # Some opened mid-window: their older tickets have no second handling (FAQ 3).
                second_handling_since=now - rng.uniform(0, 45) * DAY if rolled_out else None,
                created_at=now - rng.uniform(60, 900) * DAY,
            )
        )
    Shop.objects.bulk_create(shops, batch_size=BATCH)

    unusable = make_password(None)  # bulk accounts cannot log in; the fixed ones can
    staff = [User(username=f"demo-staff-{i:04d}", password=unusable) for i in range(1, n_shops + 1)]
    buyers = [User(username=f"demo-buyer-{i:06d}", password=unusable) for i in range(n_buyers)]
    reviewers = [
        User(username=f"demo-reviewer-{i}", password=unusable, is_staff=True) for i in (1, 2)
    ]
    User.objects.bulk_create(staff + buyers + reviewers, batch_size=BATCH)
    groups = dict(Group.objects.values_list("name", "pk"))
    through = User.groups.through
    through.objects.bulk_create(
        [through(user_id=u.pk, group_id=groups[roles.BUYERS]) for u in buyers]
        + [through(user_id=u.pk, group_id=groups[roles.REVIEWERS]) for u in reviewers],
        batch_size=BATCH,
    )
    ShopMembership.objects.bulk_create(
        [
            ShopMembership(user=u, shop=s, created_at=s.created_at)
            for u, s in zip(staff, shops, strict=True)
        ],
        batch_size=BATCH,
    )
    users = fixed["users"]
    all_shops = [fixed["shops"][MARKER_SHOP], fixed["shops"][TMALL_SHOP], *shops]
    people = {
        "ordersys": users["ordersys"],
        "reviewers": [users["reviewer1"], *reviewers],
        "staff": {
            MARKER_SHOP: users["merchant1"],
            TMALL_SHOP: users["merchant2"],
            **{s.code: u for u, s in zip(staff, shops, strict=True)},
        },
        # Mean hours to reply: some shops are quick, some slow (the §9 figures differ).
        "speed": {s.code: rng.choice((1.5, 3, 5, 8, 12)) for s in all_shops},
    }
    return people, all_shops, buyers


def ticket_plan(*, now, rng, n_tickets, shops, buyers, policies) -> list[dict]:
    """Who urges where and when. Each shop's tickets go round the last 30 calendar days
    (Asia/Shanghai) so its dashboard chart has every day; past a shop's first 30, some come
    in the last two days (work in progress). The two demo shops get a fixed share. A few
    bulk tickets have reply deadlines or buyer windows ending 3 to 12 minutes from now."""
    today = platform_today(now)
    day_starts = [
        dt.datetime.combine(today - dt.timedelta(days=d), dt.time.min, tzinfo=PLATFORM_TZ)
        for d in range(DAYS)
    ]
    fixed_share = min(n_tickets // 4, max(45, n_tickets // 100))
    weights = [rng.lognormvariate(0, 0.8) for _ in shops[2:]]
    counts = {s.code: 0 for s in shops}
    plan = []
    for i in range(n_tickets):
        shop = shops[i % 2] if i < 2 * fixed_share else rng.choices(shops[2:], weights)[0]
        n = counts[shop.code]
        counts[shop.code] += 1
        if n >= DAYS and rng.random() < 0.15:
            created_at = now - rng.uniform(0, 48) * HOUR
        else:
            start = day_starts[n % DAYS]
            created_at = start + (min(start + DAY, now) - start) * rng.random()
            created_at = created_at.astimezone(dt.UTC)  # UTC arithmetic from here on
        plan.append({"shop": shop, "buyer": rng.choice(buyers), "created_at": created_at})
    n_due = min(max(2, n_tickets // 200), n_tickets // 10)
    bulk = [p for p in plan if p["shop"] not in shops[:2]]
    due = rng.sample(bulk, min(len(bulk), 2 * n_due))
    for k, item in enumerate(due):
        policy = policies(item["shop"].platform, now)
        if k % 2 == 0:
            item["created_at"] = now - policy.reply_window + rng.uniform(3, 12) * MINUTE
            item["due_soon"] = "reply"
        else:
            reply_at = now - policy.buyer_window + rng.uniform(3, 12) * MINUTE
            item["created_at"] = reply_at - rng.uniform(0.2, 6) * HOUR
            item["due_soon"], item["reply_at"] = "buyer", reply_at
    plan.sort(key=lambda p: p["created_at"])
    return plan


def extra_orders(history: History, *, n, shops, buyers):
    """Orders without tickets: paid and waiting (buyers may urge them), shipped, refunded and
    a few unpaid; fresh and normal on both platforms."""
    rng, now = history.rng, history.now
    for _ in range(n):
        paid_at = now - rng.uniform(0, DAYS) * DAY
        roll = rng.random()
        order = history.new_order(
            shop=rng.choice(shops),
            buyer=rng.choice(buyers),
            paid_at=None if roll < 0.03 else paid_at,
        )
        order.created_at = paid_at
        if 0.4 <= roll < 0.9:
            order.shipped_at = min(now, paid_at + rng.uniform(2, 72) * HOUR)
        elif roll >= 0.9:
            order.refunded_at = min(now, paid_at + rng.uniform(1, 48) * HOUR)


# -- hand-made tickets, through the real services -------------------------------------------


class Handmade:
    """The demo users' tickets, one per interesting state, made by the services themselves.
    Services stamp some rows with the wall clock (audit rows of transitions, a settlement's
    message); those rows are moved to the scenario's instant so the timeline reads true."""

    def __init__(self, *, now, users, shops):
        self.now, self.u, self.shops = now, users, shops
        self.evidence = _png("customer refused delivery", colour=(222, 236, 250))
        self.policy = {
            code: policy_in_force(platform=shop.platform, at=now) for code, shop in shops.items()
        }

    def at(self, when, service, **kwargs):
        last_log = StateLog.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        last_msg = BuyerMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        result = service(**kwargs)
        StateLog.objects.filter(pk__gt=last_log).update(timestamp=when)
        BuyerMessage.objects.filter(pk__gt=last_msg).update(created_at=when, next_attempt_at=when)
        return result

    def order(self, order_no, shop, buyer, amount, *, paid_at, fresh=False):
        order, _created = ticket_services.order_upsert(
            order_no=order_no,
            shop_code=shop,
            buyer_username=buyer,
            amount=amount,
            is_fresh=fresh,
            paid_at=paid_at,
        )
        return order

    def urge(self, order_no, shop, buyer, amount, *, at, fresh=False):
        self.order(order_no, shop, buyer, amount, paid_at=at - 2 * HOUR, fresh=fresh)
        ticket, _created = ticket_services.ticket_urge(
            buyer=self.u[buyer], order_no=order_no, at=at
        )
        return ticket

    def reply(self, ticket, plan, reason, *, at, days=None, note=""):
        ship_by = platform_today(at) + dt.timedelta(days=days) if days is not None else None
        return self.at(
            at,
            ticket_services.ticket_reply,
            ticket_id=ticket.pk,
            actor=self.staff(ticket),
            plan=plan,
            reason=reason,
            ship_by=ship_by,
            note=note,
            at=at,
        )

    def staff(self, ticket):
        return self.u["merchant1" if ticket.shop.code == MARKER_SHOP else "merchant2"]

    def answer(self, ticket, accept, *, at):
        return self.at(
            at,
            ticket_services.ticket_buyer_respond,
            ticket_id=ticket.pk,
            buyer=ticket.buyer,
            accept=accept,
            at=at,
        )

    def settle(self, ticket, settlement, *, at):
        self.at(
            at,
            ticket_services.order_settle,
            order_no=ticket.order.order_no,
            settlement=settlement,
            at=at,
            actor=self.u["ordersys"],
        )

    def timeout(self, ticket):
        at = ticket.reply_due_at + 40 * dt.timedelta(seconds=1)
        return self.at(at, ticket_services.ticket_reply_timeout, ticket_id=ticket.pk, at=at)

    def complaint(self, ticket):
        return ticket.complaints.order_by("-filed_at").first()

    def review(self, ticket, *steps):
        """Reviewer (and merchant appeal) steps on the ticket's complaint: (name, at)."""
        complaint = self.complaint(ticket)
        reviewer = self.u["reviewer1"]
        notes = {
            "uphold": "商家未按约定履约，投诉成立。",
            "dismiss": "买家已同意延后，投诉不成立。",
            "grant_appeal": "申诉材料成立，撤销判责。",
            "deny_appeal": "申诉理由不成立，维持判责。",
        }
        for name, at in steps:
            if name == "claim":
                self.at(
                    at,
                    complaint_services.complaint_claim,
                    complaint_id=complaint.pk,
                    reviewer=reviewer,
                    at=at,
                )
            elif name == "release":
                self.at(
                    at,
                    complaint_services.complaint_release,
                    complaint_id=complaint.pk,
                    reviewer=reviewer,
                )
            elif name == "appeal":
                self.at(
                    at,
                    complaint_services.complaint_appeal,
                    complaint_id=complaint.pk,
                    actor=self.staff(ticket),
                    note="已于约定日前发出，附物流单号，请复核。",
                    at=at,
                )
            else:
                self.at(
                    at,
                    getattr(complaint_services, f"complaint_{name}"),
                    complaint_id=complaint.pk,
                    reviewer=reviewer,
                    note=notes[name],
                    at=at,
                )
        return complaint

    def build(self):
        now, tb, tm = self.now, MARKER_SHOP, TMALL_SHOP
        reply_window = {code: p.reply_window for code, p in self.policy.items()}
        buyer_window = {code: p.buyer_window for code, p in self.policy.items()}

        # Taobao, second handling rolled out (merchant1).
        self.urge("TB-DEMO-0001", tb, "buyer1", "129.00", at=now - 2 * HOUR)
        # Falls due 3 minutes after seeding: created 23 h 57 min ago under the 24-hour policy.
        self.urge("TB-DEMO-0002", tb, "buyer2", "45.90", at=now - reply_window[tb] + 3 * MINUTE)
        t = self.urge("TB-DEMO-0003", tb, "buyer1", "268.00", at=now - 6 * HOUR)
        t = self.reply(t, Plan.SHIP_LATER, "stock_shortage", at=now - 5 * HOUR, days=5)
        # The buyer's window ends 4 minutes after seeding (then deemed accepted).
        t = self.urge("TB-DEMO-0004", tb, "buyer2", "79.00", at=now - 30 * HOUR)
        at = now - buyer_window[tb] + 4 * MINUTE
        t = self.reply(t, Plan.SHIP_LATER, "warehouse_backlog", at=at, days=3)
        t = self.urge("TB-DEMO-0005", tb, "buyer1", "1599.00", at=now - 3 * DAY)
        t = self.reply(t, Plan.SHIP_LATER, "production_delay", at=now - 3 * DAY + 2 * HOUR, days=8)
        self.answer(t, True, at=now - 2 * DAY)
        # Agreed, and the promised day is over: the first sweep files `missed_ship_date`.
        t = self.urge("TB-DEMO-0006", tb, "buyer2", "88.00", at=now - 3 * DAY - 2 * HOUR)
        t = self.reply(t, Plan.EXCHANGE_AGREED, "exchange_negotiated", at=now - 3 * DAY, days=2)
        # Second handling: a buyer-fault claim with evidence, waiting for a reviewer.
        t = self.urge("TB-DEMO-0007", tb, "buyer1", "356.00", at=now - 2 * DAY)
        t = self.reply(t, Plan.SHIP_LATER, "buyer_unreachable", at=now - 47 * HOUR, days=4)
        at = t.buyer_due_at if t.buyer_due_at else now - 23 * HOUR
        self.at(at, ticket_services.ticket_buyer_silence, ticket_id=t.pk, at=at + 30 * SECOND)
        at = now - 5 * HOUR
        self.at(
            at,
            ticket_services.ticket_second_handling,
            ticket_id=t.pk,
            actor=self.u["merchant1"],
            plan=SecondPlan.BUYER_FAULT,
            note="买家要求改地址后一直联系不上，快递两次派送失败。",
            evidence=[SimpleUploadedFile("派送失败截图.png", self.evidence, "image/png")],
            at=at,
        )
        # Second handling: proactive compensation (fresh order, 15-day cap).
        t = self.urge("TB-DEMO-0008", tb, "buyer1", "58.80", at=now - 5 * DAY, fresh=True)
        t = self.reply(t, Plan.SHIP_LATER, "stock_shortage", at=now - 5 * DAY + 3 * HOUR, days=10)
        self.answer(t, True, at=now - 5 * DAY + 6 * HOUR)
        at = now - DAY
        self.at(
            at,
            ticket_services.ticket_second_handling,
            ticket_id=t.pk,
            actor=self.u["merchant1"],
            plan=SecondPlan.COMPENSATE,
            note="补货失败，主动赔付并退款。",
            at=at,
        )
        t = self.urge("TB-DEMO-0009", tb, "buyer2", "199.00", at=now - 6 * DAY)
        t = self.reply(
            t, Plan.EXCHANGE_AGREED, "buyer_changed_details", at=now - 6 * DAY + 4 * HOUR, days=2
        )
        self.settle(t, Settlement.SHIPPED, at=now - 5 * DAY)
        # Reply timed out; the complaint is in review with reviewer1.
        t = self.urge("TB-DEMO-0010", tb, "buyer1", "66.00", at=now - 3 * DAY)
        self.timeout(t)
        self.review(t, ("claim", now - DAY))
        # Cannot ship, upheld: merchant1 may appeal (30 days).
        t = self.urge("TB-DEMO-0011", tb, "buyer2", "420.00", at=now - 8 * DAY)
        t = self.reply(t, Plan.CANNOT_SHIP, "carrier_suspended", at=now - 8 * DAY + 4 * HOUR)
        self.review(t, ("claim", now - 7 * DAY), ("uphold", now - 7 * DAY + 30 * MINUTE))
        # Plan rejected, upheld, refunded, appealed: reviewer1 decides the appeal.
        t = self.urge("TB-DEMO-0012", tb, "buyer1", "239.00", at=now - 12 * DAY)
        t = self.reply(t, Plan.SHIP_LATER, "force_majeure", at=now - 12 * DAY + 2 * HOUR, days=5)
        self.answer(t, False, at=now - 12 * DAY + 5 * HOUR)
        self.review(t, ("claim", now - 11 * DAY), ("uphold", now - 11 * DAY + HOUR))
        self.settle(t, Settlement.REFUNDED, at=now - 10 * DAY)
        self.review(t, ("appeal", now - 9 * DAY))
        # Missed ship date, upheld, appeal granted (overturned).
        t = self.urge("TB-DEMO-0013", tb, "buyer2", "150.00", at=now - 20 * DAY)
        t = self.reply(
            t, Plan.EXCHANGE_AGREED, "exchange_negotiated", at=now - 20 * DAY + 3 * HOUR, days=3
        )
        at = t.ship_deadline + 50 * SECOND
        self.at(at, ticket_services.ticket_missed_ship_date, ticket_id=t.pk, at=at)
        self.review(
            t,
            ("claim", at + DAY),
            ("uphold", at + DAY + HOUR),
            ("appeal", at + 3 * DAY),
            ("grant_appeal", at + 4 * DAY),
        )
        self.settle(t, Settlement.SHIPPED, at=at + 5 * DAY)
        # Timed out, upheld, appeal denied (upheld_final).
        t = self.urge("TB-DEMO-0014", tb, "buyer1", "75.50", at=now - 25 * DAY)
        t = self.timeout(t)
        at = t.reply_due_at
        self.review(
            t,
            ("claim", at + 10 * HOUR),
            ("uphold", at + 11 * HOUR),
            ("appeal", at + 2 * DAY),
            ("deny_appeal", at + 4 * DAY),
        )
        self.settle(t, Settlement.REFUNDED, at=at + 5 * DAY)
        # Cannot ship, claimed, released, claimed again and dismissed; then refunded.
        t = self.urge("TB-DEMO-0015", tb, "buyer2", "310.00", at=now - 15 * DAY)
        t = self.reply(t, Plan.CANNOT_SHIP, "presale_misconfigured", at=now - 15 * DAY + HOUR)
        self.review(
            t,
            ("claim", now - 14 * DAY),
            ("release", now - 14 * DAY + 20 * MINUTE),
            ("claim", now - 14 * DAY + 2 * HOUR),
            ("dismiss", now - 14 * DAY + 3 * HOUR),
        )
        self.settle(t, Settlement.REFUNDED, at=now - 13 * DAY)

        # Tmall, second handling not rolled out (merchant2).
        self.urge("TM-DEMO-0001", tm, "buyer1", "899.00", at=now - HOUR)
        self.urge("TM-DEMO-0002", tm, "buyer2", "129.90", at=now - reply_window[tm] + 5 * MINUTE)
        t = self.urge("TM-DEMO-0003", tm, "buyer1", "459.00", at=now - 8 * HOUR)
        t = self.reply(t, Plan.SHIP_LATER, "buyer_requested_delay", at=now - 7 * HOUR, days=6)
        t = self.urge("TM-DEMO-0004", tm, "buyer2", "69.00", at=now - 28 * HOUR)
        at = now - buyer_window[tm] + 6 * MINUTE
        t = self.reply(t, Plan.SHIP_LATER, "stock_shortage", at=at, days=4)
        t = self.urge("TM-DEMO-0005", tm, "buyer1", "36.50", at=now - 2 * DAY, fresh=True)
        t = self.reply(
            t, Plan.EXCHANGE_AGREED, "buyer_changed_details", at=now - 2 * DAY + HOUR, days=6
        )
        t = self.urge("TM-DEMO-0006", tm, "buyer1", "2399.00", at=now - DAY)
        t = self.reply(t, Plan.CANNOT_SHIP, "force_majeure", at=now - 20 * HOUR)
        t = self.urge("TM-DEMO-0007", tm, "buyer2", "188.00", at=now - 6 * DAY)
        t = self.timeout(t)
        self.review(
            t,
            ("claim", t.reply_due_at + 3 * HOUR),
            ("dismiss", t.reply_due_at + 4 * HOUR),
        )
        t = self.urge("TM-DEMO-0008", tm, "buyer1", "99.00", at=now - 9 * DAY)
        t = self.reply(t, Plan.SHIP_LATER, "warehouse_backlog", at=now - 9 * DAY + HOUR, days=3)
        self.answer(t, True, at=now - 9 * DAY + 3 * HOUR)
        self.settle(t, Settlement.REFUNDED, at=now - 7 * DAY)
        t = self.urge("TM-DEMO-0009", tm, "buyer2", "520.00", at=now - 4 * DAY - 3 * HOUR)
        t = self.reply(t, Plan.EXCHANGE_AGREED, "exchange_negotiated", at=now - 4 * DAY, days=2)
        t = self.urge("TM-DEMO-0010", tm, "buyer1", "1280.00", at=now - 10 * DAY)
        t = self.reply(t, Plan.CANNOT_SHIP, "production_delay", at=now - 10 * DAY + 5 * HOUR)
        self.review(t, ("claim", now - 9 * DAY), ("uphold", now - 9 * DAY + HOUR))

        # Orders to urge from the buyer app: normal and fresh, both platforms.
        for order_no, shop, buyer, amount, hours, fresh in (
            ("TB-DEMO-0101", tb, "buyer1", "129.00", 3, False),
            ("TB-DEMO-0102", tb, "buyer1", "58.80", 26, True),
            ("TB-DEMO-0103", tb, "buyer2", "17.90", 5, False),
            ("TM-DEMO-0101", tm, "buyer1", "899.00", 4, False),
            ("TM-DEMO-0102", tm, "buyer1", "36.50", 30, True),
            ("TM-DEMO-0103", tm, "buyer2", "268.00", 8, False),
        ):
            self.order(order_no, shop, buyer, amount, paid_at=now - hours * HOUR, fresh=fresh)
        # Not urgeable: unpaid, and already shipped.
        self.order("TB-DEMO-0104", tb, "buyer1", "49.00", paid_at=None)
        self.order("TM-DEMO-0104", tm, "buyer1", "159.00", paid_at=now - 3 * DAY)
        ticket_services.order_settle(
            order_no="TM-DEMO-0104", settlement=Settlement.SHIPPED, at=now - 2 * DAY
        )


SECOND = dt.timedelta(seconds=1)


# -- the command -----------------------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Create the demo data set: the fixed demo users (password demo-pass-123) and their "
        "tokens, two demo shops with hand-made tickets, and a bulk history of N tickets. "
        "Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tickets",
            type=int,
            default=300,
            help="tickets in the bulk history (default 300; 100000 takes about a minute)",
        )
        parser.add_argument(
            "--random-seed", type=int, default=20230508, help="seed of the generator"
        )

    def handle(self, *args, tickets=300, random_seed=20230508, verbosity=1, **options):
        if tickets < 0:
            raise CommandError("--tickets must be zero or more.")
        started = time.monotonic()
        now = timezone.now()
        if connection.vendor == "sqlite":
            # This connection only: a page cache that holds the indexes being filled.
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
        with transaction.atomic():
            present = Shop.objects.filter(code=MARKER_SHOP).exists()
            fixed = ensure_fixed_people(now)
            if present:
                self.stdout.write(
                    f"The demo data set is already here (shop {MARKER_SHOP} exists): nothing "
                    "was added. To build another size, start from an empty database."
                )
            else:
                self.build(
                    now=now, fixed=fixed, tickets=tickets, seed=random_seed, verbosity=verbosity
                )
                self.stdout.write(f"Seeded in {time.monotonic() - started:.1f} s.")
            self.stdout.write(
                "The database holds "
                + ", ".join(f"{n} {what}" for what, n in database_totals().items())
                + "."
            )
        self.print_logins()

    def build(self, *, now, fixed, tickets, seed, verbosity):
        rng = random.Random(seed)
        people, shops, buyers = bulk_people(now=now, rng=rng, n_tickets=tickets, fixed=fixed)
        progress = tqdm(
            total=tickets,
            unit="ticket",
            desc="demo tickets",
            disable=verbosity < 1,
            file=sys.stderr,
            mininterval=0.5,
        )
        history = History(now=now, rng=rng, people=people)
        plan = ticket_plan(
            now=now,
            rng=rng,
            n_tickets=tickets,
            shops=shops,
            buyers=buyers,
            policies=history.policy_at,
        )
        for start in range(0, len(plan), CHUNK):
            chunk = plan[start : start + CHUNK]
            for item in chunk:
                history.ticket_life(**item)
            history.write()
            progress.update(len(chunk))
        progress.close()
        extra_orders(history, n=max(10, tickets // 5), shops=shops, buyers=buyers)
        history.write()
        Handmade(now=now, users=fixed["users"], shops=fixed["shops"]).build()
        decision_templates(fixed["users"]["ops1"])

    def print_logins(self):
        rows = [("login", "password", "API token", "role"), *tokens_table()]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        self.stdout.write("")
        for i, row in enumerate(rows):
            self.stdout.write(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
            if i == 0:
                self.stdout.write("  ".join("-" * w for w in widths))
        self.stdout.write("")
        self.stdout.write(
            "API calls take the header 'Authorization: Token <token>'; "
            "`manage.py drf_create_token <login>` prints the same token."
        )
