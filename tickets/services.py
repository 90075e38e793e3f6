"""Ticket use cases (§4–§6, §11): one service per use case. Each owns its transaction, locks
the rows it changes, checks the rule, calls a pure transition, saves, and writes the audit row
and the buyer message in the same transaction. Every interface calls these."""

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Exists, F, OuterRef, Value
from django.db.models.functions import Mod
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.evidence import check_evidence
from complaints.models import CompensationKind, ComplaintKind
from complaints.services import compensation_create, complaint_file, evidence_attach
from config.transactions import atomic_service
from webhooks.events import EventType, ticket_event

from . import roles, statements
from .audit import SYSTEM, audited, audited_save, log_creation
from .exceptions import (
    Conflict,
    DeadlinePassed,
    DomainError,
    InvalidTransition,
    NotFound,
    ValidationError,
    domain_errors,
)
from .locks import lock_ticket, lock_ticket_and_reason
from .models import (
    PLANS_WITH_DATE,
    PLATFORM_TZ,
    MessageKind,
    Order,
    Payout,
    Plan,
    Platform,
    Policy,
    ReplyReason,
    SecondHandlingRevocation,
    SecondPlan,
    Settlement,
    Shop,
    Ticket,
    TicketState,
    platform_today,
)
from .outbox import local_text, message_buyer, reply_fields, reply_text
from .policy import policy_in_force, stockout_terms

S = TicketState
ORDER_NO = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Order-system clocks may run a little ahead of ours; anything further ahead is refused.
CLOCK_SKEW = dt.timedelta(minutes=5)


def _local(at) -> str:
    return timezone.localtime(at, PLATFORM_TZ).strftime("%Y-%m-%d %H:%M")


def _lock_ticket(ticket_id) -> Ticket:
    ticket = lock_ticket(ticket_id)
    if ticket is None:
        raise NotFound(_("No such ticket."))
    return ticket


def _require_merchant(actor, ticket: Ticket):
    if not roles.is_merchant_of(actor, ticket.shop_id):
        raise NotFound(_("No such ticket."))


def _require_state(ticket: Ticket, *states, action: str):
    if ticket.state not in states:
        raise InvalidTransition(
            _("Cannot %(action)s: the ticket is %(state)s.")
            % {"action": action, "state": ticket.get_state_display()}
        )


# -- orders (the order system) -----------------------------------------------------------


# §11: `amount` is a decimal string in yuan: ASCII digits, at most 10 before the point (the column
# holds 12 digits, 2 of them cents) and 2 after. Python's Decimal() also takes "-0.0", "1_000",
# "1e3", "NaN" and full-width "１２３"; none of those is an amount an order system should send.
AMOUNT_PATTERN = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"
AMOUNT = re.compile(AMOUNT_PATTERN)
# Well formed but more yuan than the column holds: say so, not that the format is wrong.
TOO_LARGE_AMOUNT = re.compile(r"^[0-9]{11,}(\.[0-9]{1,2})?$")


def parse_amount(value) -> Decimal:
    if isinstance(value, Decimal) and value.is_finite() and not value.is_signed():
        value = str(value)  # callers in code may pass a Decimal; it must read as an amount too
    if isinstance(value, str) and TOO_LARGE_AMOUNT.match(value):
        raise ValidationError(_("The amount is too large."), field="amount")
    if not isinstance(value, str) or not AMOUNT.match(value):
        raise ValidationError(
            _(
                'Enter the amount as a decimal string in yuan, such as "129.90": digits, at most '
                "two decimal places, nothing else."
            ),
            field="amount",
        )
    return Decimal(value).quantize(Decimal("0.01"))


def buyer_account_refusal(user) -> str | None:
    """§17: the order system may name only buyer accounts as an order's buyer, never a merchant
    (staff of a shop), platform (reviewers, operations, admin access) or service account (the
    order system's). None when `user` may be a buyer, else why not."""
    if roles.shop_ids(user):
        return _("This is a merchant's account, not a buyer's.")
    if user.is_staff or user.is_superuser or roles.group_names(user) - {roles.BUYERS}:
        return _("This is a platform or service account, not a buyer's.")
    return None


