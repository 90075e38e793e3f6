"""§4: each ticket service acts only from the source states of its transition; from every other
state it is refused (InvalidTransition) and leaves nothing behind: no state change, no audit
row, no message, no complaint, no compensation, no evidence."""

import datetime as dt

import pytest
from django.utils import timezone

from tests import factories as f
from tickets import services
from tickets.exceptions import InvalidTransition
from tickets.models import platform_today

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(days=400)  # past every deadline, so that only the state can refuse


def _reply(ticket):
    services.ticket_reply(
        ticket_id=ticket.pk,
        actor=f.staff_of(ticket),
        plan="ship_later",
        reason="stock_shortage",
        ship_by=platform_today(timezone.now()) + dt.timedelta(days=3),
    )


def _respond(accept):
    def call(ticket):
        services.ticket_buyer_respond(ticket_id=ticket.pk, buyer=ticket.buyer, accept=accept)

    return call


def _second(plan):
    def call(ticket):
        services.ticket_second_handling(
            ticket_id=ticket.pk,
            actor=f.staff_of(ticket),
            plan=plan,
            note="the buyer asked us to hold it" if plan == "buyer_fault" else "",
            evidence=[f.upload()] if plan == "buyer_fault" else [],
        )

    return call


def _sweep(service):
    def call(ticket):
        service(ticket_id=ticket.pk, at=timezone.now() + LATER)

    return call


# service name → (call, source states of its transition in §4)
SERVICES = {
    "reply": (_reply, {"awaiting_reply"}),
    "accept": (_respond(True), {"awaiting_buyer"}),
    "reject": (_respond(False), {"awaiting_buyer"}),
    "compensate": (_second("compensate"), {"awaiting_buyer", "agreed"}),
    "claim_buyer_fault": (_second("buyer_fault"), {"awaiting_buyer", "agreed"}),
    "reply_timeout": (_sweep(services.ticket_reply_timeout), {"awaiting_reply"}),
    "buyer_silence": (_sweep(services.ticket_buyer_silence), {"awaiting_buyer"}),
    "missed_ship_date": (_sweep(services.ticket_missed_ship_date), {"agreed"}),
}

FORBIDDEN = [
    (name, state)
    for name, (_call, sources) in SERVICES.items()
    for state in f.TICKET_STATES
    if state not in sources
]
ALLOWED = [
    (name, state)
    for name, (_call, sources) in SERVICES.items()
    for state in f.TICKET_STATES
    if state in sources
]


@pytest.mark.parametrize(("service", "state"), FORBIDDEN)
def test_service_from_a_state_outside_its_sources_is_refused_and_changes_nothing(service, state):
    ticket = f.ticket_in(state)
    before = f.footprint(ticket)
    call, _sources = SERVICES[service]
    with pytest.raises(InvalidTransition) as error:
        call(ticket)
    assert error.value.code == "invalid_transition"
    assert f.footprint(ticket) == before


@pytest.mark.parametrize(("service", "state"), ALLOWED)
def test_service_from_each_of_its_source_states_acts(service, state):
    ticket = f.ticket_in(state)
    before = f.footprint(ticket)
    call, _sources = SERVICES[service]
    call(ticket)
    after = f.footprint(ticket)
    assert after["state"] != state
    assert after["audit"] > before["audit"]


def test_ticket_in_reaches_every_state():
    # The matrix above is only as good as the helper that builds its tickets.
    assert [f.ticket_in(state).state for state in f.TICKET_STATES] == list(f.TICKET_STATES)
