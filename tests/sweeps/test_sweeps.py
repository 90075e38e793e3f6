"""The deadline sweeps (§4 automatic transitions) and the review-target flag (§7): what is due
moves, nothing else; nothing is filed twice; batches are all or nothing."""

import datetime as dt

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm_log.models import StateLog

from complaints import services as complaint_services
from complaints import sweeps as complaint_sweeps
from complaints.models import Complaint, ComplaintKind
from tests import factories
from tickets import sweeps
from tickets.models import BuyerMessage, MessageKind, Order, Ticket, TicketState

S = TicketState
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(hours=24)
US = dt.timedelta(microseconds=1)

pytestmark = pytest.mark.django_db


def urged(n=1, **kwargs):
    return [factories.urged(at=T0, **kwargs) for _ in range(n)]


def states(tickets):
    return [Ticket.objects.get(pk=t.pk).state for t in tickets]


# -- the rule's one home: the state machine ------------------------------------------------


def test_sweeps_read_source_target_and_fields_from_the_transitions():
    for spec, method in [
        (sweeps.REPLY_TIMEOUT, Ticket.reply_timeout),
        (sweeps.BUYER_SILENCE, Ticket.buyer_silence),
        (sweeps.MISSED_SHIP_DATE, Ticket.missed_ship_date),
    ]:
        transitions = method._django_fsm.transitions
        assert spec.sources == list(transitions)
        assert {spec.target} == {t.target for t in transitions.values()}
    assert sweeps.REPLY_TIMEOUT.sources == [S.AWAITING_REPLY]
    assert sweeps.REPLY_TIMEOUT.target == S.PLATFORM_REVIEW
    assert sweeps.BUYER_SILENCE.effects == {"buyer_accepted": True}
    assert sweeps.REPLY_TIMEOUT.effects == {}


def test_a_transition_field_set_by_the_body_is_written_by_the_sweep():
    (ticket,) = [factories.replied(plan="ship_later", at=T0)]
    sweeps.sweep_buyer_silence(at=ticket.buyer_due_at)
    ticket.refresh_from_db()
    assert ticket.state == S.AGREED
    assert ticket.buyer_accepted is True
    assert ticket.buyer_responded_at is None  # deemed, not answered


# -- what is due, and only that ---------------------------------------------------------


def test_reply_timeout_takes_tickets_at_their_deadline_not_before():
    early, due = urged(), urged()
    Ticket.objects.filter(pk=early[0].pk).update(reply_due_at=T0 + DAY + dt.timedelta(minutes=1))
    deadline = due[0].reply_due_at
    assert sweeps.sweep_reply_timeouts(at=deadline - US) == 0
    assert sweeps.sweep_reply_timeouts(at=deadline) == 1  # due at the deadline instant
    assert states(early + due) == [S.AWAITING_REPLY, S.PLATFORM_REVIEW]
    complaint = Complaint.objects.get()
    assert (complaint.ticket_id, complaint.kind) == (due[0].pk, ComplaintKind.REPLY_TIMEOUT)
    assert complaint.review_due_at == deadline + dt.timedelta(hours=48)


def test_a_replied_ticket_is_not_timed_out():
    ticket = factories.replied(plan="ship_later", at=T0)
    assert sweeps.sweep_reply_timeouts(at=ticket.reply_due_at + DAY) == 0
    assert Complaint.objects.count() == 0


def test_sweeping_twice_files_nothing_twice():
    tickets = urged(3)
    at = tickets[0].reply_due_at
    assert sweeps.sweep_reply_timeouts(at=at) == 3
    assert sweeps.sweep_reply_timeouts(at=at + DAY) == 0
    assert Complaint.objects.count() == 3
    kinds = BuyerMessage.objects.filter(kind=MessageKind.COMPLAINT_FILED)
    assert kinds.count() == 3
    ticket_type = ContentType.objects.get_for_model(Ticket)
    assert (
        StateLog.objects.filter(content_type=ticket_type, transition="reply_timeout").count() == 3
    )


def test_sweeps_work_in_batches_that_each_commit(django_capture_on_commit_callbacks):
    tickets = urged(5)
    seen = []
    with django_capture_on_commit_callbacks() as callbacks:
        moved = sweeps.sweep_reply_timeouts(
            at=tickets[0].reply_due_at, batch_size=2, on_batch=seen.append
        )
    assert moved == 5
    assert seen == [2, 2, 1]
    # one delivery request per batch, after its commit
    assert len(callbacks) == 3


def test_max_batches_leaves_the_rest_for_the_next_run():
    tickets = urged(5)
    at = tickets[0].reply_due_at
    assert sweeps.sweep_reply_timeouts(at=at, batch_size=2, max_batches=1) == 2
    assert Ticket.objects.filter(state=S.AWAITING_REPLY).count() == 3
    assert sweeps.sweep_reply_timeouts(at=at, batch_size=2) == 3


