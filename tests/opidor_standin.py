"""A stand-in for DMP OPIDoR's API v1 (a real HTTP server on loopback), for tests.

Not a mock of our code: it answers the endpoints Alluvium calls the way DMP OPIDoR's
controllers do (``app/controllers/api/v1/authentication_controller.rb`` and
``madmp/plans_controller.rb`` in OPIDoR/DMPOPIDoR):

- ``POST /api/v1/authenticate`` ``{"grant_type": "client_credentials", "client_id",
  "client_secret"}`` → 200 ``{"access_token", "token_type": "Bearer", "expires_in"}`` or 401;
- ``GET /api/v1/madmp/plans/{id}?export_format=rda`` (Bearer token) → the stored maDMP
  document, or 404 ``{"errors": ["Plan not found"]}``; without ``export_format=rda`` it answers
  DMP OPIDoR's own (non-maDMP) format, a ``{"meta": …, "project": …}`` object;
- ``POST /api/v1/madmp/plans/import?import_format=rda`` with ``{"data": <maDMP>}`` → 201
  ``{"status": 201, "message": "Plan imported successfully", "data": {"id": <new id>}}``: each
  import is a new plan (DMP OPIDoR has no update in place); a body without ``data.dmp`` is
  400 ``{"message": "An error has occured: ..."}``.

``StandIn.plans`` holds the plans (id → document); ``StandIn.imports`` every body imported.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


class StandIn:
    def __init__(self, client_id: str = "alluvium", client_secret: str = "s3cret") -> None:
        self.client_id, self.client_secret = client_id, client_secret
        self.plans: dict[str, Any] = {}
        self.imports: list[dict[str, Any]] = []
        self.tokens: set[str] = set()
        self.next_id = 30000
        self.lock = threading.Lock()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null")

            def _authorised(self) -> bool:
                auth = self.headers.get("Authorization", "")
                return auth.startswith("Bearer ") and auth[7:] in standin.tokens

            def do_POST(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                if url.path == "/api/v1/authenticate":
                    body = self._body()
                    if (
                        isinstance(body, dict)
                        and body.get("grant_type") == "client_credentials"
                        and body.get("client_id") == standin.client_id
                        and body.get("client_secret") == standin.client_secret
                    ):
                        token = secrets.token_hex(16)
                        standin.tokens.add(token)
                        return self._send(
                            200, {"access_token": token, "token_type": "Bearer", "expires_in": 86400}
                        )
                    return self._send(401, {"errors": ["Invalid grant type or credentials"]})
                if url.path == "/api/v1/madmp/plans/import":
                    if not self._authorised():
                        return self._send(401, {"errors": ["Unauthorized"]})
                    query = parse_qs(url.query)
                    body = self._body()
                    data = body.get("data") if isinstance(body, dict) else None
                    if (
                        query.get("import_format") != ["rda"]
                        or not isinstance(data, dict)
                        or "dmp" not in data
                    ):
                        return self._send(400, {"message": "An error has occured:  undefined method for nil"})
                    with standin.lock:
                        standin.next_id += 1
                        new_id = str(standin.next_id)
                        standin.plans[new_id] = data
                        standin.imports.append(data)
                    return self._send(
                        201,
                        {"status": 201, "message": "Plan imported successfully", "data": {"id": int(new_id)}},
                    )
                return self._send(404, {"errors": ["Not found"]})

            def do_GET(self) -> None:  # noqa: N802
                url = urlparse(self.path)
                prefix = "/api/v1/madmp/plans/"
                if not url.path.startswith(prefix):
                    return self._send(404, {"errors": ["Not found"]})
                if not self._authorised():
                    return self._send(401, {"errors": ["Unauthorized"]})
                plan_id = url.path[len(prefix) :]
                plan = standin.plans.get(plan_id)
                if plan is None:
                    return self._send(404, {"errors": ["Plan not found"]})
                if parse_qs(url.query).get("export_format") == ["rda"]:
                    return self._send(200, plan)
                return self._send(200, {"meta": {"title": plan["dmp"].get("title")}, "project": {}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