@domain_errors
@transaction.atomic
def order_upsert(
    *, order_no: str, shop_code: str, buyer_username: str, amount, is_fresh: bool, paid_at
) -> tuple[Order, bool]:
    """`PUT /orders/{order_no}/`: create or update the mirror of an order. An order never
    moves to another shop or buyer. The buyer is created on first sight (the order system is
    the authority on buyers)."""
    if not ORDER_NO.match(order_no or ""):
        raise ValidationError(
            _("An order number is 1 to 64 letters, digits, '-' or '_'."), field="order_no"
        )
    amount = parse_amount(amount)
    # Anything else would reach the column (None: a NOT NULL error mistaken below for a
    # concurrent create; strings: Django's own error).
    if not isinstance(is_fresh, bool):
        raise ValidationError(_("is_fresh is true or false."), field="is_fresh")
    shop = Shop.objects.filter(code=shop_code).first()
    if shop is None:
        raise ValidationError(_("No shop with this code."), field="shop")
    try:
        UnicodeUsernameValidator()(buyer_username or "")
    except DjangoValidationError:
        raise ValidationError(_("Not a valid buyer username."), field="buyer") from None
    if not buyer_username or len(buyer_username) > 150:
        raise ValidationError(_("Not a valid buyer username."), field="buyer")
    if paid_at is not None and paid_at > timezone.now() + CLOCK_SKEW:
        raise ValidationError(_("paid_at cannot be in the future."), field="paid_at")
    User = get_user_model()
    buyer, new_buyer = User.objects.get_or_create(username=buyer_username)
    if new_buyer:  # a buyer first seen through an order gets the buyer role (§3)
        buyer.groups.add(*Group.objects.filter(name=roles.BUYERS))
    else:
        refusal = buyer_account_refusal(buyer)
        if refusal:
            raise ValidationError(refusal, field="buyer")
    order = Order.objects.select_for_update().filter(order_no=order_no).first()
    if order is None:
        try:
            with transaction.atomic():
                order = Order.objects.create(
                    order_no=order_no,
                    shop=shop,
                    buyer=buyer,
                    amount=amount,
                    is_fresh=is_fresh,
                    paid_at=paid_at,
                )
            return order, True
        except IntegrityError:  # created by a concurrent request: update it below
            order = Order.objects.select_for_update().get(order_no=order_no)
    if order.shop_id != shop.pk:
        raise ValidationError(_("An order cannot move to another shop."), field="shop")
    if order.buyer_id != buyer.pk:
        raise ValidationError(_("An order cannot move to another buyer."), field="buyer")
    order.amount, order.is_fresh = amount, is_fresh
    order.paid_at = paid_at if paid_at is not None else order.paid_at
    order.save(update_fields=["amount", "is_fresh", "paid_at", "updated_at"])
    return order, False


@domain_errors
@transaction.atomic
def order_settle(*, order_no: str, settlement: str, at, actor=None) -> Order:
    """The order shipped or was refunded (§4 `settle`). Completes its open ticket; during
    platform review it is recorded and the ticket completes when the complaint is finished.
    Repeating an event already recorded changes nothing."""
    if settlement not in Settlement.values:
        raise ValidationError(_("The event type is shipped or refunded."), field="type")
    now = timezone.now()
    if at is None:
        at = now
    if at > now + CLOCK_SKEW:
        raise ValidationError(_("The event time cannot be in the future."), field="at")
    order = Order.objects.select_for_update().filter(order_no=order_no).first()
    if order is None:
        raise NotFound(_("No such order."))
    field = "shipped_at" if settlement == Settlement.SHIPPED else "refunded_at"
    if getattr(order, field) is not None:
        return order  # the same event again: recorded already, nothing changes
    if order.is_settled:  # §17: settled once; the other kind of event is a contradiction
        raise Conflict(
            _("The order has already been %(settlement)s; it cannot also be %(other)s.")
            % {
                "settlement": Settlement(
                    Settlement.REFUNDED if settlement == Settlement.SHIPPED else Settlement.SHIPPED
                ).label,
                "other": Settlement(settlement).label,
            }
        )
    setattr(order, field, at)
    order.save(update_fields=[field, "updated_at"])
    open_ticket = order.tickets.exclude(state=S.COMPLETED).values_list("pk", flat=True).first()
    if open_ticket is None:
        return order
    ticket = _lock_ticket(open_ticket)
    if ticket.settled_at is not None:  # the other kind of event already settled it
        return order
    # A settlement reported as before the urge counts as handled at the urge.
    effective = max(at, ticket.created_at)
    payload = {"settlement": settlement, "at": at}
    with audited(ticket, actor=actor, payload=payload, at=effective):
        if ticket.state == S.PLATFORM_REVIEW:
            ticket.record_settlement(settlement=settlement, at=effective)
        else:
            ticket.settle(settlement=settlement, at=effective)
    ticket.save()
    if ticket.state == S.COMPLETED:
        message_buyer(ticket=ticket, kind=MessageKind.COMPLETED, at=now)
        ticket_event(EventType.TICKET_COMPLETED, ticket, at=now)
    return order


