"""A loopback HTTP stand-in for an Elasticsearch server (none can run on the test machines).

The official ``elasticsearch`` client talks real HTTP to it: every request is recorded (method,
path, query parameters, JSON or NDJSON body) and answered with the next queued response,
written by hand in the shape the Elasticsearch REST reference documents. An unexpected request
(nothing queued) gets a 500 and is recorded, so a test sees it. Only the server is replaced:
the client, its serialisation and our adapter are the real ones.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class ReplayServer:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._answers: list[tuple[int, Any]] = []
        self._lock = threading.Lock()
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                kind = self.headers.get("Content-Type") or ""
                body: Any = None
                if raw and "ndjson" in kind:
                    body = [json.loads(line) for line in raw.decode().splitlines() if line.strip()]
                elif raw:
                    body = json.loads(raw)
                url = urlsplit(self.path)
                with replay._lock:
                    replay.requests.append(
                        Request(self.command, url.path, dict(parse_qsl(url.query)), body, dict(self.headers))
                    )
                    status, answer = (
                        replay._answers.pop(0) if replay._answers else (500, {"error": "nothing queued"})
                    )
                data = b"" if answer is None or self.command == "HEAD" else json.dumps(answer).encode()
                self.send_response(status)
                # The client refuses a server that does not say it is Elasticsearch.
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if data:
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, body: Any = None, status: int = 200) -> None:
        """Queue the response of the next request ({} when ``body`` is None, except for HEAD)."""
        with self._lock:
            self._answers.append((status, {} if body is None else body))

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
