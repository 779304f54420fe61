"""One error handler for the whole app: JSON for the API (or JSON clients), HTML otherwise.

Domain exceptions from the services and from ``curation`` are mapped to HTTP statuses here,
at the edge. The API never answers with an HTML traceback.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from app.services.errors import Gone, ServiceError
from app.storage import StorageError
from curation import InvalidTransition, PermissionDenied
from schemas import RecordValidationError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    if request.path.startswith("/api/") or request.path == "/api":
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def error_response(status: int, message: str, errors: list[Any] | None = None, **extra: Any) -> Response:
    from app.messages import translate_all

    body = {
        "status": status,
        "message": message,
        # ``messages`` is the API's stable English; ``localized`` (only when it differs) the same
        # in the negotiated interface language (session choice, then Accept-Language).
        "errors": [_error_json(e, translate_all) for e in errors or []],
        **extra,
    }
    if wants_json():
        response = jsonify(body)
    else:
        response = Response(render_template("error.html", **body), mimetype="text/html")
    response.status_code = status
    return response


def _error_json(error: Any, translate_all: Any) -> dict[str, Any]:
    out = {"field": error.field, "messages": list(error.messages)}
    localized = translate_all(error.messages)
    if localized != out["messages"]:
        out["localized"] = localized
    return out


def init_app(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service(exc: ServiceError) -> Response:
        extra = {"tombstone": exc.tombstone} if isinstance(exc, Gone) else {}
        response = error_response(exc.status, exc.message, exc.errors, **extra)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="alluvium"'
        return response

    @app.errorhandler(RecordValidationError)
    def _validation(exc: RecordValidationError) -> Response:
        return error_response(400, f"{len(exc.errors)} invalid field(s)", exc.errors)

    @app.errorhandler(InvalidTransition)
    def _transition(exc: InvalidTransition) -> Response:
        return error_response(409, str(exc))

    @app.errorhandler(PermissionDenied)
    def _denied(exc: PermissionDenied) -> Response:
        if exc.anonymous:
            response = error_response(401, str(exc))
            response.headers["WWW-Authenticate"] = 'Bearer realm="alluvium"'
            return response
        return error_response(403, str(exc))

    @app.errorhandler(StorageError)
    def _storage(exc: StorageError) -> Response:
        log.exception("storage error")
        return error_response(500, "the file store failed; nothing was stored")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        response = error_response(exc.code or 500, exc.description or exc.name)
        for key, value in exc.get_headers() or []:
            if key.lower() not in ("content-type", "content-length"):
                response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal error; it has been logged")
