"""`bin/run` (what `make run` starts): the embedded demo supervises its Celery worker, so a
worker that dies is started again, and a TERM stops everything and exits 0, leaving nothing
behind. Run on the embedded default (SQLite and the filesystem broker in a scratch VAR_DIR),
exactly as a newcomer runs it."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(*needles) -> dict[int, str]:
    """pid -> command line of every process whose command line names one of `needles`."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if any(str(needle) in cmdline for needle in needles):
            found[int(entry.name)] = cmdline
    return found


def worker_main(var_dir: Path) -> int | None:
    """The pid of the Celery worker's main process (the one whose parent is not a worker)."""
    workers = {pid: cmd for pid, cmd in processes_of(var_dir).items() if "celery" in cmd}
    for pid in workers:
        stat = Path(f"/proc/{pid}/stat").read_text()
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent not in workers:
            return pid
    return None


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_the_demo_restarts_a_dead_worker_and_stops_cleanly(tmp_path):
    var_dir = tmp_path / "var"
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    port = free_port()
    env.update(VAR_DIR=str(var_dir), PORT=str(port), PYTHON=sys.executable, DEMO_TICKETS="10")
    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(
        ["bash", "bin/run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        first = wait_for(lambda: worker_main(var_dir), 240, "the worker to start")
        os.kill(first, signal.SIGKILL)
        second = wait_for(
            lambda: (pid := worker_main(var_dir)) and pid != first and pid,
            60,
            "the supervisor to start the worker again",
        )
        assert second != first
        assert run.poll() is None, "bin/run kept running"

        run.send_signal(signal.SIGTERM)
        assert run.wait(timeout=90) == 0
        wait_for(
            lambda: not processes_of(var_dir, f"127.0.0.1:{port}"),
            30,
            "every process of the demo (web server, worker, beat) to end",
        )
    finally:
        if run.poll() is None:
            run.kill()
        for pid in processes_of(var_dir, f"127.0.0.1:{port}"):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()
    text = (tmp_path / "run.log").read_text()
    assert "the Celery worker exited with status" in text
