"""A tiny OTLP/HTTP receiver for the fleet section: it accepts every export and keeps only counts.

    python benchmarks/otlp_sink.py PORT

POST /v1/traces, /v1/metrics (and /v1/logs) answer 200 with an empty body, which is a valid empty
Export*ServiceResponse in protobuf and in JSON; the bytes received are counted per path. GET /stats
answers those counts as JSON, so the report can say that telemetry was actually exported. Its own
process, so that receiving exports costs neither the measured server nor the load generator's loop.
Standard library only: it must start wherever the harness runs.
"""

from __future__ import annotations

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCEPTED = ("/v1/traces", "/v1/metrics", "/v1/logs")
_lock = threading.Lock()
_received: dict[str, dict[str, int]] = {}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path not in ACCEPTED:
            self._answer(404, b"")
            return
        with _lock:
            counts = _received.setdefault(self.path, {"requests": 0, "bytes": 0})
            counts["requests"] += 1
            counts["bytes"] += len(body)
        self._answer(200, b"", self.headers.get("content-type") or "application/x-protobuf")

    def do_GET(self) -> None:
        if self.path != "/stats":
            self._answer(404, b"")
            return
        with _lock:
            body = json.dumps(_received).encode()
        self._answer(200, body, "application/json")

    def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Silent: one line per export would only fill the log."""


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
