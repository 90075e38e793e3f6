"""§16: the buyer messages' changelist offers `redeliver_dead` (the console's redelivery, by
selection) to operations, and to nobody else."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from tests import factories

from .conftest import make_dead

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:tickets_buyermessage_changelist"


def actions(response) -> list[str]:
    assert response.status_code == 200
    form = response.context["action_form"]  # None when the reader may take no action
    return [name for name, _ in form.fields["action"].choices if name] if form else []


def test_operations_redeliver_the_selected_dead_messages_from_the_changelist(ops_client, settings):
    first, second = make_dead(2, settings=settings)
    page = ops_client.get(reverse(CHANGELIST))
    assert "redeliver_dead" in actions(page)
    response = ops_client.post(
        reverse(CHANGELIST),
        {"action": "redeliver_dead", "_selected_action": [first.pk]},
        follow=True,
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "1 dead delivery will be sent again."
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.dead_at is None and first.delivery_status == "failed"  # due again
    assert second.dead_at is not None  # not selected: left as it is


def test_a_delivered_message_selected_is_left_alone(ops_client, settings):
    make_dead(1, settings=settings)
    alive = factories.urged().messages.get()  # waiting for its first delivery
    response = ops_client.post(
        reverse(CHANGELIST),
        {"action": "redeliver_dead", "_selected_action": [alive.pk]},
        follow=True,
    )
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "0 dead deliveries will be sent again."
    ]
    alive.refresh_from_db()
    assert alive.delivery_status == "pending" and alive.attempts == 0


def test_reviewers_are_not_offered_it_and_cannot_post_it(reviewer_client, settings):
    (dead,) = make_dead(1, settings=settings)
    assert "redeliver_dead" not in actions(reviewer_client.get(reverse(CHANGELIST)))
    reviewer_client.post(
        reverse(CHANGELIST), {"action": "redeliver_dead", "_selected_action": [dead.pk]}
    )
    dead.refresh_from_db()
    assert dead.dead_at is not None
