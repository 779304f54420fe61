"""A stand-in for the DataCite REST API, for tests and benchmarks (a real HTTP server on loopback).

It is not a mock of our code: it implements the part of https://support.datacite.org/docs/api
that Alluvium uses, with DataCite's rules, so that our client meets the same answers it would
meet in production:

- Basic auth (one repository account), the JSON:API envelope and media type
  ``application/vnd.api+json``, errors as ``{"errors": [{"status", "title", "source"}]}``;
- ``POST /dois`` (422 "This DOI has already been taken"), ``PUT /dois/{doi}`` (create: 201,
  update: 200), ``GET /dois/{doi}``, ``GET /dois`` (``client-id``, ``prefix``, paging),
  ``DELETE /dois/{doi}`` (drafts only: 405 otherwise, 204);
- prefix ownership (403), DOI syntax (422), the ``xml`` attribute base64-decoded and validated
  against the kernel-4 XSD (422 naming the errors; required to register or publish; its
  ``identifier`` must be the DOI), ``url`` required outside drafts;
- states draft → registered / findable and events ``register``, ``publish``, ``hide``.

Fault injection (``POST /_faults`` with a JSON body, or :meth:`StandIn.faults` in-process):
``outage`` seconds of 503; ``storm`` seconds of 429 (``retry_after`` seconds, or none); ``slow``
(``delay`` seconds for the next ``count`` requests); ``drop`` (the next ``count`` writes are
committed, then the connection is closed without an answer). ``GET /_stats`` returns every
accepted write's time, the writes per window of ``window`` seconds (default 300, DataCite's
5 minutes), and all DOIs.

Run it as a process: ``python -m tests.datacite_standin --port 8999 --prefix 10.5072``
(the bench and the kill -9 tests do); its first line on stdout is ``listening on <url>``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from lxml import etree

MEDIA_TYPE = "application/vnd.api+json"
DOI_RE = re.compile(r"^10\.\d{4,9}/[-._;()/:a-z0-9]+$", re.I)
KERNEL4 = (
    Path(__file__).resolve().parents[2]
    / "shared/standards/xsd/schema.datacite.org/meta/kernel-4/metadata.xsd"
)
NS = "http://datacite.org/schema/kernel-4"


class ApiError(Exception):
    def __init__(
        self, status: int, title: str, source: str | None = None, headers: dict[str, str] | None = None
    ):
        super().__init__(title)
        self.status, self.title, self.source, self.headers = status, title, source, headers or {}


class StandIn:
    """The state of the fake DataCite: DOIs, faults, accepted writes."""

    def __init__(
        self,
        username: str = "TEST.ALLUVIUM",
        password: str = "secret",
        prefixes: tuple[str, ...] = ("10.5072",),
        xsd: Path | None = KERNEL4,
    ) -> None:
        self.username, self.password = username, password
        self.prefixes = tuple(p.lower() for p in prefixes)
        self.dois: dict[str, dict[str, Any]] = {}
        self.lock = threading.Lock()
        self.writes: list[float] = []  # time of each accepted write
        self.requests: list[tuple[float, str, str, int]] = []  # (time, method, path, status)
        self.received: list[tuple[float, str, str]] = []  # every API request, as it arrives
        self.outage_until = 0.0
        self.storm_until = 0.0
        self.storm_retry_after: float | None = None
        self.slow_delay = 0.0
        self.slow_count = 0
        self.drop_count = 0
        self.schema = etree.XMLSchema(etree.parse(str(xsd))) if xsd and Path(xsd).exists() else None

    # -- faults -------------------------------------------------------------------------------

    def faults(self, spec: dict[str, Any]) -> None:
        now = time.time()
        with self.lock:
            if "outage" in spec:
                self.outage_until = now + float(spec["outage"])
            if "storm" in spec:
                self.storm_until = now + float(spec["storm"])
                ra = spec.get("retry_after")
                self.storm_retry_after = None if ra is None else float(ra)
            if "slow" in spec:
                self.slow_delay = float(spec["slow"].get("delay", 0))
                self.slow_count = int(spec["slow"].get("count", 1))
            if "drop" in spec:
                self.drop_count = int(spec["drop"])

    def _fault(self) -> tuple[float, ApiError | None]:
        now = time.time()
        with self.lock:
            delay = 0.0
            if self.slow_count > 0:
                self.slow_count -= 1
                delay = self.slow_delay
            if now < self.outage_until:
                return delay, ApiError(503, "Service Unavailable")
            if now < self.storm_until:
                headers = {}
                if self.storm_retry_after is not None:
                    headers["Retry-After"] = str(int(round(self.storm_retry_after)))
                return delay, ApiError(429, "Too Many Requests", headers=headers)
        return delay, None

    def stats(self, window: float = 300.0) -> dict[str, Any]:
        with self.lock:
            writes = list(self.writes)
            dois = {k: {a: v for a, v in d.items() if a != "xml"} for k, d in self.dois.items()}
        return {
            "writes": writes,
            "max_writes_per_window": max_in_window(writes, window),
            "window": window,
            "dois": dois,
        }

    # -- the API ------------------------------------------------------------------------------

    def check_doi(self, doi: str) -> str:
        doi = doi.lower()
        if not DOI_RE.match(doi):
            raise ApiError(422, f"DOI {doi} is not valid", "doi")
        if doi.split("/", 1)[0] not in self.prefixes:
            raise ApiError(403, f"You do not have permission to use the prefix of {doi}", "doi")
        return doi

    def validate_xml(self, doi: str, encoded: str) -> bytes:
        try:
            xml = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(422, "xml is not valid base64", "xml") from None
        try:
            root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            raise ApiError(422, f"xml is not well-formed: {exc}", "xml") from None
        if self.schema is not None and not self.schema.validate(root):
            errors = "; ".join(f"line {e.line}: {e.message}" for e in list(self.schema.error_log)[:3])
            raise ApiError(422, f"xml does not validate against kernel-4: {errors}", "xml")
        ident = root.find(f"{{{NS}}}identifier")
        if ident is None or ident.get("identifierType") != "DOI" or (ident.text or "").strip().lower() != doi:
            raise ApiError(422, f"the identifier in xml must be the DOI {doi}", "xml")
        return xml

    def write(
        self, doi: str, attrs: dict[str, Any], *, create_only: bool = False
    ) -> tuple[int, dict[str, Any]]:
        doi = self.check_doi(doi)
        if attrs.get("doi") and str(attrs["doi"]).lower() != doi:
            raise ApiError(422, "the doi attribute does not match the URL", "doi")
        xml = self.validate_xml(doi, attrs["xml"]) if attrs.get("xml") else None
        url = attrs.get("url")
        if url is not None and not re.match(r"^https?://\S+$", str(url)):
            raise ApiError(422, f"url {url!r} is not a URL", "url")
        event = attrs.get("event")
        if event not in (None, "publish", "register", "hide"):
            raise ApiError(422, f"unknown event {event!r}", "event")
        with self.lock:
            current = self.dois.get(doi)
            if current is not None and create_only:
                raise ApiError(422, "This DOI has already been taken", "doi")
            record = (
                dict(current)
                if current
                else {"doi": doi, "state": "draft", "url": None, "xml": None, "created": time.time()}
            )
            if xml is not None:
                record["xml"] = xml
            if url is not None:
                record["url"] = url
            state = record["state"]
            if event == "publish":
                state = "findable"
            elif event == "register":
                if state == "findable":
                    raise ApiError(422, "A findable DOI cannot be registered: use the hide event", "event")
                state = "registered"
            elif event == "hide":
                if state == "draft":
                    raise ApiError(422, "Only a findable DOI can be hidden", "event")
                state = "registered"
            if state != "draft":
                if record["xml"] is None:
                    raise ApiError(422, "Metadata (xml) is required to register or publish a DOI", "xml")
                if not record["url"]:
                    raise ApiError(422, "A URL is required to register or publish a DOI", "url")
            record["state"] = state
            record["updated"] = time.time()
            record["versions"] = record.get("versions", 0) + 1
            self.dois[doi] = record
            self.writes.append(time.time())
        return (200 if current else 201), self.resource(record)

    def delete(self, doi: str) -> None:
        doi = self.check_doi(doi)
        with self.lock:
            record = self.dois.get(doi)
            if record is None:
                raise ApiError(404, "The resource you are looking for doesn't exist.")
            if record["state"] != "draft":
                raise ApiError(405, "Method not allowed: only draft DOIs can be deleted")
            del self.dois[doi]
            self.writes.append(time.time())

    def resource(self, record: dict[str, Any]) -> dict[str, Any]:
        attrs = {
            "doi": record["doi"],
            "prefix": record["doi"].split("/", 1)[0],
            "suffix": record["doi"].split("/", 1)[1],
            "state": record["state"],
            "url": record["url"],
            "xml": base64.b64encode(record["xml"]).decode() if record["xml"] else None,
            "isActive": record["state"] == "findable",
        }
        return {"id": record["doi"], "type": "dois", "attributes": attrs}


def max_in_window(times: list[float], window: float) -> int:
    """The most events in any half-open interval ``(t - window, t]`` (two-pointer sweep)."""
    times = sorted(times)
    best = start = 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return None

    def _send(
        self, status: int, body: Any = None, headers: dict[str, str] | None = None, media: str = MEDIA_TYPE
    ) -> None:
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if data:
            self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with self.server.standin.lock:
            self.server.standin.requests.append((time.time(), self.command, self.path, status))

    def _error(self, exc: ApiError) -> None:
        err: dict[str, Any] = {"status": str(exc.status), "title": exc.title}
        if exc.source:
            err["source"] = exc.source
        self._send(exc.status, {"errors": [err]}, exc.headers)

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON") from None
        if not isinstance(data, dict):
            raise ApiError(400, "The request body must be a JSON object")
        return data

    def _auth(self) -> None:
        si = self.server.standin
        header = self.headers.get("Authorization", "")
        expected = "Basic " + base64.b64encode(f"{si.username}:{si.password}".encode()).decode()
        if header != expected:
            raise ApiError(401, "Bad credentials")

    def _handle(self) -> None:
        si = self.server.standin
        url = urlparse(self.path)
        path = unquote(url.path)
        try:
            if path == "/_faults" and self.command == "POST":
                si.faults(self._body())
                return self._send(204, media="application/json")
            if path == "/_stats":
                window = float(parse_qs(url.query).get("window", ["300"])[0])
                return self._send(200, si.stats(window), media="application/json")
            body = self._body() if self.command in ("POST", "PUT") else {}
            with si.lock:
                si.received.append((time.time(), self.command, path))
            self._auth()
            delay, fault = si._fault()
            if delay:
                time.sleep(delay)
            if fault is not None:
                raise fault
            if not path.startswith("/dois"):
                raise ApiError(404, "The resource you are looking for doesn't exist.")
            doi = path[len("/dois/") :] if path.startswith("/dois/") else ""
            if self.command in ("POST", "PUT"):
                if self.headers.get("Content-Type", "").split(";")[0].strip() != MEDIA_TYPE:
                    raise ApiError(415, f"Content-Type must be {MEDIA_TYPE}")
                data = body.get("data")
                if not isinstance(data, dict) or data.get("type") != "dois":
                    raise ApiError(422, "The body must be {data: {type: dois, attributes: {...}}}", "data")
                attrs = data.get("attributes") or {}
                if self.command == "POST":
                    if doi:
                        raise ApiError(405, "Method not allowed")
                    target = attrs.get("doi") or ""
                    if not target and attrs.get("prefix"):
                        target = f"{attrs['prefix']}/{int(time.time() * 1e6):x}"
                    status, resource = si.write(target, attrs, create_only=True)
                else:
                    if not doi:
                        raise ApiError(405, "Method not allowed")
                    status, resource = si.write(doi, attrs)
                if si.drop_count > 0:
                    with si.lock:
                        si.drop_count -= 1
                    # Committed, but the client never hears of it.
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                return self._send(status, {"data": resource})
            if self.command == "DELETE":
                si.delete(doi)
                return self._send(204)
            if self.command == "GET" and doi:
                with si.lock:
                    record = si.dois.get(doi.lower())
                    resource = si.resource(record) if record else None
                if resource is None:
                    raise ApiError(404, "The resource you are looking for doesn't exist.")
                return self._send(200, {"data": resource})
            if self.command == "GET":
                q = parse_qs(url.query)
                prefix = (q.get("prefix") or [""])[0].lower()
                size = int((q.get("page[size]") or ["25"])[0])
                number = int((q.get("page[number]") or ["1"])[0])
                with si.lock:
                    items = [
                        si.resource(r)
                        for k, r in sorted(si.dois.items())
                        if not prefix or k.startswith(prefix + "/")
                    ]
                pages = max((len(items) + size - 1) // size, 1)
                chunk = items[(number - 1) * size : number * size]
                return self._send(
                    200, {"data": chunk, "meta": {"total": len(items), "totalPages": pages, "page": number}}
                )
            raise ApiError(405, "Method not allowed")
        except ApiError as exc:
            return self._error(exc)

    do_GET = do_POST = do_PUT = do_DELETE = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], standin: StandIn):
        super().__init__(address, Handler)
        self.standin = standin


def serve(standin: StandIn, port: int = 0) -> tuple[Server, str]:
    """Serve ``standin`` on loopback in a daemon thread; returns (server, base URL)."""
    server = Server(("127.0.0.1", port), standin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--username", default="TEST.ALLUVIUM")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--prefix", action="append", default=None)
    args = parser.parse_args()
    standin = StandIn(args.username, args.password, tuple(args.prefix or ["10.5072"]))
    server = Server(("127.0.0.1", args.port), standin)
    print(f"listening on http://127.0.0.1:{server.server_port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