# -- the buyer ---------------------------------------------------------------------------


@domain_errors
@transaction.atomic
def ticket_urge(*, buyer, order_no: str, at=None) -> tuple[Ticket, bool]:
    """催发货: open a ticket for the buyer's paid, unshipped, unrefunded order. Idempotent per
    order: with an open ticket already, that ticket is returned (created = False)."""
    at = at or timezone.now()
    order = (
        Order.objects.select_for_update(of=("self",))
        .select_related("shop")
        .filter(order_no=order_no, buyer_id=getattr(buyer, "pk", None))
        .first()
    )
    if order is None:
        raise NotFound(_("No such order."))
    existing = Ticket.objects.filter(order=order).exclude(state=S.COMPLETED).first()
    if existing is not None:
        return existing, False
    if order.paid_at is None:
        raise InvalidTransition(_("Only a paid order can be urged."))
    if order.is_settled:
        raise InvalidTransition(_("The order has already shipped or been refunded."))
    policy = policy_in_force(platform=order.shop.platform, at=at)
    ticket = Ticket.objects.create(
        order=order,
        shop=order.shop,
        buyer_id=order.buyer_id,
        policy=policy,
        created_at=at,
        reply_due_at=at + policy.reply_window,  # reply_due_at: the merchant's 24 hours
    )
    log_creation(
        ticket,
        transition="urge",
        state=S.AWAITING_REPLY,
        actor=buyer,
        at=at,
        payload={"order_no": order.order_no, "policy": policy.pk},
    )
    message_buyer(
        ticket=ticket,
        kind=MessageKind.TICKET_OPENED,
        at=at,
        reply_due_at=local_text(ticket.reply_due_at),
    )
    ticket_event(EventType.TICKET_OPENED, ticket, at=at)
    return ticket, True


@domain_errors
@transaction.atomic
def ticket_buyer_respond(*, ticket_id, buyer, accept: bool, at=None) -> Ticket:
    """The buyer accepts or rejects a ship-later plan before `buyer_due_at`. A rejection files
    a `plan_rejected` complaint."""
    at = at or timezone.now()
    ticket = _lock_ticket(ticket_id)
    if ticket.buyer_id != getattr(buyer, "pk", None):
        raise NotFound(_("No such ticket."))
    _require_state(ticket, S.AWAITING_BUYER, action=_("answer the plan"))
    if at >= ticket.buyer_due_at:
        raise DeadlinePassed(
            _("The time to answer ended at %(at)s; the plan is deemed accepted.")
            % {"at": _local(ticket.buyer_due_at)}
        )
    with audited(ticket, actor=buyer, payload={"accept": bool(accept)}, at=at):
        if accept:
            ticket.accept(at=at)
        else:
            ticket.reject(at=at)
    ticket.save()
    ticket_event(EventType.BUYER_RESPONDED, ticket, at=at)
    if accept:
        message_buyer(ticket=ticket, kind=MessageKind.BUYER_RESPONSE, at=at, answer="接受")
    else:
        complaint_file(ticket=ticket, kind=ComplaintKind.PLAN_REJECTED, at=at)
    return ticket


# -- the merchant ------------------------------------------------------------------------


