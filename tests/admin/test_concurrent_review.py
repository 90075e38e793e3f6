"""Two reviewers deciding the same complaint at once (docs/quality.md, reliability): one
decision stands, the other is refused; real threads on PostgreSQL, through the admin."""

import threading

import pytest
from django.db import connection
from django.test import Client

from complaints.models import Complaint, Liability
from tests import factories

from .conftest import staff
from .helpers import appealed, decide_url, pending, texts

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
ROUNDS = 5


def at_once(*calls):
    """Run each (client, data, url) POST in its own thread, released together."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, client, url, data):
        try:
            barrier.wait()
            response = client.post(url, data)
            results[i] = (response.status_code, texts(response))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, *call)) for i, call in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_reviewers(seeded):
    a = staff(factories.UserFactory(username="reviewer-a", groups=["reviewers"]))
    b = staff(factories.UserFactory(username="reviewer-b", groups=["reviewers"]))
    return a, b


def test_two_reviewers_take_and_decide_the_same_complaint(two_reviewers):
    a, b = two_reviewers
    for _ in range(ROUNDS):
        complaint = pending()
        url = decide_url(complaint)
        clients = (logged_in(a), logged_in(b))
        claims = at_once(*[(c, url, {"decision": "claim"}) for c in clients])
        holder = Complaint.objects.get(pk=complaint.pk).assignee
        assert holder in (a, b)
        refused = [msgs for _, msgs in claims if any("claimed by" in m for m in msgs)]
        assert len(refused) == 1, claims
        decisions = at_once(
            (clients[0], url, {"decision": "uphold", "note": "late", "confirmed": "on"}),
            (clients[1], url, {"decision": "dismiss", "note": "fine", "confirmed": "on"}),
        )
        complaint.refresh_from_db()
        expected = "upheld" if holder == a else "dismissed"
        assert complaint.state == expected and complaint.decided_by == holder
        assert Liability.objects.filter(complaint=complaint).count() == (
            1 if expected == "upheld" else 0
        )
        loser = decisions[1] if holder == a else decisions[0]
        assert any("claimed by" in m or "already" in m for m in loser[1]), decisions


def test_one_holder_deciding_twice_in_two_tabs_decides_once(two_reviewers):
    a, _ = two_reviewers
    for _ in range(ROUNDS):
        complaint = pending()
        url = decide_url(complaint)
        tab1, tab2 = logged_in(a), logged_in(a)
        tab1.post(url, {"decision": "claim"})
        results = at_once(
            (tab1, url, {"decision": "uphold", "note": "late", "confirmed": "on"}),
            (tab2, url, {"decision": "dismiss", "note": "fine", "confirmed": "on"}),
        )
        complaint.refresh_from_db()
        assert complaint.state in ("upheld", "dismissed")
        assert Liability.objects.filter(complaint=complaint).count() == (
            1 if complaint.state == "upheld" else 0
        )
        refused = [msgs for _, msgs in results if any("already" in m for m in msgs)]
        assert len(refused) == 1, results


def test_two_reviewers_decide_the_same_appeal(two_reviewers):
    a, b = two_reviewers
    for _ in range(ROUNDS):
        complaint = appealed(a)
        url = decide_url(complaint)
        results = at_once(
            (
                logged_in(a),
                url,
                {"decision": "grant_appeal", "note": "proof ok", "confirmed": "on"},
            ),
            (logged_in(b), url, {"decision": "deny_appeal", "note": "no proof", "confirmed": "on"}),
        )
        complaint.refresh_from_db()
        assert complaint.state in ("overturned", "upheld_final")
        liability = Liability.objects.get(complaint=complaint)
        assert (liability.reversed_at is not None) == (complaint.state == "overturned")
        refused = [m for _, msgs in results for m in msgs if "Only an appealed complaint" in m]
        assert len(refused) == 1, results
