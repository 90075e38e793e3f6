"""`manage.py seed_demo` (§13): the fixed demo people, every state present, data consistent
with what the services produce, deadlines falling due minutes after seeding, idempotent."""

import datetime as dt
import io
from collections import defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import Count, F
from django.utils import timezone
from django_fsm_log.models import StateLog
from rest_framework.authtoken.models import Token

from complaints.models import (
    Compensation,
    CompensationKind,
    Complaint,
    ComplaintState,
    Evidence,
    Liability,
)
from tickets import diagrams, roles, selectors, sweeps
from tickets.models import (
    PLATFORM_TZ,
    BuyerMessage,
    MessageKind,
    Order,
    Plan,
    Platform,
    Shop,
    ShopMembership,
    Ticket,
    TicketState,
    end_of_day,
    platform_today,
)
from tickets.policy import late_shipment_terms, stockout_terms

N = 300
PASSWORD = "demo-pass-123"
FIXED = ("buyer1", "buyer2", "merchant1", "merchant2", "reviewer1", "ops1", "lead1", "ordersys")
MODELS = (
    get_user_model(),
    Token,
    Shop,
    ShopMembership,
    Order,
    Ticket,
    Complaint,
    Compensation,
    Liability,
    Evidence,
    StateLog,
    BuyerMessage,
)


def seed(*args):
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def seeded(db):
    before = timezone.now()
    output = seed("--tickets", str(N))
    return {"output": output, "before": before, "after": timezone.now()}


def counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def test_every_ticket_state_and_every_complaint_state_is_present(seeded):
    states = set(Ticket.objects.values_list("state", flat=True))
    assert states == set(TicketState.values)
    complaint_states = set(Complaint.objects.values_list("state", flat=True))
    assert complaint_states == set(ComplaintState.values)
    assert Ticket.objects.filter(order__order_no__startswith="DEMO").count() == N


def test_the_demo_users_own_shops_hold_every_state(seeded):
    demo = Ticket.objects.filter(shop__code__in=["taobao-demo-1", "tmall-demo-1"])
    hand_made = demo.filter(buyer__username__in=["buyer1", "buyer2"])
    assert set(hand_made.values_list("state", flat=True)) == set(TicketState.values)
    assert set(
        Complaint.objects.filter(ticket__in=hand_made).values_list("state", flat=True)
    ) == set(ComplaintState.values)
    # Evidence of the buyer-fault claim is there and pending review.
    claim = Complaint.objects.get(ticket__order__order_no="TB-DEMO-0007")
    assert claim.state == ComplaintState.PENDING and claim.evidence.count() == 1
    # merchant2's shop has no second handling: its agreed ticket cannot use it.
    assert Shop.objects.get(code="tmall-demo-1").second_handling_since is None


def test_fixed_users_groups_shops_and_rollout(seeded):
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=FIXED)}
    assert set(users) == set(FIXED)
    for name in FIXED:
        assert users[name].check_password(PASSWORD), name
    assert roles.is_reviewer(users["reviewer1"]) and users["reviewer1"].is_staff
    assert roles.is_operations(users["ops1"]) and users["ops1"].is_staff
    assert roles.is_review_lead(users["lead1"]) and users["lead1"].is_staff
    assert roles.is_reviewer(users["lead1"])  # leads are reviewers too
    # §18: canned decision notes to insert, for the buyer-fault claims too
    from complaints.models import DecisionTemplate

    assert DecisionTemplate.objects.filter(kind="buyer_fault_claim", is_active=True).count() == 2
    assert roles.is_order_system(users["ordersys"])
    for name in ("buyer1", "buyer2"):
        assert roles.BUYERS in roles.group_names(users[name])
    taobao = Shop.objects.get(code="taobao-demo-1")
    tmall = Shop.objects.get(code="tmall-demo-1")
    assert taobao.platform == Platform.TAOBAO and taobao.second_handling_since is not None
    assert tmall.platform == Platform.TMALL and tmall.second_handling_since is None
    assert roles.shop_ids(users["merchant1"]) == {taobao.pk}
    assert roles.shop_ids(users["merchant2"]) == {tmall.pk}
    # Bulk shops on both platforms, some rolled out and some not.
    bulk = Shop.objects.filter(code__startswith="demo-")
    assert set(bulk.values_list("platform", flat=True)) == set(Platform.values)
    assert bulk.filter(second_handling_since__isnull=False).exists()
    assert bulk.filter(second_handling_since__isnull=True).exists()