def ship_by_problem(*, ticket: Ticket, ship_by: dt.date | None, at) -> str | None:
    """§5: `ship_by` is a date from today to today + cap (30 days, 15 for fresh) in
    Asia/Shanghai. Past the cap, the announcement's advice."""
    if ship_by is None:
        return _("Choose the date you will ship by.")
    today = platform_today(at)
    cap = ticket.policy.ship_later_cap(is_fresh=ticket.order.is_fresh)
    if ship_by < today:
        return _("The ship-by date cannot be in the past.")
    if ship_by > today + dt.timedelta(days=cap):
        return ship_by_advice(cap=cap, latest=today + dt.timedelta(days=cap))
    return None


def ship_by_advice(*, cap: int, latest: dt.date) -> str:
    return _(
        "The latest ship-by date is %(latest)s (at most %(cap)d days ahead; 30 days, or 15 for "
        "fresh food). For a longer delay, set a proper presale time, contact the buyer to "
        "refund, or reply 'cannot ship' (无法发货)."
    ) % {"latest": latest.isoformat(), "cap": cap}


_LOOK_UP = object()


def _reply_reason(plan: str, reason: str, found=_LOOK_UP) -> ReplyReason:
    """§5: a plan, and an active catalogued reason that allows it (`found`: the active reason
    of code `reason`, or None, already read with the ticket's lock)."""
    if plan not in Plan.values:
        raise ValidationError(_("Choose a plan."), field="plan")
    reason_obj = found
    if reason_obj is _LOOK_UP:  # ReplyReason.objects.active().filter(code=…), prepared
        reason_obj = statements.first(ReplyReason, code=reason or "", is_active=True)
    if reason_obj is None:
        raise ValidationError(_("Choose a reason from the catalogue."), field="reason")
    if not reason_obj.allows(plan):
        raise ValidationError(
            _("The reason “%(reason)s” cannot be given with the plan “%(plan)s”.")
            % {"reason": reason_obj.display_label, "plan": Plan(plan).label},
            field="reason",
        )
    return reason_obj


def _check_ship_by(ticket: Ticket, plan: str, ship_by, at):
    if plan in PLANS_WITH_DATE:
        problem = ship_by_problem(ticket=ticket, ship_by=ship_by, at=at)
        if problem:
            raise ValidationError(problem, field="ship_by")
    elif ship_by is not None:
        raise ValidationError(_("'Cannot ship' takes no ship-by date."), field="ship_by")


def reply_preview(*, ticket: Ticket, plan: str, reason: str, ship_by=None, at=None) -> str:
    """The message `ticket_reply` would send the buyer now, built by the same function
    (`outbox.reply_text`); the same ValidationError where the reply's input would be refused
    (plan, reason, ship-by date). Reads only: the reply form's preview."""
    at = at or timezone.now()
    reason_obj = _reply_reason(plan, reason)
    _check_ship_by(ticket, plan, ship_by, at)
    buyer_due_at = at + ticket.policy.buyer_window if plan == Plan.SHIP_LATER else None
    return reply_text(plan=plan, reason=reason_obj, ship_by=ship_by, buyer_due_at=buyer_due_at)


@domain_errors
@atomic_service(refusals=DomainError)  # every refusal comes before the first write
def ticket_reply(
    *,
    ticket_id,
    actor,
    plan: str,
    reason: str,
    ship_by: dt.date | None = None,
    note: str = "",
    at=None,
) -> Ticket:
    """回复: the merchant's structured answer before `reply_due_at`. `ship_later` waits for the
    buyer (`buyer_due_at` = now + the policy's buyer window), `exchange_agreed` is agreed,
    `cannot_ship` files a `cannot_ship` complaint. The reason must allow the plan."""
    at = at or timezone.now()
    # The API's hot path: the ticket's lock reads the reason asked for in the same statement.
    ticket, found = lock_ticket_and_reason(ticket_id, reason or "")
    if ticket is None:
        raise NotFound(_("No such ticket."))
    _require_merchant(actor, ticket)
    reason_obj = _reply_reason(plan, reason, found)
    _require_state(ticket, S.AWAITING_REPLY, action=_("reply"))
    if at >= ticket.reply_due_at:
        raise DeadlinePassed(
            _("The reply deadline passed at %(at)s.") % {"at": _local(ticket.reply_due_at)}
        )
    _check_ship_by(ticket, plan, ship_by, at)
    note = (note or "").strip()
    payload = {"plan": plan, "reason": reason_obj.code, "ship_by": ship_by, "note": note}
    # The API's hot path: the changed fields and the audit row in one guarded statement.
    with audited_save(ticket, actor=actor, payload=payload, at=at):
        ticket.reply(
            plan=plan,
            reason=reason_obj,
            ship_by=ship_by,
            note=note,
            by=actor,
            at=at,
            buyer_window=ticket.policy.buyer_window,
        )
    message_buyer(
        ticket=ticket,
        kind=MessageKind.REPLY,
        at=at,
        payload={
            "plan": plan,
            "reason": reason_obj.code,
            "ship_by": ship_by and ship_by.isoformat(),
        },
        **reply_fields(
            plan=plan, reason=reason_obj, ship_by=ship_by, buyer_due_at=ticket.buyer_due_at
        ),
    )
    if plan == Plan.CANNOT_SHIP:
        complaint_file(ticket=ticket, kind=ComplaintKind.CANNOT_SHIP, at=at)
    return ticket