def test_a_failing_batch_writes_nothing(monkeypatch):
    tickets = urged(3)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sweeps, "file_complaints", broken)
    with pytest.raises(RuntimeError):
        sweeps.sweep_reply_timeouts(at=tickets[0].reply_due_at)
    assert states(tickets) == [S.AWAITING_REPLY] * 3
    ticket_type = ContentType.objects.get_for_model(Ticket)
    assert not StateLog.objects.filter(content_type=ticket_type, transition="reply_timeout")
    assert Complaint.objects.count() == 0


def test_the_oldest_deadline_goes_first():
    first, second, third = urged(3)
    Ticket.objects.filter(pk=second.pk).update(reply_due_at=T0 + DAY - dt.timedelta(hours=2))
    Ticket.objects.filter(pk=third.pk).update(reply_due_at=T0 + DAY - dt.timedelta(hours=1))
    sweeps.sweep_reply_timeouts(at=T0 + DAY, batch_size=1, max_batches=2)
    assert states([first, second, third]) == [
        S.AWAITING_REPLY,
        S.PLATFORM_REVIEW,
        S.PLATFORM_REVIEW,
    ]


def test_buyer_silence_deems_the_plan_accepted_and_tells_the_buyer():
    ticket = factories.replied(plan="ship_later", days=4, at=T0)
    assert sweeps.sweep_buyer_silence(at=ticket.buyer_due_at - US) == 0
    assert sweeps.sweep_buyer_silence(at=ticket.buyer_due_at) == 1
    message = BuyerMessage.objects.filter(ticket=ticket).latest("pk")
    assert message.kind == MessageKind.DEEMED_ACCEPTED
    assert ticket.ship_by.isoformat() in message.text
    assert Complaint.objects.count() == 0


def test_missed_ship_date_files_a_complaint_past_the_ship_deadline():
    ticket = factories.agreed(days=2, at=T0)
    assert sweeps.sweep_missed_ship_dates(at=ticket.ship_deadline - US) == 0
    assert sweeps.sweep_missed_ship_dates(at=ticket.ship_deadline) == 1
    ticket.refresh_from_db()
    assert ticket.state == S.PLATFORM_REVIEW
    assert ticket.complaints.get().kind == ComplaintKind.MISSED_SHIP_DATE


def test_missed_ship_date_never_files_on_a_settled_order():
    ticket = factories.agreed(days=2, at=T0)
    # A settled order completes its ticket; a row left agreed must still not be filed on.
    Order.objects.filter(pk=ticket.order_id).update(shipped_at=T0 + DAY)
    assert sweeps.sweep_missed_ship_dates(at=ticket.ship_deadline + DAY) == 0
    assert Complaint.objects.count() == 0


def test_each_sweep_leaves_other_states_alone():
    waiting = urged()[0]
    buyer = factories.replied(plan="ship_later", at=T0)
    agreed = factories.agreed(days=1, at=T0)
    later = T0 + dt.timedelta(days=40)
    assert sweeps.sweep_buyer_silence(at=later) == 1
    assert sweeps.sweep_missed_ship_dates(at=later) == 2  # agreed and the one deemed accepted
    assert sweeps.sweep_reply_timeouts(at=later) == 1
    assert states([waiting, buyer, agreed]) == [S.PLATFORM_REVIEW] * 3


