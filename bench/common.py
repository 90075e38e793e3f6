"""What the HTTP benchmarks share: a free loopback port, gunicorn serving the project with the
production settings, one request at a time over plain http.client, and the RESULT line."""

import http.client
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def run_json(script: str, args, env: dict) -> dict:
    """Run `script` (a benchmark's own file) with `args` as a child process in `env` and
    return the JSON object its last line of output prints."""
    out = subprocess.run(
        [sys.executable, script, *map(str, args)],
        env=env,
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, workers: int, env: dict, app: str = "config.wsgi:application"):
    """gunicorn serving `app` on HOST:port; returns once /healthz answers 200 (30 s at most)."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            app,
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited early")
        try:
            if request(port, "GET", "/healthz")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise SystemExit("gunicorn did not answer /healthz within 30 s")


def stop_server(server: subprocess.Popen):
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()


def request(port, method, path, body=None, headers=None, *, form=False):
    """(status, body, response headers as a list of pairs). A dict body goes as JSON, or as a
    form with form=True. Sent as behind a TLS proxy (X-Forwarded-Proto: https)."""
    from urllib.parse import urlencode

    conn = http.client.HTTPConnection(HOST, port, timeout=120)
    try:
        all_headers = {"X-Forwarded-Proto": "https", **(headers or {})}
        if body is not None:
            if form:
                body = urlencode(body).encode()
                all_headers["Content-Type"] = "application/x-www-form-urlencoded"
            else:
                body = json.dumps(body).encode()
                all_headers["Content-Type"] = "application/json"
        conn.request(method, path, body=body, headers=all_headers)
        response = conn.getresponse()
        return response.status, response.read(), response.getheaders()
    finally:
        conn.close()


def result(name, value, target, ok, unit=""):
    print(f"RESULT {name}={value}{unit} target={target}{unit} {'ok' if ok else 'short'}")