def second_handling_refusal(ticket: Ticket) -> tuple[type, str] | None:
    """§6 gate, as (error, sentence) or None when second handling is open. Pure: needs the
    ticket's shop loaded. Pages show the sentence; the service raises it."""
    if ticket.second_handling_plan:
        return InvalidTransition, _("Second handling has already been used for this ticket.")
    if ticket.state not in (S.AWAITING_BUYER, S.AGREED):
        return InvalidTransition, _(
            "Second handling is offered only after a ship-later or exchange plan, before the "
            "promised date."
        )
    if ticket.second_handling_kept:
        return None  # replied under the feature, which was taken back from the shop since
    since = ticket.shop.second_handling_since
    if since is None:
        return InvalidTransition, _(
            "Second handling has not been opened for your shop yet; it is rolling out shop by shop."
        )
    if ticket.replied_at is None or ticket.replied_at < since:
        return InvalidTransition, _(
            "This ticket was replied to before the feature opened for your shop; please settle "
            "it with the buyer."
        )
    return None


def second_handling_open(ticket: Ticket, at) -> bool:
    """Second handling may be offered now: the §6 gate passes and the promised date has not
    ended. Pure, like `second_handling_refusal`."""
    return second_handling_refusal(ticket) is None and at < ticket.ship_deadline


@domain_errors
@transaction.atomic
def ticket_second_handling(
    *, ticket_id, actor, plan: str, note: str = "", evidence=(), at=None
) -> Ticket:
    """二次处理, once per ticket, where the shop has the feature and the ticket was first replied
    at or after it opened. `compensate`: a stock-out compensation by the policy, no complaint,
    no liability. `buyer_fault`: a note and 1–5 evidence files; a `buyer_fault_claim`
    complaint carrying the evidence."""
    at = at or timezone.now()
    ticket = _lock_ticket(ticket_id)
    _require_merchant(actor, ticket)
    if plan not in SecondPlan.values:
        raise ValidationError(_("Choose compensate or buyer fault."), field="plan")
    refusal = second_handling_refusal(ticket)
    if refusal:
        error, sentence = refusal
        raise error(sentence)
    if at >= ticket.ship_deadline:
        raise DeadlinePassed(
            _("The promised ship date ended at %(at)s.") % {"at": _local(ticket.ship_deadline)}
        )
    note = (note or "").strip()
    evidence = list(evidence or [])
    payload = {"plan": plan, "note": note}
    if plan == SecondPlan.COMPENSATE:
        if evidence:
            raise ValidationError(
                _("Evidence goes with a buyer-fault claim, not with compensation."),
                field="evidence",
            )
        terms = stockout_terms(ticket.policy, ticket.order.amount)
        payload["amount"] = terms.amount
        with audited(ticket, actor=actor, payload=payload, at=at):
            ticket.compensate(note=note, at=at)
        ticket.save()
        compensation_create(ticket=ticket, kind=CompensationKind.STOCKOUT, terms=terms, at=at)
        return ticket
    # Every missing piece of the claim at once: the note and the evidence are both required.
    problems = []
    if not note:
        problems.append(ValidationError(_("Explain why the buyer is at fault."), field="note"))
    try:
        checked = check_evidence(evidence)
    except ValidationError as error:
        problems.append(error)
    if problems:
        raise ValidationError.together(problems)
    payload["evidence"] = [c.original_name for c in checked]
    with audited(ticket, actor=actor, payload=payload, at=at):
        ticket.claim_buyer_fault(note=note, at=at)
    ticket.save()
    complaint = complaint_file(
        ticket=ticket,
        kind=ComplaintKind.BUYER_FAULT_CLAIM,
        at=at,
        filed_by=actor,
        merchant_note=note,
    )
    evidence_attach(ticket=ticket, complaint=complaint, files=checked, actor=actor, at=at)
    return ticket


