"""The deposit form's look-ups (static/js/lookup.js), answered in JSON for the signed-in producer:

* ``GET /deposit/lookup/orcid?id=`` — name and current affiliations from ORCID's public API;
* ``GET /deposit/lookup/ror?id=`` — an organisation's name from the ROR API;
* ``GET /deposit/lookup/people`` — the people and organisations of the producer's own records.

The browser never talks to ORCID or ROR itself (the page's policy allows no other origin): this
server does, with ``ORCID_API_URL``/``ROR_API_URL`` and ``LOOKUP_TIMEOUT`` (seconds). A
malformed identifier is a 400 naming ``/orcid`` or ``/ror`` with the schema's message (check
digits); unknown: 404; the service unreachable: 502, too slow: 504 — each with a message.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask.wrappers import Response
from flask_babel import get_locale
from flask_login import login_required

from app.auth import current_actor
from app.db import get_session
from app.services import people
from app.services.errors import ServiceError


def _answer(call) -> Response:  # type: ignore[no-untyped-def]
    try:
        body, status = call(), 200
    except ServiceError as exc:
        body = {
            "status": exc.status,
            "message": exc.message,
            "errors": [{"field": e.field, "messages": e.messages} for e in exc.errors or []],
        }
        status = exc.status
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "private, no-store"
    return response


def init_blueprint(bp: Blueprint) -> None:
    @bp.get("/deposit/lookup/orcid")
    @login_required
    def lookup_orcid() -> Response:
        cfg = current_app.config
        return _answer(
            lambda: people.orcid_person(
                cfg["ORCID_API_URL"], request.args.get("id", ""), timeout=float(cfg["LOOKUP_TIMEOUT"])
            )
        )

    @bp.get("/deposit/lookup/ror")
    @login_required
    def lookup_ror() -> Response:
        cfg = current_app.config
        return _answer(
            lambda: people.ror_organisation(
                cfg["ROR_API_URL"],
                request.args.get("id", ""),
                lang=str(get_locale() or "en")[:2],
                timeout=float(cfg["LOOKUP_TIMEOUT"]),
            )
        )

    @bp.get("/deposit/lookup/people")
    @login_required
    def known_people() -> Response:
        return _answer(lambda: {"agents": people.known_agents(get_session(), current_actor())})
