"""The alert rules that ship with the project (deploy/prometheus/alerts.yml, §16): unit-tested
with `promtool test rules`, written against the series /metrics really serves, and evaluated by
a real Prometheus scraping a live server."""

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

from operations import selectors

from .conftest import make_dead, parse

ROOT = Path(__file__).resolve().parent.parent.parent
RULES = ROOT / "deploy" / "prometheus" / "alerts.yml"
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")


def rules() -> dict:
    (group,) = yaml.safe_load(RULES.read_text())["groups"]
    return {rule["alert"]: rule for rule in group["rules"]}


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed (Debian: prometheus)")
def test_the_rules_pass_their_promtool_unit_tests():
    result = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts_test.yml"],
        cwd=RULES.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_every_alert_of_the_spec_is_there_with_its_runbook():
    alerts = rules()
    assert {
        "UrgeSweepLagging",
        "UrgeBeatHeartbeatStale",
        "UrgeOutboxBacklog",
        "UrgeDeadDeliveries",
        "UrgeReviewBacklog",
    } <= set(alerts)
    runbook = (ROOT / "docs" / "operations.md").read_text()
    for name, rule in alerts.items():
        anchor = rule["annotations"]["runbook"].split("#")[1]
        assert anchor == name.lower()
        assert f"### {name}" in runbook, f"docs/operations.md has no section for {name}"


def test_the_thresholds_are_the_consoles():
    alerts = rules()
    late = int(selectors.LATE_AFTER.total_seconds())
    assert alerts["UrgeSweepLagging"]["expr"] == f"urge_sweep_lag_seconds > {late}"
    stale = int(selectors.BEAT_STALE_AFTER.total_seconds())
    assert alerts["UrgeBeatHeartbeatStale"]["expr"].endswith(f"> {stale}")


@pytest.mark.django_db
def test_the_rules_use_only_series_that_metrics_serves(client):
    served = {name for name, _ in parse(client.get("/metrics").content.decode())}
    used = set(re.findall(r"\burge_[a-z_]+", RULES.read_text()))
    assert used and used <= served, used - served


# -- a real Prometheus, scraping a live server ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.loads(response.read())


def wait_for(what: str, check, *, timeout: float = 60, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:  # not listening yet
            value = None
        if value:
            return value
        time.sleep(0.5)
    tail = log.read_text()[-3000:] if log and log.exists() else ""
    raise AssertionError(f"timed out waiting for {what}\n{tail}")


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus is not installed (Debian: prometheus)")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_prometheus_scrapes_a_live_server_and_evaluates_the_rules(live_server, settings, tmp_path):
    make_dead(settings=settings)  # one dead delivery; and beat has never beaten
    target = urllib.parse.urlsplit(live_server.url).netloc
    config = tmp_path / "prometheus.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                "rule_files": [str(RULES)],
                "scrape_configs": [{"job_name": "urge", "static_configs": [{"targets": [target]}]}],
            }
        )
    )
    port = free_port()
    api = f"http://127.0.0.1:{port}/api/v1"
    log = tmp_path / "prometheus.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [
                PROMETHEUS,
                f"--config.file={config}",
                f"--storage.tsdb.path={tmp_path / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:

        def query(expr):
            answer = get_json(f"{api}/query?query={urllib.parse.quote(expr)}")
            return answer["data"]["result"]

        # scraped: the server is up and its dead delivery is a sample
        wait_for("a scrape", lambda: query('up{job="urge"} == 1'), log=log)
        (dead,) = wait_for(
            "the dead count", lambda: query('urge_outbox_dead{outbox="buyer_messages"}'), log=log
        )
        assert dead["metric"]["outbox"] == "buyer_messages" and dead["value"][1] == "1"
        (lag,) = query('urge_sweep_lag_seconds{sweep="reply_timeouts"}')
        assert float(lag["value"][1]) > 0  # the dead message's ticket is past its reply deadline

        def evaluated():
            groups = get_json(f"{api}/rules")["data"]["groups"]
            rules = [rule for group in groups for rule in group["rules"]]
            done = all(r["health"] == "ok" and r["lastEvaluation"] > "2000" for r in rules)
            return rules if rules and done else None

        rules_seen = {rule["name"]: rule for rule in wait_for("rule evaluation", evaluated)}
        assert set(rules_seen) == set(rules())

        def firing():
            alerts = get_json(f"{api}/alerts")["data"]["alerts"]
            names = {a["labels"]["alertname"] for a in alerts if a["state"] == "firing"}
            return names if {"UrgeDeadDeliveries", "UrgeBeatHeartbeatStale"} <= names else None

        names = wait_for("the alerts to fire", firing, log=log)
        assert "UrgeOutboxBacklog" not in names  # nothing is pending: only the dead one
    finally:
        server.terminate()  # stopped by its PID
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