# -- automatic transitions, one ticket (the sweeps do the same set-based) ----------------


def _require_due(ticket: Ticket, deadline, at):
    if deadline is None or at < deadline:
        raise InvalidTransition(_("The deadline has not come yet."))


@domain_errors
@transaction.atomic
def ticket_reply_timeout(*, ticket_id, at=None) -> Ticket:
    """`reply_timeout`: no reply by `reply_due_at` → complaint `reply_timeout`."""
    at = at or timezone.now()
    ticket = _lock_ticket(ticket_id)
    _require_state(ticket, S.AWAITING_REPLY, action=_("time out the reply"))
    _require_due(ticket, ticket.reply_due_at, at)
    with audited(ticket, actor=SYSTEM, at=at):
        ticket.reply_timeout()
    ticket.save()
    complaint_file(ticket=ticket, kind=ComplaintKind.REPLY_TIMEOUT, at=at)
    return ticket


@domain_errors
@transaction.atomic
def ticket_buyer_silence(*, ticket_id, at=None) -> Ticket:
    """`buyer_silence`: no answer by `buyer_due_at` → deemed accepted (消费者不操作视为认可)."""
    at = at or timezone.now()
    ticket = _lock_ticket(ticket_id)
    _require_state(ticket, S.AWAITING_BUYER, action=_("deem the plan accepted"))
    _require_due(ticket, ticket.buyer_due_at, at)
    with audited(ticket, actor=SYSTEM, at=at):
        ticket.buyer_silence()
    ticket.save()
    message_buyer(
        ticket=ticket,
        kind=MessageKind.DEEMED_ACCEPTED,
        at=at,
        ship_by=ticket.ship_by.isoformat(),
    )
    return ticket


@domain_errors
@transaction.atomic
def ticket_missed_ship_date(*, ticket_id, at=None) -> Ticket:
    """`missed_ship_date`: agreed, not shipped or refunded by `ship_deadline` → complaint."""
    at = at or timezone.now()
    ticket = _lock_ticket(ticket_id)
    _require_state(ticket, S.AGREED, action=_("file a missed ship date"))
    _require_due(ticket, ticket.ship_deadline, at)
    if ticket.order.is_settled:  # settle would have completed it; never file on a settled order
        raise InvalidTransition(_("The order has already shipped or been refunded."))
    with audited(ticket, actor=SYSTEM, at=at):
        ticket.missed_ship_date()
    ticket.save()
    complaint_file(ticket=ticket, kind=ComplaintKind.MISSED_SHIP_DATE, at=at)
    return ticket


# -- operations: policy versions (§8) and rollout of second handling (§6) ------------------

POLICY_NUMBERS = (
    "reply_window",
    "buyer_window",
    "ship_later_cap_days",
    "fresh_ship_later_cap_days",
    "review_target",
    "appeal_window",
    "appeal_review_target",
    "reply_reminder_lead",
    "late_rate",
    "late_min",
    "late_max",
    "stockout_rate",
    "stockout_min",
    "stockout_max",
    "payout",
    "points_per_yuan",
    "points_per_upheld",
)


def policy_changes(before: Policy | None, after: Policy) -> list[str]:
    """The numbers (POLICY_NUMBERS, in that order) in which `after` differs from `before`;
    all of them when there is no `before`."""
    if before is None:
        return list(POLICY_NUMBERS)
    return [name for name in POLICY_NUMBERS if getattr(before, name) != getattr(after, name)]


