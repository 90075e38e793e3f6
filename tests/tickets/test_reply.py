"""§4 `reply` (ship_later / exchange_agreed / cannot_ship) and §5: reasons and the ship-by cap."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.utils import timezone, translation

from complaints.models import ComplaintKind, ComplaintState
from tests import factories as f
from tickets import services
from tickets.exceptions import DeadlinePassed, InvalidTransition, NotFound, ValidationError
from tickets.models import (
    PLATFORM_TZ,
    BuyerMessage,
    MessageKind,
    Plan,
    Policy,
    ReplyReason,
    end_of_day,
    platform_today,
)
from tickets.models import TicketState as S

pytestmark = pytest.mark.django_db
US = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)

# §5 of the spec: code → side, allowed plans.
SPEC_REASONS = {
    "stock_shortage": ("seller", {"ship_later", "cannot_ship"}),
    "production_delay": ("seller", {"ship_later", "cannot_ship"}),
    "warehouse_backlog": ("seller", {"ship_later"}),
    "carrier_suspended": ("seller", {"ship_later", "cannot_ship"}),
    "force_majeure": ("seller", {"ship_later", "cannot_ship"}),
    "presale_misconfigured": ("seller", {"ship_later", "cannot_ship"}),
    "buyer_requested_delay": ("buyer", {"ship_later"}),
    "buyer_changed_details": ("buyer", {"ship_later", "exchange_agreed"}),
    "buyer_unreachable": ("buyer", {"ship_later", "cannot_ship"}),
    "exchange_negotiated": ("buyer", {"exchange_agreed"}),
}
SEED = importlib.import_module("tickets.migrations.0002_seed_reasons_policies_roles")
SEEDED_CODES = [row[0] for row in SEED.REASONS]


def reply(ticket, *, plan="ship_later", reason=None, days=5, ship_by=..., at=None, **kwargs):
    at = at or timezone.now()
    reason = reason or {"exchange_agreed": "exchange_negotiated"}.get(plan, "stock_shortage")
    if ship_by is ...:
        ship_by = None if plan == Plan.CANNOT_SHIP else platform_today(at) + dt.timedelta(days=days)
    kwargs.setdefault("actor", f.staff_of(ticket))
    return services.ticket_reply(
        ticket_id=ticket.pk, plan=plan, reason=reason, ship_by=ship_by, at=at, **kwargs
    )


# -- the three plans -----------------------------------------------------------------------


def test_reply_ship_later_records_the_plan_and_waits_for_the_buyer():
    ticket = f.urged()
    actor = f.staff_of(ticket)
    at = ticket.created_at + dt.timedelta(hours=2)
    ship_by = platform_today(at) + dt.timedelta(days=7)

    ticket = reply(ticket, plan="ship_later", ship_by=ship_by, at=at, actor=actor, note=" soon ")

    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_BUYER
    assert ticket.reply_plan == Plan.SHIP_LATER
    assert ticket.reply_reason.code == "stock_shortage"
    assert ticket.reply_note == "soon"
    assert ticket.ship_by == ship_by
    assert ticket.ship_deadline == end_of_day(ship_by)
    assert ticket.buyer_due_at == at + ticket.policy.buyer_window == at + dt.timedelta(hours=24)
    assert ticket.replied_at == ticket.first_action_at == at
    assert ticket.replied_by == actor
    assert not ticket.complaints.exists()
    message = ticket.messages.get(kind=MessageKind.REPLY)
    assert ticket.reply_reason.buyer_text in message.text
    assert ship_by.isoformat() in message.text
    assert message.buyer_id == ticket.buyer_id
    assert message.payload["plan"] == "ship_later"


def test_reply_ship_later_buyer_window_comes_from_the_ticket_policy():
    v1 = Policy.objects.get(platform="taobao", version=1)
    at = timezone.now()
    Policy.objects.create(
        **{
            field.name: getattr(v1, field.name)
            for field in Policy._meta.concrete_fields
            if field.name not in ("id", "version", "effective_from", "buyer_window")
        },
        version=2,
        effective_from=at - DAY,
        buyer_window=dt.timedelta(hours=6),
    )
    ticket = f.urged(at=at)
    assert ticket.policy.version == 2

    ticket = reply(ticket, at=at + dt.timedelta(minutes=1))

    assert ticket.buyer_due_at == at + dt.timedelta(minutes=1, hours=6)


def test_reply_exchange_agreed_records_the_plan_and_is_agreed():
    ticket = f.urged()
    at = timezone.now()
    ship_by = platform_today(at) + dt.timedelta(days=3)

    ticket = reply(ticket, plan="exchange_agreed", reason="exchange_negotiated", ship_by=ship_by)

    ticket.refresh_from_db()
    assert ticket.state == S.AGREED
    assert ticket.reply_plan == Plan.EXCHANGE_AGREED
    assert ticket.reply_reason.code == "exchange_negotiated"
    assert ticket.ship_by == ship_by
    assert ticket.ship_deadline == end_of_day(ship_by)
    assert ticket.buyer_due_at is None
    assert not ticket.complaints.exists()
    message = ticket.messages.get(kind=MessageKind.REPLY)
    assert "协商一致换货" in message.text
    assert ship_by.isoformat() in message.text


def test_reply_cannot_ship_records_the_plan_and_files_a_cannot_ship_complaint():
    ticket = f.urged()
    at = timezone.now()

    ticket = reply(ticket, plan="cannot_ship", reason="carrier_suspended", at=at)

    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    assert ticket.reply_plan == Plan.CANNOT_SHIP
    assert ticket.reply_reason.code == "carrier_suspended"
    assert ticket.ship_by is None and ticket.ship_deadline is None
    complaint = ticket.complaints.get()
    assert complaint.kind == ComplaintKind.CANNOT_SHIP
    assert complaint.state == ComplaintState.PENDING
    assert complaint.filed_at == at
    assert complaint.filed_by is None
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.TICKET_OPENED, MessageKind.REPLY, MessageKind.COMPLAINT_FILED]
    reply_text = ticket.messages.get(kind=MessageKind.REPLY).text
    assert "无法发货" in reply_text
    assert ticket.reply_reason.buyer_text in reply_text


def test_reply_cannot_ship_with_a_date_is_refused():
    ticket = f.urged()
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        reply(ticket, plan="cannot_ship", ship_by=platform_today(timezone.now()) + DAY)
    assert error.value.field == "ship_by"
    assert f.footprint(ticket) == before


@pytest.mark.parametrize("plan", ["ship_later", "exchange_agreed"])
def test_reply_with_a_dated_plan_and_no_date_is_refused(plan):
    ticket = f.urged()
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        reply(ticket, plan=plan, ship_by=None)
    assert error.value.field == "ship_by"
    assert f.footprint(ticket) == before


# -- who may reply ---------------------------------------------------------------------------


def test_reply_by_a_merchant_of_another_shop_is_not_found():
    ticket = f.urged()
    outsider = f.merchant()
    before = f.footprint(ticket)
    with pytest.raises(NotFound):
        reply(ticket, actor=outsider)
    assert f.footprint(ticket) == before


def test_reply_by_the_buyer_is_not_found():
    ticket = f.urged()
    with pytest.raises(NotFound):
        reply(ticket, actor=ticket.buyer)


@pytest.mark.parametrize("ticket_id", [0, 987654321, "abc", None])
def test_reply_to_a_missing_ticket_is_not_found(ticket_id):
    actor = f.merchant()
    with pytest.raises(NotFound):
        services.ticket_reply(
            ticket_id=ticket_id, actor=actor, plan="cannot_ship", reason="stock_shortage"
        )


# -- the reply deadline ----------------------------------------------------------------------


def test_reply_at_the_deadline_is_refused():
    ticket = f.urged()
    before = f.footprint(ticket)
    with pytest.raises(DeadlinePassed) as error:
        reply(ticket, at=ticket.reply_due_at)
    assert error.value.code == "deadline_passed"
    assert f.footprint(ticket) == before


def test_reply_one_microsecond_before_the_deadline_is_accepted():
    ticket = f.urged()
    ticket = reply(ticket, at=ticket.reply_due_at - US)
    assert ticket.state == S.AWAITING_BUYER


def test_reply_after_deadline_is_refused_even_before_the_sweep_ran():
    start = dt.datetime(2026, 5, 1, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        ticket = f.urged()
        assert ticket.reply_due_at == start + dt.timedelta(hours=24)
    with time_machine.travel(start + dt.timedelta(hours=24, seconds=1), tick=False):
        before = f.footprint(ticket)
        with pytest.raises(DeadlinePassed):
            services.ticket_reply(
                ticket_id=ticket.pk,
                actor=f.staff_of(ticket),
                plan="cannot_ship",
                reason="stock_shortage",
            )
        assert f.footprint(ticket) == before
        assert f.footprint(ticket)["state"] == S.AWAITING_REPLY


def test_reply_due_at_is_creation_plus_the_policy_reply_window():
    at = timezone.now()
    ticket = f.urged(at=at)
    assert ticket.reply_due_at == at + ticket.policy.reply_window == at + dt.timedelta(hours=24)


# -- §5 reasons -------------------------------------------------------------------------------


def test_seeded_catalogue_is_the_spec_catalogue():
    seeded = {
        r.code: (r.side, set(r.allowed_plans)) for r in ReplyReason.objects.filter(is_active=True)
    }
    assert seeded == SPEC_REASONS


@pytest.mark.parametrize("plan", Plan.values)
@pytest.mark.parametrize("code", SEEDED_CODES)
def test_reason_must_allow_the_plan(code, plan):
    ticket = f.urged()
    allowed = plan in SPEC_REASONS[code][1]
    if allowed:
        ticket = reply(ticket, plan=plan, reason=code)
        assert ticket.reply_plan == plan
        assert ticket.reply_reason.code == code
        return
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        reply(ticket, plan=plan, reason=code)
    assert error.value.field == "reason"
    assert f.footprint(ticket) == before


def test_inactive_reason_is_refused():
    ReplyReason.objects.filter(code="warehouse_backlog").update(
        is_active=False, deactivated_at=timezone.now()
    )
    ticket = f.urged()
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        reply(ticket, reason="warehouse_backlog")
    assert error.value.field == "reason"
    assert f.footprint(ticket) == before


@pytest.mark.parametrize("reason", ["", None, "no_such_reason"])
def test_unknown_reason_is_refused(reason):
    ticket = f.urged()
    with pytest.raises(ValidationError) as error:
        services.ticket_reply(
            ticket_id=ticket.pk, actor=f.staff_of(ticket), plan="cannot_ship", reason=reason
        )
    assert error.value.field == "reason"


@pytest.mark.parametrize("plan", ["", None, "compensate", "SHIP_LATER"])
def test_unknown_plan_is_refused(plan):
    ticket = f.urged()
    with pytest.raises(ValidationError) as error:
        services.ticket_reply(
            ticket_id=ticket.pk, actor=f.staff_of(ticket), plan=plan, reason="stock_shortage"
        )
    assert error.value.field == "plan"


# -- §5 the ship-by cap ------------------------------------------------------------------------


@pytest.mark.parametrize("plan", ["ship_later", "exchange_agreed"])
@pytest.mark.parametrize("days", [0, 1, 30])
def test_ship_by_from_today_to_today_plus_30_is_accepted(plan, days):
    ticket = f.urged()
    ticket = reply(ticket, plan=plan, days=days)
    assert ticket.ship_by == platform_today(ticket.replied_at) + dt.timedelta(days=days)


@pytest.mark.parametrize("plan", ["ship_later", "exchange_agreed"])
def test_ship_by_past_the_30_day_cap_is_refused_with_the_advice(plan):
    ticket = f.urged()
    at = timezone.now()
    before = f.footprint(ticket)
    with pytest.raises(ValidationError) as error:
        reply(ticket, plan=plan, days=31, at=at)
    assert error.value.field == "ship_by"
    message = error.value.message
    latest = platform_today(at) + dt.timedelta(days=30)
    assert latest.isoformat() in message
    assert "30 days" in message
    assert "presale" in message
    assert "refund" in message
    assert "无法发货" in message
    assert f.footprint(ticket) == before


def test_ship_by_for_fresh_food_up_to_today_plus_15_is_accepted():
    ticket = f.urged(is_fresh=True)
    ticket = reply(ticket, days=15)
    assert ticket.state == S.AWAITING_BUYER


def test_ship_by_for_fresh_food_past_15_days_is_refused():
    ticket = f.urged(is_fresh=True)
    at = timezone.now()
    with pytest.raises(ValidationError) as error:
        reply(ticket, days=16, at=at)
    assert error.value.field == "ship_by"
    assert (platform_today(at) + dt.timedelta(days=15)).isoformat() in error.value.message
    assert "15" in error.value.message


@pytest.mark.parametrize("plan", ["ship_later", "exchange_agreed"])
def test_ship_by_in_the_past_is_refused(plan):
    ticket = f.urged()
    with pytest.raises(ValidationError) as error:
        reply(ticket, plan=plan, days=-1)
    assert error.value.field == "ship_by"
    assert "past" in error.value.message


def test_ship_by_today_is_the_shanghai_date_not_the_utc_date():
    # 23:30 UTC on 10 March is 07:30 on 11 March in Shanghai.
    at = dt.datetime(2026, 3, 10, 23, 30, tzinfo=dt.UTC)
    assert platform_today(at) == dt.date(2026, 3, 11)
    with time_machine.travel(at, tick=False):
        refused = f.urged()
        with pytest.raises(ValidationError):
            reply(refused, ship_by=dt.date(2026, 3, 10))  # yesterday in Shanghai
        cap_edge = f.urged()
        reply(cap_edge, ship_by=dt.date(2026, 4, 10))  # Shanghai today + 30
        past_cap = f.urged()
        with pytest.raises(ValidationError):
            reply(past_cap, ship_by=dt.date(2026, 4, 11))  # Shanghai today + 31
        today = f.urged()
        assert reply(today, ship_by=dt.date(2026, 3, 11)).state == S.AWAITING_BUYER


def test_ship_deadline_is_the_end_of_the_ship_by_day_in_shanghai():
    # Replied at 20:00 UTC on 10 March = 04:00 on 11 March in Shanghai; ship by that same day.
    at = dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC)
    with time_machine.travel(at, tick=False):
        ticket = reply(f.urged(), ship_by=dt.date(2026, 3, 11))
    ticket.refresh_from_db()
    assert ticket.ship_deadline == dt.datetime(2026, 3, 11, 15, 59, 59, 999999, tzinfo=dt.UTC)
    local = ticket.ship_deadline.astimezone(PLATFORM_TZ)
    assert (local.date(), local.time()) == (dt.date(2026, 3, 11), dt.time.max)


def test_reply_message_is_written_once_per_reply():
    ticket = reply(f.urged())
    assert BuyerMessage.objects.filter(ticket=ticket, kind=MessageKind.REPLY).count() == 1


def test_second_reply_is_refused():
    ticket = reply(f.urged())
    before = f.footprint(ticket)
    with pytest.raises(InvalidTransition):
        reply(ticket)
    assert f.footprint(ticket) == before


def test_the_ship_by_advice_is_given_in_the_users_language():
    ticket = f.urged()
    at = timezone.now()
    with translation.override("zh-hans"), pytest.raises(ValidationError) as error:
        reply(ticket, days=31, at=at)
    message = error.value.message
    assert (platform_today(at) + dt.timedelta(days=30)).isoformat() in message
    assert "预售" in message and "退款" in message and "无法发货" in message


def test_a_used_reason_cannot_be_hard_deleted_and_deactivating_it_keeps_old_replies():
    from django.db.models import ProtectedError

    ticket = reply(f.urged(), reason="force_majeure")
    reason = ReplyReason.objects.get(code="force_majeure")
    with pytest.raises(ProtectedError):
        reason.delete()
    ReplyReason.objects.filter(pk=reason.pk).update(is_active=False)
    ticket.refresh_from_db()
    assert ticket.reply_reason == reason


def test_a_merchant_staffing_two_shops_replies_in_both():
    first, second = f.urged(), f.urged()
    staff = f.staff_of(first)
    f.ShopMembership.objects.create(user=staff, shop=second.shop)
    assert reply(first, actor=staff).state == S.AWAITING_BUYER
    assert reply(second, actor=staff).state == S.AWAITING_BUYER
