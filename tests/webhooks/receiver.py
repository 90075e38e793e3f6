"""A real local HTTP receiver for webhook tests: a thread serving on 127.0.0.1. Each POST takes
the next planned answer (status, delay, body); when the plan is used up it answers `status`."""

import hashlib
import hmac
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, status: int = 200):
        self.received, self.status, self.plan = [], status, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, delay, reply = (
                    outer.plan.pop(0) if outer.plan else (outer.status, 0.0, b"ok")
                )
                outer.received.append((dict(self.headers), body))
                time.sleep(delay)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                except OSError:  # the caller gave up (a timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/events"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def types(self) -> list[str]:
        return [headers["X-Urge-Event-Type"] for headers, _ in self.received]


def verifies(headers: dict, body: bytes, secret: str) -> bool:
    """What a receiver does (docs/webhooks.md): HMAC-SHA256 of "<timestamp>.<body>"."""
    signed = f"{headers['X-Urge-Timestamp']}.".encode() + body
    expected = "v1=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Urge-Signature"])