def _next_version(*, platform, latest, effective_from, note, actor, numbers) -> Policy:
    """The version after `latest` with `numbers` changed (the rest carried over), checked by
    the model's own validation and the rules below; unsaved."""
    if platform not in Platform.values:
        raise ValidationError(_("Unknown platform."), field="platform")
    unknown = set(numbers) - set(POLICY_NUMBERS)
    if unknown:
        raise ValidationError(_("Unknown policy setting."), field=sorted(unknown)[0])
    values = {name: getattr(latest, name) for name in POLICY_NUMBERS} if latest else {}
    values.update(numbers)
    policy = Policy(
        platform=platform,
        version=(latest.version + 1) if latest else 1,
        effective_from=effective_from,
        created_by=actor,
        note=note,
        **values,
    )
    _validated(policy.clean_fields)  # each value of its field's type (text is converted)
    # A window of zero or less would make every deadline due at once (and every urge break
    # the reply_due_at constraint); points at 0 per yuan would pay nothing.
    for name in ("reply_window", "buyer_window", "review_target", "appeal_window"):
        if getattr(policy, name) <= dt.timedelta(0):
            raise ValidationError(_("A window must be longer than zero."), field=name)
    if policy.payout == Payout.TMALL_POINTS and policy.points_per_yuan < 1:
        raise ValidationError(
            _("Paying in Tmall points needs at least one point per yuan."), field="points_per_yuan"
        )
    _validated(policy.full_clean)  # and the model's constraints (bounds, uniqueness)
    return policy


def _validated(check):
    """Run a model validation; its first error becomes a domain error on its field (None for
    an error of the whole row)."""
    try:
        check()
    except DjangoValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        field = None if field == NON_FIELD_ERRORS else field
        raise ValidationError(" ".join(messages), field=field) from None


@domain_errors
@transaction.atomic
def policy_publish(*, platform: str, actor=None, effective_from=None, note: str = "", **numbers):
    """§8: publish the next version of a platform's policy. A version in force is never edited;
    the new one governs tickets created from `effective_from` (now or later) on, and numbers not
    given are carried over from the latest version."""
    now = timezone.now()
    effective_from = effective_from or now
    if effective_from < now - CLOCK_SKEW:
        raise ValidationError(
            _("A new version takes effect now or later, never in the past."),
            field="effective_from",
        )
    latest = (
        Policy.objects.select_for_update().filter(platform=platform).order_by("-version").first()
    )
    if latest is not None and effective_from <= latest.effective_from:
        raise ValidationError(
            _("A new version must take effect after version %(v)d (%(at)s).")
            % {"v": latest.version, "at": _local(latest.effective_from)},
            field="effective_from",
        )
    policy = _next_version(
        platform=platform,
        latest=latest,
        effective_from=effective_from,
        note=note,
        actor=actor,
        numbers=numbers,
    )
    # A version that changes nothing would only add a row that reads like a rule change.
    if latest is not None and not policy_changes(latest, policy):
        raise ValidationError(
            _(
                "Nothing would change: every number is that of version %(v)d. Change at least "
                "one number to publish a new version."
            )
            % {"v": latest.version}
        )
    policy.save()
    return policy


def policy_draft(*, platform: str, at=None, **numbers) -> Policy:
    """§19: the version that publishing `numbers` now would create (the rest carried over
    from the latest version), checked as `policy_publish` checks it, and never saved: what
    the what-if (`tickets.impact.policy_impact`) replays recent history under. Values may be
    given as text (a command line's), converted by the model's fields."""
    latest = Policy.objects.filter(platform=platform).order_by("-version").first()
    at = at or timezone.now()
    if latest is not None:
        at = max(at, latest.effective_from + dt.timedelta(microseconds=1))
    return _next_version(
        platform=platform, latest=latest, effective_from=at, note="", actor=None, numbers=numbers
    )


@transaction.atomic
def reasons_set_active(*, reasons, active: bool, at=None) -> int:
    """§5: reasons are soft-deleted: deactivated (merchants no longer see them; tickets that
    used them keep them) or reactivated. `reasons`: a queryset. Returns how many changed."""
    if active:
        return reasons.filter(is_active=False).update(is_active=True, deactivated_at=None)
    return reasons.filter(is_active=True).update(
        is_active=False, deactivated_at=at or timezone.now()
    )


@domain_errors
@transaction.atomic
def shop_enable_second_handling(*, shops, at=None) -> int:
    """Open second handling for these shops now (those that already have it keep their
    instant). `shops`: a queryset or iterable of shops or ids. Returns how many changed."""
    at = at or timezone.now()
    ids = [getattr(s, "pk", s) for s in shops]
    return Shop.objects.filter(pk__in=ids, second_handling_since__isnull=True).update(
        second_handling_since=at
    )


