"""Sweeps in real processes on PostgreSQL (docs/quality.md, reliability): four processes on the
same due tickets file each complaint once; a sweeping process killed with SIGKILL leaves no
half-applied batch, and the next run finishes the rest."""

import datetime as dt
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count
from django_fsm_log.models import StateLog

from complaints.models import Complaint
from tests.concurrency.bulk import due_tickets, process_env
from tickets.models import BuyerMessage, MessageKind, Ticket, TicketState

ROOT = Path(__file__).resolve().parents[2]
DUE = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def sweep_process(*args, var_dir) -> subprocess.Popen:
    """`manage.py sweep --once` against the test database (every ticket here is long past its
    deadline, so the real clock will do)."""
    env = process_env(var_dir, CELERY_BROKER_URL="memory://localhost/")
    return subprocess.Popen(
        [sys.executable, "manage.py", "sweep", "--once", "--only", "reply_timeouts", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_other_sessions_to_end(timeout=30):
    """PostgreSQL ends a killed client's session (rolling back its open batch) when it notices
    the closed socket; wait for that rather than race it."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state <> 'idle'"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("the killed sweep's session is still open")


def assert_consistent(ids):
    """Every ticket either untouched or fully timed out: one complaint, one audit row of the
    transition, one of the filing, one message, each; nothing else anywhere."""
    ticket_type = ContentType.objects.get_for_model(Ticket)
    complaint_type = ContentType.objects.get_for_model(Complaint)
    swept = set(
        Ticket.objects.filter(pk__in=ids, state=TicketState.PLATFORM_REVIEW).values_list(
            "pk", flat=True
        )
    )
    waiting = Ticket.objects.filter(pk__in=ids, state=TicketState.AWAITING_REPLY).count()
    assert len(swept) + waiting == len(ids)
    complaints = Complaint.objects.filter(ticket__in=ids)
    assert set(complaints.values_list("ticket_id", flat=True)) == swept
    assert complaints.count() == len(swept)
    transition_logs = StateLog.objects.filter(
        content_type=ticket_type, object_id__in=ids, transition="reply_timeout"
    )
    assert set(transition_logs.values_list("object_id", flat=True)) == swept
    assert transition_logs.count() == len(swept)
    filing_logs = StateLog.objects.filter(content_type=complaint_type, transition="file")
    assert filing_logs.count() == len(swept)
    assert filing_logs.values("object_id").distinct().count() == len(swept)
    messages = BuyerMessage.objects.filter(ticket__in=ids, kind=MessageKind.COMPLAINT_FILED)
    assert set(messages.values_list("ticket_id", flat=True)) == swept
    assert not messages.values("ticket_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    return len(swept)


def test_four_processes_sweeping_the_same_tickets_file_each_complaint_once(tmp_path):
    ids = due_tickets(10_000, due_at=DUE)
    processes = [sweep_process("--batch", "250", var_dir=tmp_path) for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err
    assert assert_consistent(ids) == 10_000
    assert Complaint.objects.count() == 10_000
    # How the work was shared (each process prints its own count).
    print([out.strip().splitlines()[-1] for out, _ in outputs])


def test_a_sweep_killed_mid_run_leaves_whole_batches_and_the_next_run_finishes(tmp_path):
    batch, total = 250, 10_000
    ids = due_tickets(total, due_at=DUE)
    process = sweep_process("--batch", str(batch), var_dir=tmp_path)
    try:
        deadline = time.monotonic() + 120
        while Complaint.objects.count() < 2 * batch:  # a couple of batches have committed
            assert process.poll() is None, "the sweep finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    wait_for_other_sessions_to_end()
    swept = assert_consistent(ids)
    assert 0 < swept < total, "killed in the middle"
    assert swept % batch == 0, "only whole batches"
    # The killed transaction's locks are gone with its connection: the next run takes the rest.
    rerun = sweep_process("--batch", str(batch), var_dir=tmp_path)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert assert_consistent(ids) == total
