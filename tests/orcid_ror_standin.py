"""A stand-in for ORCID's public API v3.0 and the ROR REST API v2, for tests (a real HTTP server
on loopback, in the style of tests/datacite_standin.py).

It is not a mock of our code: it answers the requests Alluvium makes with the shapes the real
services document, so our client meets the same answers it would meet in production:

- ORCID (https://info.orcid.org/documentation/api-tutorials/, public API v3.0):
  ``GET /v3.0/{orcid}/record`` with ``Accept: application/json`` → the record: ``orcid-identifier``,
  ``person.name`` (``given-names.value``, ``family-name.value``, ``credit-name``) and
  ``activities-summary.employments.affiliation-group[].summaries[].employment-summary``
  (``organization.name``, ``organization.disambiguated-organization`` with source ``ROR``,
  ``start-date``, ``end-date``). Unknown iD: 404 with ORCID's error body
  (``response-code``, ``developer-message``, ``user-message``, ``error-code``). Anything but JSON
  asked: 406.
- ROR (https://ror.readme.io/v2/docs/rest-api, v2): ``GET /v2/organizations/{id}`` (bare id) →
  ``id``, ``names[]`` (``value``, ``types``: ``ror_display``, ``label``, ``acronym``, ``alias``;
  ``lang``), ``status``, ``types``, ``locations[].geonames_details``, ``external_ids[]``
  (``type`` e.g. ``fundref``, ``all``, ``preferred``). Unknown: 404
  ``{"errors": ["ROR ID '…' does not exist"]}``. ``GET /v2/organizations?query.advanced=
  external_ids.all:<value>`` → ``{"number_of_results", "time_taken", "items", "meta"}`` with the
  organisations that have that external identifier (the only advanced query answered here).

Faults: :attr:`StandIn.delay` seconds before every answer (timeouts), :attr:`StandIn.down`
(every answer 503).
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ORCID_PATH = re.compile(r"^/v3\.0/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])/record$")
ROR_PATH = re.compile(r"^/v2/organizations/(0[a-z0-9]{6}\d{2})$")
ROR_EXTERNAL_ID = re.compile(r"^external_ids\.all:(\S+)$")


def orcid_record(orcid: str, given: str, family: str, employers: list[tuple[str, str | None, bool]]) -> dict:
    """An ORCID v3.0 record; ``employers`` = (organisation name, ROR URL or None, current?)."""
    groups = []
    for i, (name, ror, current) in enumerate(employers):
        org: dict[str, Any] = {
            "name": name,
            "address": {"city": "Paris", "region": None, "country": "FR"},
            "disambiguated-organization": (
                {"disambiguated-organization-identifier": ror, "disambiguation-source": "ROR"}
                if ror
                else None
            ),
        }
        summary = {
            "put-code": 1000 + i,
            "department-name": None,
            "role-title": "Researcher",
            "start-date": {"year": {"value": "2015"}, "month": None, "day": None},
            "end-date": None if current else {"year": {"value": "2014"}, "month": None, "day": None},
            "organization": org,
            "path": f"/{orcid}/employment/{1000 + i}",
        }
        groups.append({"summaries": [{"employment-summary": summary}], "external-ids": {"external-id": []}})
    return {
        "orcid-identifier": {"uri": f"https://orcid.org/{orcid}", "path": orcid, "host": "orcid.org"},
        "person": {
            "name": {
                "given-names": {"value": given},
                "family-name": {"value": family},
                "credit-name": None,
                "visibility": "public",
                "path": orcid,
            },
            "path": f"/{orcid}/person",
        },
        "activities-summary": {"employments": {"affiliation-group": groups, "path": f"/{orcid}/employments"}},
        "path": f"/{orcid}",
    }


def ror_organization(
    ror_id: str,
    display: str,
    *,
    acronym: str | None = None,
    labels: dict[str, str] | None = None,
    fundref: str | None = None,
) -> dict:
    """A ROR v2 organization record (``fundref``: its Crossref Funder ID number)."""
    names = [{"value": display, "types": ["ror_display", "label"], "lang": None}]
    names += [{"value": v, "types": ["label"], "lang": k} for k, v in (labels or {}).items()]
    if acronym:
        names.append({"value": acronym, "types": ["acronym"], "lang": None})
    return {
        "id": f"https://ror.org/{ror_id}",
        "names": names,
        "status": "active",
        "types": ["government"],
        "established": 1939,
        "locations": [
            {
                "geonames_id": 2988507,
                "geonames_details": {"name": "Paris", "country_code": "FR", "country_name": "France"},
            }
        ],
        "external_ids": [{"type": "fundref", "all": [fundref], "preferred": fundref}] if fundref else [],
        "links": [],
        "relationships": [],
        "domains": [],
        "admin": {
            "created": {"date": "2018-11-14", "schema_version": "1.0"},
            "last_modified": {"date": "2024-05-01", "schema_version": "2.0"},
        },
    }


class StandIn:
    def __init__(self) -> None:
        self.orcid: dict[str, dict] = {}
        self.ror: dict[str, dict] = {}
        self.delay = 0.0
        self.down = False
        self.requests: list[str] = []

    def answer(self, path: str, accept: str, query: str = "") -> tuple[int, dict]:
        self.requests.append(path + (f"?{query}" if query else ""))
        if self.delay:
            time.sleep(self.delay)
        if self.down:
            return 503, {"message": "Service Unavailable"}
        m = ORCID_PATH.match(path)
        if m:
            if "json" not in accept:
                return 406, {"response-code": 406, "developer-message": "Accept a JSON media type"}
            record = self.orcid.get(m.group(1))
            if record is None:
                return 404, {
                    "response-code": 404,
                    "developer-message": f"404 Not Found: The resource was not found. Full validation error: ORCID iD {m.group(1)} not found",
                    "user-message": "The resource was not found.",
                    "error-code": 9016,
                }
            return 200, record
        if path == "/v2/organizations":
            advanced = parse_qs(query).get("query.advanced", [""])[0]
            wanted = ROR_EXTERNAL_ID.match(advanced)
            if not wanted:
                return 400, {"errors": [f"query.advanced {advanced!r} is not answered by this stand-in"]}
            items = [
                org
                for org in self.ror.values()
                if any(wanted.group(1) in (e.get("all") or []) for e in org["external_ids"])
            ]
            return 200, {"number_of_results": len(items), "time_taken": 1, "items": items, "meta": {}}
        m = ROR_PATH.match(path)
        if m:
            org = self.ror.get(m.group(1))
            if org is None:
                return 404, {"errors": [f"ROR ID '{m.group(1)}' does not exist"]}
            return 200, org
        return 404, {"errors": [f"no such resource {path}"]}


def serve(standin: StandIn) -> tuple[ThreadingHTTPServer, str]:
    """Start the stand-in on a free loopback port; returns (server, base URL)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            path, _, query = self.path.partition("?")
            status, body = standin.answer(path, self.headers.get("Accept", ""), query)
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json;charset=UTF-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (its timeout)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"
