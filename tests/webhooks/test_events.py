"""§15 events, end to end through a real local receiver: every type is written in the causing
transaction (or by its sweep), delivered signed, with the body the spec fixes and the data the
API's merchant detail views show; another shop's events never reach a subscription."""

import datetime as dt
import json
import uuid

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from complaints import services as complaint_services
from tests import factories
from tests.api.conftest import client_for
from tickets import delivery, services
from tickets.models import Policy
from tickets.sweeps import sweep_buyer_silence, sweep_missed_ship_dates, sweep_reply_timeouts
from webhooks.models import Delivery, Event, Subscription
from webhooks.outbox import MERCHANT_EVENTS
from webhooks.reminders import sweep_reply_reminders

from .conftest import subscribe
from .receiver import Receiver, verifies

pytestmark = pytest.mark.django_db


def deliver():
    return delivery.deliver_due(MERCHANT_EVENTS)


def bodies(receiver, event_type=None) -> list[dict]:
    return [
        json.loads(body)
        for headers, body in receiver.received
        if event_type in (None, headers["X-Urge-Event-Type"])
    ]


def test_every_event_type_is_delivered_signed(merchant, shop, receiver, subscription, reviewer):
    now = timezone.now()
    # ticket.opened, then ticket.reply_due_soon once the reminder lead is reached
    opened = factories.urged(shop=shop, at=now - dt.timedelta(hours=23))
    assert sweep_reply_reminders(at=now) == 1
    # ticket.buyer_responded: the buyer accepts a ship-later plan
    responded = factories.replied(shop=shop)
    services.ticket_buyer_respond(ticket_id=responded.pk, buyer=responded.buyer, accept=True)
    # complaint.filed (cannot ship), complaint.decided, then an appeal decided
    ticket, complaint = factories.in_review(reviewer=reviewer, shop=shop)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="late")
    complaint_services.complaint_appeal(complaint_id=complaint.pk, actor=merchant, note="scan")
    complaint_services.complaint_grant_appeal(
        complaint_id=complaint.pk, reviewer=reviewer, note="the scan shows it"
    )
    # ticket.completed: the opened ticket's order ships
    services.order_settle(order_no=opened.order.order_no, settlement="shipped", at=now)
    # ping
    client_for(merchant).post(f"/api/v1/shops/{shop.pk}/webhooks/{subscription.pk}/ping/")

    report = deliver()
    expected = {
        "ticket.opened",
        "ticket.reply_due_soon",
        "ticket.buyer_responded",
        "ticket.completed",
        "complaint.filed",
        "complaint.decided",
        "complaint.appeal_decided",
        "ping",
    }
    assert set(receiver.types()) == expected
    assert report.failed == 0 and report.delivered == len(receiver.received)
    for headers, body in receiver.received:
        assert verifies(headers, body, subscription.secret)
        event = json.loads(body)
        assert set(event) == {"id", "type", "created_at", "shop", "data"}
        assert headers["X-Urge-Event-Id"] == event["id"] == str(uuid.UUID(event["id"]))
        assert headers["X-Urge-Event-Type"] == event["type"]
        assert event["shop"] == shop.code
        assert abs(int(headers["X-Urge-Timestamp"]) - timezone.now().timestamp()) < 60
    assert bodies(receiver, "ping")[0]["data"] == {}
    assert Delivery.objects.filter(delivered_at__isnull=True).count() == 0

    # The data are the API's merchant detail views, field for field.
    api = client_for(merchant)
    (decided,) = bodies(receiver, "complaint.appeal_decided")
    complaint_view = api.get(f"/api/v1/complaints/{complaint.pk}/").json()
    ticket_view = api.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert set(decided["data"]["complaint"]) == set(complaint_view)
    assert set(decided["data"]["ticket"]) == set(ticket_view)
    assert decided["data"]["complaint"]["state"] == "overturned"
    assert decided["data"]["ticket"]["reply_note"] == ticket_view["reply_note"]
    (reminder,) = bodies(receiver, "ticket.reply_due_soon")
    assert reminder["data"] == {"ticket": reminder["data"]["ticket"]}
    assert reminder["data"]["ticket"]["id"] == opened.pk
    # Rendered when written: the ticket as it was then (its order has shipped since).
    assert reminder["data"]["ticket"]["state"] == "awaiting_reply"


