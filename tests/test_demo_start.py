"""A newcomer's first minutes are quiet: starting the demo with `bin/run`, as `make run` does
(migrate, beat schedule, seed on a scratch SQLite database with the filesystem broker, a worker
with beat, the web server), using each interface once (merchant pages, admin, API) and running
one sweep logs no warning and no error, neither from the project nor from the libraries it
configures (Django, Celery, kombu). A 4xx is logged once, not twice.

Everything runs in child processes under the development settings: the point is the logging
configuration of a real start, which the test settings do not have."""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-pass-123"
# A log record at WARNING or above in either format (ours: "... WARNING name msg"; Celery's:
# "[...: WARNING/MainProcess] msg"), or a Python warning printed by the warnings module.
NOISE = re.compile(r"\b(WARNING|ERROR|CRITICAL)\b|\b\w+Warning: ")
# Celery warns when its worker runs as root (CI and this machine do; a newcomer does not): the
# machine's doing, not the project's.
AS_ROOT = re.compile(r"SecurityWarning: You're running the worker with superuser privileges")


def noise(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if NOISE.search(line)]
    if os.geteuid() == 0:
        lines = [line for line in lines if not AS_ROOT.search(line)]
    return lines


@pytest.fixture
def demo_env(tmp_path):
    """The environment `make run` gives its processes: nothing configured but a VAR_DIR."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "DATABASE_TEST_NAME",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "LOG_LEVEL",
            "DEBUG",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        VAR_DIR=str(tmp_path / "var"),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env, *args, timeout=180) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, *, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class Browser:
    """urllib with cookies and Django's CSRF token: enough to log in and read pages."""

    def __init__(self, base):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path, headers=None):
        request = urllib.request.Request(self.base + path, headers=headers or {})
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.geturl(), response.read()

    def login(self, path, username, **extra):
        self.get(path)
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        data = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token, **extra}
        ).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            return response.status, response.geturl()


def token_of(seed_output: str, username: str) -> str:
    line = next(line for line in seed_output.splitlines() if line.startswith(username + " "))
    return line.split()[2]


def test_starting_the_demo_logs_no_warning(demo_env):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**demo_env, "PORT": str(port), "PYTHON": sys.executable, "DEMO_TICKETS": "40"}
    run = subprocess.Popen(
        ["bash", "bin/run"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    # Read its output as it comes (a full pipe would stall the demo).
    log = []
    reader = threading.Thread(target=lambda: log.extend(run.stdout), daemon=True)
    reader.start()
    outputs = {}
    try:
        # The worker takes the deliveries seeding enqueued, in a forked pool process.
        def delivered():
            return any("deliver_buyer_messages" in line and "succeeded" in line for line in log)

        wait_for(delivered, timeout=240, what="the worker to deliver the seeded messages")

        def serving():
            try:
                return urllib.request.urlopen(base + "/healthz", timeout=2).status == 200
            except OSError:
                return False

        wait_for(serving, timeout=60, what="the web server")

        merchant = Browser(base)
        status, url = merchant.login("/merchant/login/", "merchant1")
        assert status == 200 and url == base + "/merchant/"
        status, _url, html = merchant.get("/merchant/tickets/")
        assert status == 200 and "TB-DEMO-0001" in html.decode()

        reviewer = Browser(base)
        status, url = reviewer.login("/admin/login/", "reviewer1", next="/admin/")
        assert status == 200 and url == base + "/admin/"
        status, _url, html = reviewer.get("/admin/complaints/complaint/")
        assert status == 200
        favicon = re.search(r'<link rel="icon" href="([^"]+)"', html.decode()).group(1)
        status, _url, icon = reviewer.get(favicon)  # so browsers do not ask for /favicon.ico
        assert status == 200 and icon.startswith(b"\0\0\1\0")  # an ICO file

        api = Browser(base)
        status, _url, body = api.get("/api/v1/")
        assert status == 200 and json.loads(body)["docs"] == base + "/api/docs/"
        auth = {"Authorization": f"Token {token_of(''.join(log), 'merchant1')}"}
        status, _url, body = api.get("/api/v1/tickets/", headers=auth)
        assert status == 200 and json.loads(body)["count"] > 0
        assert api.get("/api/docs/")[0] == 200

        outputs["sweep"] = manage(demo_env, "sweep", "--once").stderr

        # Last, a 404: Django logs it once (django.request), not a second time on its own.
        with pytest.raises(urllib.error.HTTPError) as missing:
            api.get("/api/v1/no-such-resource/")
        assert missing.value.code == 404
        time.sleep(1)  # its log line
    finally:
        run.send_signal(signal.SIGTERM)  # as Ctrl-C would: bin/run stops everything
        try:
            run.wait(timeout=90)
        finally:
            if run.poll() is None:
                run.kill()
            reader.join(timeout=10)
    outputs["bin/run"] = "".join(log)

    run_noise = noise(outputs["bin/run"])
    not_found = [line for line in run_noise if "/api/v1/no-such-resource/" in line]
    assert len(not_found) == 1, outputs["bin/run"]
    assert "WARNING django.request Not Found" in not_found[0]
    outputs["bin/run"] = outputs["bin/run"].replace(not_found[0], "")
    assert {name: noise(text) for name, text in outputs.items()} == dict.fromkeys(outputs, [])
