"""The console's workers card (§16): the console answers without waiting for a ping (a ping
waits up to OPERATIONS_WORKER_PING_TIMEOUT for every answer); its script asks the workers
afterwards from `console/workers/`, and `?workers=now` asks them on the page itself."""

import pytest

from operations import console

from .test_console import CONSOLE

pytestmark = pytest.mark.django_db

WORKERS = "/admin/operations/console/workers/"


@pytest.fixture
def pings(monkeypatch):
    """The workers' answers (names), counting the pings."""
    asked = []

    class Inspect:
        def ping(self):
            asked.append(1)
            return {"celery@b": {"ok": "pong"}, "celery@a": {"ok": "pong"}}

    monkeypatch.setattr(console.app.control, "inspect", lambda timeout: Inspect())
    return asked


def test_the_console_answers_without_pinging_and_its_script_asks(ops_client, pings):
    page = ops_client.get(CONSOLE).content.decode()
    assert pings == []
    assert f'data-ask="{WORKERS}"' in page and "Asking the workers…" in page
    assert "operations/console.js" in page
    card = ops_client.get(WORKERS)
    assert card.status_code == 200 and pings == [1]
    html = card.content.decode()
    assert 'id="ops-workers"' in html and "data-ask" not in html
    assert "celery@a, celery@b" in html and '<span class="ops-big">2</span>' in html


def test_without_a_script_the_page_asks_on_request(ops_client, pings):
    page = ops_client.get(CONSOLE, {"workers": "now"}).content.decode()
    assert pings == [1]
    assert "celery@a, celery@b" in page and "data-ask" not in page


def test_a_broker_that_cannot_be_asked_is_said(ops_client, monkeypatch):
    def down(timeout):
        raise OSError("connection refused")

    monkeypatch.setattr(console.app.control, "inspect", down)
    assert "the broker could not be asked" in ops_client.get(WORKERS).content.decode()


def test_only_who_sees_the_console_asks_the_workers(client, reviewer_client, pings):
    assert reviewer_client.get(WORKERS).status_code == 403
    client.logout()
    response = client.get(WORKERS)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert pings == []


def test_the_admin_index_sends_to_the_console(ops_client, pings):
    page = ops_client.get("/admin/").content.decode()
    assert "Ask them on the console" in page and "data-ask" not in page and pings == []