def test_an_idle_sweep_is_one_query_per_sweep():
    urged(3)
    with CaptureQueriesContext(connection) as queries:
        assert sweeps.sweep_reply_timeouts(at=T0) == 0
    selects = [q for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1


def test_a_batch_costs_a_fixed_number_of_statements():
    def statements(n):
        tickets = urged(n)
        with CaptureQueriesContext(connection) as queries:
            sweeps.sweep_reply_timeouts(at=tickets[0].reply_due_at + US * n)
        return len(queries.captured_queries)

    assert statements(1) == statements(20)


# -- the review target (§7) --------------------------------------------------------------


def test_open_complaints_past_review_target_are_flagged_without_changing_state(reviewer):
    tickets = urged(3)
    sweeps.sweep_reply_timeouts(at=tickets[0].reply_due_at)
    claimed, pending, decided = Complaint.objects.order_by("pk")
    complaint_services.complaint_claim(complaint_id=claimed.pk, reviewer=reviewer)
    complaint_services.complaint_claim(complaint_id=decided.pk, reviewer=reviewer)
    complaint_services.complaint_dismiss(complaint_id=decided.pk, reviewer=reviewer, note="ok")
    target = pending.review_due_at
    assert complaint_sweeps.sweep_review_overdue(at=target - US) == 0
    assert complaint_sweeps.sweep_review_overdue(at=target) == 2
    assert complaint_sweeps.sweep_review_overdue(at=target + DAY) == 0  # flagged once
    flagged = dict(Complaint.objects.values_list("pk", "review_overdue_flagged_at"))
    assert flagged == {claimed.pk: target, pending.pk: target, decided.pk: None}
    assert dict(Complaint.objects.values_list("pk", "state")) == {
        claimed.pk: "in_review",
        pending.pk: "pending",
        decided.pk: "dismissed",
    }


def test_appeals_past_their_own_target_are_flagged_by_the_same_sweep(reviewer):
    """§18: an appeal waits on the policy's `appeal_review_target` from the appeal, and the
    review-target sweep flags it as it flags complaints, in the same run."""
    tickets = urged(2)
    sweeps.sweep_reply_timeouts(at=tickets[0].reply_due_at)
    appealed, waiting = Complaint.objects.order_by("pk")
    complaint_services.complaint_claim(complaint_id=appealed.pk, reviewer=reviewer)
    complaint_services.complaint_uphold(complaint_id=appealed.pk, reviewer=reviewer, note="late")
    appealed.refresh_from_db()
    appealed_at = appealed.decided_at + DAY * 5
    complaint_services.complaint_appeal(
        complaint_id=appealed.pk,
        actor=factories.staff_of(appealed.ticket),
        note="we shipped",
        at=appealed_at,
    )
    appealed.refresh_from_db()
    target = appealed_at + dt.timedelta(hours=48)
    assert appealed.review_due_at == target
    assert appealed.review_overdue_flagged_at is None
    assert not appealed.is_past_review_target(target - US)
    assert appealed.is_past_review_target(target)
    # the complaint still waiting is flagged first, on its own target; the appeal later
    assert complaint_sweeps.sweep_review_overdue(at=target - US) == 1
    assert complaint_sweeps.sweep_review_overdue(at=target) == 1
    assert complaint_sweeps.sweep_review_overdue(at=target + DAY) == 0
    flagged = dict(Complaint.objects.values_list("pk", "review_overdue_flagged_at"))
    assert flagged == {appealed.pk: target, waiting.pk: target - US}
    assert Complaint.objects.get(pk=appealed.pk).state == "appealed"


def test_the_appeal_review_target_is_the_policy_s(reviewer):
    from tickets.models import Policy

    (ticket,) = urged(1)
    Policy.objects.filter(pk=ticket.policy_id).update(appeal_review_target=dt.timedelta(hours=6))
    sweeps.sweep_reply_timeouts(at=ticket.reply_due_at)
    complaint = Complaint.objects.get()
    # judged late: flagged past its first target
    assert complaint_sweeps.sweep_review_overdue(at=complaint.review_due_at) == 1
    complaint_services.complaint_claim(complaint_id=complaint.pk, reviewer=reviewer)
    complaint_services.complaint_uphold(complaint_id=complaint.pk, reviewer=reviewer, note="x")
    complaint.refresh_from_db()
    at = complaint.decided_at + DAY
    complaint_services.complaint_appeal(
        complaint_id=complaint.pk, actor=factories.staff_of(ticket), note="y", at=at
    )
    complaint.refresh_from_db()
    assert complaint.review_due_at == at + dt.timedelta(hours=6)
    # the appeal starts unflagged, and is flagged afresh against its own target
    assert complaint.review_overdue_flagged_at is None
    assert complaint_sweeps.sweep_review_overdue(at=at + dt.timedelta(hours=6) - US) == 0
    assert complaint_sweeps.sweep_review_overdue(at=at + dt.timedelta(hours=6)) == 1


# -- the tasks and the commands call the same services ------------------------------------


def test_tasks_run_the_sweeps():
    from complaints import tasks as complaint_tasks
    from tickets import tasks

    tickets = urged(2)
    with time_machine.travel(tickets[0].reply_due_at + dt.timedelta(days=3), tick=False):
        assert tasks.sweep_reply_timeouts() == 2
        assert tasks.sweep_buyer_silence() == 0
        assert tasks.sweep_missed_ship_dates() == 0
        assert tasks.deliver_buyer_messages() == BuyerMessage.objects.count() == 4
    with time_machine.travel(tickets[0].reply_due_at + dt.timedelta(days=6), tick=False):
        assert complaint_tasks.sweep_review_overdue() == 2


def test_the_tasks_are_registered_under_the_beat_schedule_names():
    from config.celery import BEAT_SCHEDULE, app

    app.loader.import_default_modules()
    for entry in BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks


def test_now_is_the_default_instant():
    ticket = urged()[0]
    with time_machine.travel(ticket.reply_due_at - US, tick=False):
        assert sweeps.sweep_reply_timeouts() == 0
    with time_machine.travel(ticket.reply_due_at, tick=False):
        assert sweeps.sweep_reply_timeouts() == 1
        assert Complaint.objects.get().filed_at == timezone.now()
