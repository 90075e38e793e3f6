"""The rollups under concurrent sweeps on PostgreSQL: four processes sweeping the due tickets
of two shops, every batch holding tickets of both (their deadlines interleave), upsert the same
rollup rows at once; the statement triggers lock them in key order (shop, then day), so no
sweep deadlocks, and the counts equal the live ones."""

import datetime as dt

import pytest
from django.db.models import Count, Sum

from complaints.models import OPEN_STATES, Complaint
from tests.concurrency.bulk import due_tickets
from tests.concurrency.test_sweep_processes import sweep_process
from tickets.models import ShopDay, ShopOpenComplaints

DUE = dt.datetime(2026, 3, 3, 10, 0, tzinfo=dt.UTC)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_four_processes_sweeping_two_shops_keep_the_rollups_without_deadlock(tmp_path):
    ids = due_tickets(2000, due_at=DUE, prefix="A") + due_tickets(2000, due_at=DUE, prefix="B")
    processes = [sweep_process("--batch", "100", var_dir=tmp_path) for _ in range(4)]
    outputs = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err and "deadlock" not in err.lower(), err
    assert Complaint.objects.filter(ticket__in=ids).count() == 4000
    live = dict(
        Complaint.objects.filter(state__in=OPEN_STATES)
        .values_list("ticket__shop_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    assert sorted(live.values()) == [2000, 2000]
    assert dict(ShopOpenComplaints.objects.values_list("shop_id", "open")) == live
    filed = ShopDay.objects.values_list("shop_id").annotate(n=Sum("complaints")).order_by()
    assert dict(filed) == live