def test_the_data_are_what_the_shops_staff_see(merchant, shop, receiver, subscription):
    ticket = factories.urged(shop=shop)
    deliver()
    (opened,) = bodies(receiver, "ticket.opened")
    view = client_for(merchant).get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert opened["data"]["ticket"]["actions"] == view["actions"] == ["reply"]
    for volatile in ("is_overdue",):
        view.pop(volatile), opened["data"]["ticket"].pop(volatile)
    assert opened["data"]["ticket"] == view


def test_only_the_subscribed_types_are_written(merchant, shop, receiver):
    subscribe(merchant, shop, receiver.url, events=["ticket.completed"])
    factories.urged(shop=shop)
    assert not Event.objects.exists()
    deliver()
    assert receiver.received == []


def test_a_rolled_back_change_writes_no_event(shop, subscription):
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.urged(shop=shop)
        assert Delivery.objects.count() == 1  # written in the change's own transaction
        raise RuntimeError("the surrounding transaction fails")
    assert not Event.objects.exists() and not Delivery.objects.exists()


def test_another_shops_events_never_reach_a_subscription(
    merchant, shop, receiver, subscription, other_merchant
):
    other_shop = other_merchant.shops.get()
    other_receiver = Receiver()
    try:
        subscribe(other_merchant, other_shop, other_receiver.url)
        mine = factories.urged(shop=shop)
        theirs = factories.urged(shop=other_shop)
        deliver()
        assert [b["data"]["ticket"]["id"] for b in bodies(receiver)] == [mine.pk]
        assert [b["data"]["ticket"]["id"] for b in bodies(other_receiver)] == [theirs.pk]
        assert {b["shop"] for b in bodies(other_receiver)} == {other_shop.code}
    finally:
        other_receiver.close()


def test_a_sweep_batch_of_two_shops_renders_each_shops_own(
    merchant, shop, receiver, subscription, other_merchant
):
    """The bodies of a sweep's batch are rendered together, across shops: each event still
    carries only its own shop's ticket and complaint."""
    at = timezone.now()
    other_shop = other_merchant.shops.get()
    other_receiver = Receiver()
    try:
        subscribe(other_merchant, other_shop, other_receiver.url, events=["complaint.filed"])
        mine = factories.urged(shop=shop, at=at - dt.timedelta(hours=25))
        theirs = factories.urged(shop=other_shop, at=at - dt.timedelta(hours=25))
        assert sweep_reply_timeouts(at=at) == 2
        deliver()
        for hook, ticket, code in (
            (receiver, mine, shop.code),
            (other_receiver, theirs, other_shop.code),
        ):
            (filed,) = bodies(hook, "complaint.filed")
            assert filed["shop"] == code
            assert filed["data"]["ticket"]["id"] == ticket.pk
            assert filed["data"]["complaint"]["id"] == ticket.complaints.get().pk
        assert other_receiver.types() == ["complaint.filed"]
    finally:
        other_receiver.close()


def test_the_sweeps_write_events_set_based(merchant, shop, receiver, subscription):
    """Reply timeouts and missed dates file complaints (complaint.filed), buyer silence is an
    answer (ticket.buyer_responded); a shop without a subscriber gets none, the same sweep."""
    at = timezone.now()
    quiet_shop = factories.ShopFactory()
    late = [factories.urged(shop=s, at=at - dt.timedelta(hours=25)) for s in (shop, quiet_shop)]
    silent = factories.replied(shop=shop, at=at - dt.timedelta(hours=25))
    missed = factories.agreed(shop=shop, days=0, at=at - dt.timedelta(days=2))
    Event.objects.all().delete()
    assert sweep_reply_timeouts(at=at) == 2
    assert sweep_buyer_silence(at=at) == 1
    assert sweep_missed_ship_dates(at=at) == 1
    events = list(Event.objects.order_by("type", "ticket_id").values_list("type", "ticket_id"))
    assert events == [
        ("complaint.filed", late[0].pk),
        ("complaint.filed", missed.pk),
        ("ticket.buyer_responded", silent.pk),
    ]
    assert len({e.pk for e in Event.objects.all()}) == 3  # an id each
    assert Event.objects.filter(complaint__isnull=False).count() == 2
    deliver()
    filed = bodies(receiver, "complaint.filed")
    assert {b["data"]["complaint"]["kind"] for b in filed} == {"reply_timeout", "missed_ship_date"}
    assert bodies(receiver, "ticket.buyer_responded")[0]["data"]["ticket"]["state"] == "agreed"