def test_logins_and_tokens_are_printed_and_stable(seeded, client):
    output = seeded["output"]
    for name in FIXED:
        token = Token.objects.get(user__username=name).key
        line = next(line for line in output.splitlines() if line.startswith(name + " "))
        assert PASSWORD in line and token in line
        out = io.StringIO()
        call_command("drf_create_token", name, stdout=out)
        assert token in out.getvalue()
    assert "http://" not in output  # the URLs are bin/run's to print, once
    # Through the login page (django-axes wants the request: Client.login() gives it none).
    response = client.post("/merchant/login/", {"username": "merchant1", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/merchant/"
    # The token authenticates against the API.
    token = Token.objects.get(user__username="buyer1").key
    response = client.get("/api/v1/reasons/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_the_summary_counts_what_the_database_holds(seeded):
    """The hand-made tickets are counted too: the totals, not the bulk history's tally."""
    User = get_user_model()
    expected = {
        "orders": Order.objects.count(),
        "tickets": Ticket.objects.count(),
        "complaints": Complaint.objects.count(),
        "audit rows": StateLog.objects.count(),
        "messages": BuyerMessage.objects.count(),
        "compensations": Compensation.objects.count(),
        "shops": Shop.objects.count(),
        "buyers": User.objects.filter(groups__name=roles.BUYERS).count(),
    }
    assert expected["tickets"] > N  # the hand-made ones come on top of the N bulk tickets
    summary = next(
        line for line in seeded["output"].splitlines() if line.startswith("The database holds")
    )
    for what, n in expected.items():
        assert f" {n} {what}" in summary, (what, n, summary)
    # A second run adds nothing and says so with the same totals.
    again = seed("--tickets", "50")
    assert summary in again


def test_a_second_run_changes_nothing(seeded):
    before = counts()
    tokens = dict(Token.objects.values_list("user__username", "key"))
    passwords = dict(get_user_model().objects.values_list("username", "password"))
    output = seed("--tickets", "50")
    assert "already here" in output
    assert counts() == before
    assert dict(Token.objects.values_list("user__username", "key")) == tokens
    assert dict(get_user_model().objects.values_list("username", "password")) == passwords
    for name in FIXED:
        assert Token.objects.get(user__username=name).key in output


def test_deadlines_come_from_each_tickets_policy(seeded):
    tickets = Ticket.objects.select_related("policy", "order")
    assert tickets.count() > N
    for t in tickets:
        assert t.reply_due_at == t.created_at + t.policy.reply_window, t.pk
        if t.reply_plan in (Plan.SHIP_LATER, Plan.EXCHANGE_AGREED):
            assert t.ship_deadline == end_of_day(t.ship_by), t.pk
            cap = t.policy.ship_later_cap(is_fresh=t.order.is_fresh)
            today = platform_today(t.replied_at)
            assert today <= t.ship_by <= today + dt.timedelta(days=cap), t.pk
        if t.reply_plan == Plan.SHIP_LATER:
            assert t.buyer_due_at == t.replied_at + t.policy.buyer_window, t.pk
        if t.replied_at:
            assert t.created_at < t.replied_at < t.reply_due_at, t.pk
        if t.state == TicketState.COMPLETED:
            assert t.completed_at and t.settled_at and t.settlement, t.pk
        assert t.first_action_at is None or t.first_action_at >= t.created_at
    for c in Complaint.objects.select_related("ticket__policy"):
        if c.appealed_at:  # the appeal waits on its own target (§18)
            assert c.review_due_at == c.appealed_at + c.ticket.policy.appeal_review_target, c.pk
        else:
            assert c.review_due_at == c.filed_at + c.ticket.policy.review_target, c.pk
        if c.appeal_due_at:
            assert c.appeal_due_at == c.decided_at + c.ticket.policy.appeal_window, c.pk


def test_one_open_ticket_per_order_and_one_open_complaint_per_ticket(seeded):
    open_per_order = (
        Ticket.objects.exclude(state=TicketState.COMPLETED)
        .values("order")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not open_per_order.exists()
    open_complaints = Complaint.objects.filter(state__in=["pending", "in_review"])
    assert open_complaints.count() == Ticket.objects.filter(state="platform_review").count()
    assert set(open_complaints.values_list("ticket__state", flat=True)) == {"platform_review"}
    # A settled order never has an open ticket waiting on the merchant or buyer.
    assert not Ticket.objects.filter(
        state__in=["awaiting_reply", "awaiting_buyer", "agreed", "compensated"],
        order__shipped_at__isnull=False,
    ).exists()


def test_audit_rows_replay_every_objects_state(seeded):
    """Every ticket and complaint has its creation row ('urge' / 'file'), each later row
    leaves the state the previous one reached along an edge of the state machine, and the
    last one reaches the object's current state."""
    for model, creation in ((Ticket, "urge"), (Complaint, "file")):
        edges = set(diagrams.transitions(model))
        rows = defaultdict(list)
        logs = StateLog.objects.filter(content_type=ContentType.objects.get_for_model(model))
        for row in logs.order_by("timestamp", "id").values_list(
            "object_id", "transition", "source_state", "state"
        ):
            rows[row[0]].append(row[1:])
        objects = dict(model.objects.values_list("pk", "state"))
        assert set(rows) == set(objects)
        for pk, steps in rows.items():
            assert steps[0][:2] == (creation, None), (model, pk, steps)
            state = steps[0][2]
            for name, source, target in steps[1:]:
                assert source == state and (source, target, name) in edges, (model, pk, steps)
                state = target
            assert state == objects[pk], (model, pk, steps)


def test_messages_money_and_liabilities_match_the_services(seeded):
    # Every ticket told its buyer it was received; every complaint told the buyer it was filed.
    opened = BuyerMessage.objects.filter(kind=MessageKind.TICKET_OPENED)
    assert opened.count() == Ticket.objects.count()
    filed = BuyerMessage.objects.filter(kind=MessageKind.COMPLAINT_FILED)
    assert filed.count() == Complaint.objects.count()
    assert not BuyerMessage.objects.exclude(buyer_id=F("ticket__buyer_id")).exists()
    for comp in Compensation.objects.select_related("ticket__policy", "ticket__order"):
        terms = (stockout_terms if comp.kind == CompensationKind.STOCKOUT else late_shipment_terms)(
            comp.ticket.policy, comp.ticket.order.amount
        )
        assert (comp.amount, comp.payout, comp.points) == (terms.amount, terms.payout, terms.points)
    decided = Complaint.objects.filter(
        state__in=["upheld", "appealed", "overturned", "upheld_final"]
    )
    assert Liability.objects.count() == decided.count()
    for liability in Liability.objects.select_related("complaint", "compensation"):
        reversed_ = liability.complaint.state == ComplaintState.OVERTURNED
        assert (liability.reversed_at is not None) == reversed_
        assert (liability.compensation.reversed_at is not None) == reversed_
    assert (
        Compensation.objects.filter(kind=CompensationKind.STOCKOUT).count()
        >= Ticket.objects.filter(state="compensated").count()
    )


def test_orders_cover_both_platforms_fresh_and_normal(seeded):
    orders = Order.objects.all()
    for platform in Platform.values:
        assert orders.filter(shop__platform=platform, is_fresh=True).exists()
        assert orders.filter(shop__platform=platform, is_fresh=False).exists()
    amounts = set(orders.values_list("amount", flat=True))
    assert len(amounts) > N // 2
    assert all(a == a.quantize(a.__class__("0.01")) and a >= 0 for a in amounts)
    # Some orders a buyer may still urge.
    assert orders.filter(
        paid_at__isnull=False, shipped_at__isnull=True, refunded_at__isnull=True, tickets=None
    ).exists()


def test_the_dashboard_chart_has_every_day(seeded):
    now = seeded["after"]
    for code in ("taobao-demo-1", "tmall-demo-1"):
        shop = Shop.objects.get(code=code)
        days = selectors.handling_time_by_day(shop_id=shop.pk, since=now - dt.timedelta(days=30))
        recent = [d for d in days if d["day"] > platform_today(now) - dt.timedelta(days=30)]
        assert len(recent) == 30
        assert all(d["count"] > 0 for d in recent), code


def test_only_the_meant_deadlines_are_overdue_and_some_fall_due_within_minutes(seeded):
    seeded_at = seeded["before"]
    overdue = selectors.overdue(Ticket.objects.all(), at=seeded["after"])
    assert set(overdue.values_list("order__order_no", flat=True)) == {
        "TB-DEMO-0006",
        "TM-DEMO-0009",
    }
    soon = seeded_at + dt.timedelta(minutes=13)
    assert Ticket.objects.filter(state="awaiting_reply", reply_due_at__lte=soon).count() >= 3
    assert Ticket.objects.filter(state="awaiting_buyer", buyer_due_at__lte=soon).count() >= 3
    # The 24-hour policy stays in force: the short deadlines come from old creation times.
    hand_made = Ticket.objects.get(order__order_no="TB-DEMO-0002")
    assert hand_made.reply_due_at - hand_made.created_at == dt.timedelta(hours=24)
    assert dt.timedelta(minutes=2) < hand_made.reply_due_at - seeded_at < dt.timedelta(minutes=4)


def test_the_sweeps_act_on_the_demo_within_minutes(seeded):
    later = seeded["before"] + dt.timedelta(minutes=13)
    due_replies = Ticket.objects.filter(state="awaiting_reply", reply_due_at__lte=later).count()
    due_buyers = Ticket.objects.filter(state="awaiting_buyer", buyer_due_at__lte=later).count()
    assert sweeps.sweep_missed_ship_dates(at=seeded["after"]) == 2
    assert sweeps.sweep_reply_timeouts(at=later) == due_replies
    assert sweeps.sweep_buyer_silence(at=later) == due_buyers
    assert Complaint.objects.filter(kind="missed_ship_date", filed_at=seeded["after"]).count() == 2


def test_bulk_history_is_delivered_and_hand_made_messages_wait_in_the_outbox(seeded):
    bulk = BuyerMessage.objects.filter(ticket__order__order_no__startswith="DEMO")
    assert bulk.exists() and not bulk.filter(delivered_at__isnull=True).exists()
    hand_made = BuyerMessage.objects.filter(ticket__order__order_no__contains="-DEMO-")
    assert hand_made.exists() and not hand_made.filter(delivered_at__isnull=False).exists()
    # Their timeline reads in scenario time, not the seeding instant.
    ticket = Ticket.objects.get(order__order_no="TB-DEMO-0013")
    times = [entry.at for entry in selectors.ticket_timeline(ticket)]
    assert max(times) < seeded["before"] - dt.timedelta(days=5)
    assert timezone.localtime(ticket.created_at, PLATFORM_TZ).date() == platform_today(
        seeded["before"] - dt.timedelta(days=20)
    )


def test_negative_ticket_count_is_refused(db):
    with pytest.raises(CommandError, match="zero or more"):
        seed("--tickets", "-1")
    assert not Shop.objects.exists()
