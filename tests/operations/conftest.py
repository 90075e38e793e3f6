import datetime as dt

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import factories

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


def staff(user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    return user


@pytest.fixture
def ops(db):
    """A member of the operations group, whose permissions the migrations grant (as ops1)."""
    return staff(factories.UserFactory(username="ops-a", groups=["operations"]))


@pytest.fixture
def ops_client(client, ops):
    client.force_login(ops)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(staff(reviewer))
    return client


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    settings.OPERATIONS_WORKER_PING_TIMEOUT = 0.05


def parse(text: str) -> dict:
    """The samples of a Prometheus text exposition: {(name, ((label, value), ...)): value}."""
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def scrape(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    return parse(response.content.decode())


def make_dead(n: int = 1, *, settings) -> list:
    """`n` buyer messages that failed for 24 hours (a receiver that refuses connections)."""
    import time_machine

    from tickets import delivery
    from tickets.models import BuyerMessage
    from tickets.outbox import BUYER_MESSAGES

    settings.BUYER_MESSAGE_WEBHOOK_URL = "http://127.0.0.1:9/"
    tickets = [factories.urged(at=T0) for _ in range(n)]
    with time_machine.travel(T0, tick=False):
        delivery.deliver_due(BUYER_MESSAGES)
    with time_machine.travel(T0 + delivery.HORIZON, tick=False):
        delivery.deliver_due(BUYER_MESSAGES)
    dead = list(BuyerMessage.objects.filter(ticket__in=tickets, dead_at__isnull=False))
    assert len(dead) == n
    settings.BUYER_MESSAGE_WEBHOOK_URL = ""
    return dead
