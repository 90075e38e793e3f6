"""`/healthz` (liveness) and `/readyz` (database, broker, beat heartbeat), §16: each part failing
on its own answers 503 naming it; /healthz is never redirected, production settings included."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
import time_machine

from config.celery import app
from operations import services

from .conftest import T0

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def beating():
    """Beat's heartbeat, written at T0; the tests read at T0 + 1 minute."""
    services.record_heartbeat(host="celery@worker-1", at=T0)
    with time_machine.travel(T0 + dt.timedelta(minutes=1), tick=False):
        yield


@pytest.fixture
def broker_down(monkeypatch):
    """The broker's address points where nothing listens."""
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:9/0")


def test_healthz_answers_200_while_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_without_the_database(client):
    with mock.patch("operations.health.connection.cursor", side_effect=OSError("down")):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["database"] == "unreachable"


def test_readyz_is_200_when_database_broker_and_beat_are_well(client, beating):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "beat": "ok"}


def test_readyz_names_the_database_when_it_fails(client, beating):
    with mock.patch("operations.health.connection.cursor", side_effect=OSError("down")):
        response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["failed"] == ["database", "beat"]  # beat cannot be known without the database
    assert (body["database"], body["broker"]) == ("unreachable", "ok")


def test_readyz_names_the_broker_when_it_fails(client, beating, broker_down):
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body == {
        "database": "ok",
        "broker": "unreachable",
        "beat": "ok",
        "failed": ["broker"],
    }


def test_readyz_names_beat_when_its_heartbeat_is_older_than_3_minutes(client):
    services.record_heartbeat(at=T0)
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        assert client.get("/readyz").status_code == 200  # exactly 3 minutes: still fresh
    with time_machine.travel(T0 + dt.timedelta(minutes=3, seconds=1), tick=False):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["beat"] == "stale" and response.json()["failed"] == ["beat"]


def test_readyz_names_beat_before_its_first_heartbeat(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["beat"]


def test_the_heartbeat_task_is_in_the_beat_schedule_every_minute():
    from config.celery import BEAT_SCHEDULE

    (entry,) = [e for e in BEAT_SCHEDULE.values() if e["task"].endswith("beat_heartbeat")]
    assert entry["schedule"] == 60
    app.loader.import_default_modules()  # as a worker starts: the apps' tasks autodiscovered
    assert entry["task"] in app.tasks


PROBE = """
import django
django.setup()
from django.test import Client
client = Client()
for path in ("/healthz", "/readyz", "/metrics", "/admin/login/"):
    response = client.get(path)
    print(path, response.status_code, response.get("Location", ""))
"""


def test_probes_are_not_redirected_to_https_under_production_settings(tmp_path):
    """The production module as deployed (SECURE_SSL_REDIRECT on), over plain HTTP."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")},
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "a-production-like-secret-key-for-this-test-only-0123456789",
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "VAR_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "LOG_LEVEL": "CRITICAL",
    }
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answers = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()}
    assert answers["/healthz"] == ["200"]  # the empty database answers: alive
    assert answers["/readyz"][0] == "503"  # answered (no heartbeat there), not redirected
    assert answers["/metrics"][0] != "301"
    assert answers["/admin/login/"] == ["301", "https://testserver/admin/login/"]
