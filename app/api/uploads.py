"""Resumable uploads: the tus 1.0 protocol (core, creation, termination, checksum, expiration).

``POST /api/records/{id}/draft/uploads`` creates an upload (the file key is the
``Upload-Metadata`` ``filename``); ``HEAD``/``PATCH``/``DELETE`` on the ``Location`` it answers
read the offset, append and terminate. Authentication, scopes, CSRF and permissions are the
REST API's: a bearer token with the ``deposit`` scope, or the signed-in session with its CSRF
token. See docs/api.md and ``app/services/uploads.py``.
"""

from __future__ import annotations

from email.utils import format_datetime

from flask import current_app, request, url_for
from flask.wrappers import Response

from app.api import bp
from app.auth import current_actor, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.services import uploads as svc
from app.services.errors import PreconditionFailed, field_error

TUS_VERSION = "1.0.0"
TUS_EXTENSIONS = "creation,termination,checksum,expiration"
OFFSET_TYPE = "application/offset+octet-stream"
_ENDPOINTS = frozenset({"api.tus_create", "api.tus_upload"})


def _store():  # type: ignore[no-untyped-def]
    return current_app.extensions["alluvium.store"]


def _directory():  # type: ignore[no-untyped-def]
    return current_app.extensions["alluvium.uploads_dir"]


def _states() -> svc.HashStates:
    return current_app.extensions["alluvium.upload_states"]  # type: ignore[no-any-return]


@bp.after_request
def _tus_headers(response: Response) -> Response:
    """Every tus response, errors included, names the protocol version."""
    if request.endpoint in _ENDPOINTS:
        response.headers["Tus-Resumable"] = TUS_VERSION
        response.headers.setdefault("Tus-Version", TUS_VERSION)
        response.headers["Cache-Control"] = "no-store"
    return response


def _require_tus() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise PreconditionFailed(
            f"send 'Tus-Resumable: {TUS_VERSION}' (the only tus version supported)",
            field_error("/Tus-Resumable", f"must be {TUS_VERSION}").errors,
        )


def _whole(name: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(name)
    if raw is None:
        if required:
            raise field_error(f"/{name}", "is required")
        return None
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise field_error(f"/{name}", "must be a non-negative whole number of bytes")
    return int(raw)


def _http_date(value) -> str:  # type: ignore[no-untyped-def]
    return format_datetime(value, usegmt=True)


@bp.route("/records/<record_id>/draft/uploads", methods=["POST", "OPTIONS"], provide_automatic_options=False)
def tus_create(record_id: str) -> Response:
    if request.method == "OPTIONS":
        return _options()
    return _create(record_id)


def _options() -> Response:
    response = Response(status=204)
    response.headers["Tus-Version"] = TUS_VERSION
    response.headers["Tus-Extension"] = TUS_EXTENSIONS
    response.headers["Tus-Max-Size"] = str(current_app.config["MAX_FILE_SIZE"])
    response.headers["Tus-Checksum-Algorithm"] = ",".join(svc.CHECKSUM_ALGORITHMS)
    return response


@require_scope("deposit")
def _create(record_id: str) -> Response:
    """tus creation: ``Upload-Length`` (deferred lengths are not supported) and
    ``Upload-Metadata`` with ``filename`` (the file key; may contain ``/``) and optionally
    ``filetype``/``content_type``. 413 naming the limit when the size or a quota is exceeded."""
    _require_tus()
    if "Upload-Defer-Length" in request.headers:
        raise field_error("/Upload-Defer-Length", "is not supported: send Upload-Length")
    length = _whole("Upload-Length")
    assert length is not None
    metadata = svc.parse_metadata(request.headers.get("Upload-Metadata"))
    key = metadata.get("filename")
    if not key:
        raise field_error("/Upload-Metadata", "must carry 'filename' (the file key in the draft)")
    session = get_session()
    upload = svc.create(
        session,
        current_actor(),
        record_id,
        key=key,
        length=length,
        content_type=metadata.get("filetype") or metadata.get("content_type") or "",
        config=current_app.config,
        directory=_directory(),
    )
    upload_id, expires = upload.id, upload.expires_at
    commit(session)
    response = Response(status=201)
    response.headers["Location"] = url_for("api.tus_upload", record_id=record_id, upload_id=upload_id)
    response.headers["Upload-Offset"] = "0"
    response.headers["Upload-Expires"] = _http_date(expires)
    return response


@bp.route("/records/<record_id>/draft/uploads/<upload_id>", methods=["HEAD", "PATCH", "DELETE"])
@require_scope("deposit")
def tus_upload(record_id: str, upload_id: str) -> Response:
    _require_tus()
    session = get_session()
    actor = current_actor()
    if request.method == "HEAD":
        upload = svc.get(session, actor, record_id, upload_id)
        response = Response(status=200)
        response.headers["Upload-Offset"] = str(
            upload.length if upload.state == "complete" else upload.offset
        )
        response.headers["Upload-Length"] = str(upload.length)
        if upload.state == "open":
            response.headers["Upload-Expires"] = _http_date(upload.expires_at)
        return response
    if request.method == "DELETE":
        svc.terminate(session, actor, record_id, upload_id, _directory(), _states())
        commit(session)
        return Response(status=204)
    return _patch(record_id, upload_id)


def _patch(record_id: str, upload_id: str) -> Response:
    if request.mimetype != OFFSET_TYPE:
        raise svc.UnsupportedMediaType(
            f"send the bytes as {OFFSET_TYPE}",
            field_error("/Content-Type", f"must be {OFFSET_TYPE}").errors,
        )
    offset = _whole("Upload-Offset")
    assert offset is not None
    checksum = svc.parse_checksum(request.headers.get("Upload-Checksum"))
    # The request's own session is not used while the body streams: append() opens short
    # transactions of its own around it.
    get_session().rollback()
    result = svc.append(
        current_app.extensions["alluvium.sessionmaker"],
        current_actor(),
        _store(),
        record_id,
        upload_id,
        request.stream,
        offset=offset,
        content_length=request.content_length,
        checksum=checksum,
        config=current_app.config,
        directory=_directory(),
        states=_states(),
        commit=commit,
    )
    response = Response(status=204)
    response.headers["Upload-Offset"] = str(result.offset)
    if result.file is None:
        response.headers["Upload-Expires"] = _http_date(result.expires_at)
    else:
        response.headers["Upload-Sha256"] = result.file["checksum"]["sha256"]
    return response