def test_a_body_is_the_state_at_the_event_not_at_its_delivery(
    merchant, shop, receiver, subscription, reviewer
):
    """Bodies are rendered when the event is written, in its transaction, by the services and
    by the sweeps: what changes before the delivery does not leak into an earlier event."""
    at = timezone.now()
    replied = factories.agreed(shop=shop)  # ticket.opened, then replied (a service)
    late = factories.urged(shop=shop, at=at - dt.timedelta(hours=25))
    assert sweep_reply_timeouts(at=at) == 1  # complaint.filed, set-based, then decided
    complaint = late.complaints.get()
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="x")
    assert Event.objects.filter(body="").count() == 0  # all rendered before any delivery
    deliver()
    opened = {
        b["data"]["ticket"]["id"]: b["data"]["ticket"] for b in bodies(receiver, "ticket.opened")
    }
    assert opened[replied.pk]["state"] == "awaiting_reply"
    assert not opened[replied.pk]["reply_plan"] and opened[replied.pk]["actions"] == ["reply"]
    assert opened[late.pk]["state"] == "awaiting_reply"
    (filed,) = bodies(receiver, "complaint.filed")
    assert filed["data"]["complaint"]["state"] == "pending"
    assert filed["data"]["ticket"]["state"] == "platform_review"
    (decided,) = bodies(receiver, "complaint.decided")
    assert decided["data"]["complaint"]["state"] == "upheld"
    # The API shows the state now; the events kept theirs.
    now = client_for(merchant).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert now["state"] == "upheld"


def test_a_reminder_is_sent_once_per_ticket_by_the_policys_lead(shop, subscription, receiver):
    at = timezone.now()
    soon = factories.urged(shop=shop, at=at - dt.timedelta(hours=22, minutes=30))
    later = factories.urged(shop=shop, at=at - dt.timedelta(hours=21))
    reminded = Event.objects.filter(type="ticket.reply_due_soon").values_list("ticket_id")
    assert sweep_reply_reminders(at=at) == 1  # 1.5 h left: within 2 h; 3 h left: not yet
    assert sweep_reply_reminders(at=at) == 0  # once
    assert list(reminded.all()) == [(soon.pk,)]
    Policy.objects.filter(pk=later.policy_id).update(reply_reminder_lead=dt.timedelta(hours=4))
    assert sweep_reply_reminders(at=at) == 1  # the lead is the policy's
    assert sorted(reminded.all()) == sorted([(soon.pk,), (later.pk,)])
    assert sweep_reply_reminders(at=at + dt.timedelta(hours=2)) == 0  # past due: never again


def test_a_paused_subscription_gets_no_new_events(shop, subscription):
    Subscription.objects.filter(pk=subscription.pk).update(active=False)
    factories.urged(shop=shop)
    assert not Delivery.objects.exists()


def test_sweep_once_delivers_merchant_events(shop, subscription, receiver):
    from django.core.management import call_command

    factories.urged(shop=shop)
    call_command("sweep", "--once", "--only", "events", verbosity=0)
    assert receiver.types() == ["ticket.opened"]


def test_the_same_bytes_are_sent_on_every_attempt(shop, subscription, receiver):
    receiver.plan = [(500, 0, b"")]
    t0 = timezone.now()
    factories.urged(shop=shop, at=t0)
    with time_machine.travel(t0, tick=False):
        deliver()
    with time_machine.travel(t0 + dt.timedelta(minutes=1), tick=False):
        deliver()
    (first, _), (second, _) = receiver.received
    assert receiver.received[0][1] == receiver.received[1][1]
    assert first["X-Urge-Event-Id"] == second["X-Urge-Event-Id"]