@domain_errors
@transaction.atomic
def shop_revoke_second_handling(
    *, shop_id, actor, reason: str, at=None
) -> SecondHandlingRevocation:
    """§6, the rollout taken back from one shop (enabled by mistake): the shop no longer has
    second handling, recorded with who and why. Tickets already replied under it keep their
    entry (FAQ 3 the other way round: the rule a merchant replied under stays); tickets
    replied from now on get none. Percentage rollouts leave the shop out from then on; only
    enabling it by name opens it again."""
    at = at or timezone.now()
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why second handling is taken back."), field="reason")
    try:
        shop = Shop.objects.select_for_update().get(pk=shop_id)
    except (Shop.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such shop.")) from None
    since = shop.second_handling_since
    if since is None:
        raise InvalidTransition(
            _("Shop %(shop)s does not have second handling.") % {"shop": shop.code}
        )
    kept = Ticket.objects.filter(
        shop=shop,
        state__in=(S.AWAITING_BUYER, S.AGREED),
        second_handling_plan="",
        replied_at__gte=since,
        second_handling_kept=False,
    ).update(second_handling_kept=True)
    shop.second_handling_since = None
    shop.save(update_fields=["second_handling_since"])
    return SecondHandlingRevocation.objects.create(
        shop=shop,
        had_since=since,
        revoked_at=at,
        revoked_by=actor,
        reason=reason,
        tickets_kept=kept,
    )


def rollout_order(queryset):
    """A stable, evenly spread order of shops for percentage rollouts (Knuth's multiplicative
    hash of the id), the same on every database and every run."""
    return queryset.annotate(
        rollout_rank=Mod(
            F("id") * Value(2654435761, output_field=BigIntegerField()),
            Value(4294967296, output_field=BigIntegerField()),
            output_field=BigIntegerField(),
        )
    ).order_by("rollout_rank", "id")


@domain_errors
@transaction.atomic
def shop_rollout_percentage(*, percentage: Decimal | int, platform: str | None = None, at=None):
    """Open second handling until at least `percentage` % of the shops (of a platform, or all)
    have it, in `rollout_order`. Returns (enabled now, having it, total)."""
    try:
        percentage = Decimal(str(percentage))
    except InvalidOperation:
        raise ValidationError(_("A percentage from 0 to 100."), field="percentage") from None
    # NaN parses as a Decimal but cannot even be compared: refuse it before comparing.
    if not percentage.is_finite() or not (0 <= percentage <= 100):
        raise ValidationError(_("A percentage from 0 to 100."), field="percentage")
    if platform is not None and platform not in Platform.values:
        raise ValidationError(_("Unknown platform."), field="platform")
    at = at or timezone.now()
    shops = Shop.objects.all() if platform is None else Shop.objects.filter(platform=platform)
    total = shops.count()
    wanted = int((percentage * total / 100).to_integral_value(rounding="ROUND_CEILING"))
    having = shops.filter(second_handling_since__isnull=False).count()
    missing = max(0, wanted - having)
    if missing:
        # A shop it was taken back from stays out of percentage rollouts (enabled by name only).
        waiting = shops.filter(second_handling_since__isnull=True).exclude(
            Exists(SecondHandlingRevocation.objects.filter(shop=OuterRef("pk")))
        )
        ids = list(rollout_order(waiting).values_list("pk", flat=True)[:missing])
        Shop.objects.filter(pk__in=ids).update(second_handling_since=at)
    return missing, having + missing, total


__all__ = [
    "buyer_account_refusal",
    "order_settle",
    "order_upsert",
    "policy_changes",
    "policy_draft",
    "policy_publish",
    "reasons_set_active",
    "second_handling_open",
    "second_handling_refusal",
    "ship_by_problem",
    "shop_enable_second_handling",
    "shop_revoke_second_handling",
    "shop_rollout_percentage",
    "ticket_buyer_respond",
    "ticket_buyer_silence",
    "ticket_missed_ship_date",
    "ticket_reply",
    "ticket_reply_timeout",
    "ticket_second_handling",
    "ticket_urge",
]
