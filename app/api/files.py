"""Record files: streamed upload, listing, download with Range, ETag and Digest."""

from __future__ import annotations

import base64

from flask import current_app, jsonify, request, send_file
from flask.wrappers import Response

from app.api import bp
from app.auth import current_actor, optional_scope, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.services import files as svc
from app.services.errors import field_error


def _store():  # type: ignore[no-untyped-def]
    return current_app.extensions["alluvium.store"]


@bp.put("/records/<record_id>/draft/files/<path:key>")
@require_scope("deposit")
def upload_file(record_id: str, key: str) -> Response:
    """Stream the request body into storage as file ``key`` of the draft.

    Optional integrity headers: ``Content-MD5`` (base64) or ``Digest: sha-256=<base64>``;
    a mismatch stores nothing. Over ``MAX_FILE_SIZE`` → 413.
    """
    session = get_session()
    actor = current_actor()
    cfg = current_app.config
    md5, sha256 = _expected_digests()
    # Permission and state are checked before a single byte of the body is read.
    svc.prepare_upload(session, actor, record_id, key)
    row, replaced = svc.upload(
        session,
        actor,
        _store(),
        record_id,
        key,
        request.stream,
        content_length=request.content_length,
        content_type=request.headers.get("Content-Type"),
        max_size=cfg["MAX_FILE_SIZE"],
        max_files=cfg["MAX_FILES_PER_RECORD"],
        expected_md5=md5,
        expected_sha256=sha256,
    )
    body = svc.describe(row)
    commit(session)
    response = jsonify(body)
    response.status_code = 200 if replaced else 201
    return response


@bp.delete("/records/<record_id>/draft/files/<path:key>")
@require_scope("deposit")
def delete_file(record_id: str, key: str) -> Response:
    session = get_session()
    svc.delete(session, current_actor(), record_id, key)
    commit(session)
    return Response(status=204)


@bp.get("/records/<record_id>/files")
def list_files(record_id: str) -> Response:
    optional_scope("read")
    session = get_session()
    actor = current_actor()
    record, rows = svc.list_files(session, actor, record_id)
    return jsonify(
        {
            "enabled": True,
            "access": svc.access_level(record),
            "downloadable": svc.files_readable(record, actor),
            "entries": [svc.describe(r) for r in rows],
            "total_bytes": sum(r.object.size for r in rows),
        }
    )


@bp.get("/records/<record_id>/files/<path:key>")
@bp.get("/records/<record_id>/draft/files/<path:key>")
def download_file(record_id: str, key: str) -> Response:
    """Download; supports ``Range``, ``If-None-Match`` (ETag = SHA-256) and sends ``Digest``."""
    optional_scope("read")
    session = get_session()
    row = svc.get_file(session, current_actor(), record_id, key)
    path = _store().local_path(row.object_sha256)
    response = send_file(
        path,
        mimetype=row.mimetype,
        as_attachment=True,
        download_name=key.rsplit("/", 1)[-1],
        conditional=True,
        etag=row.object_sha256,
        last_modified=row.created_at,
        max_age=0,
    )
    sha = base64.b64encode(bytes.fromhex(row.object_sha256)).decode()
    md5 = base64.b64encode(bytes.fromhex(row.object.md5)).decode()
    # RFC 3230 Digest (widely read) and its RFC 9530 successor; both describe the whole file.
    response.headers["Digest"] = f"sha-256={sha},md5={md5}"
    response.headers["Repr-Digest"] = f"sha-256=:{sha}:"
    return response


def _expected_digests() -> tuple[str | None, str | None]:
    md5 = sha256 = None
    if request.headers.get("Content-MD5"):
        md5 = _b64_hex(request.headers["Content-MD5"], "/Content-MD5")
    for part in request.headers.get("Digest", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.lower() == "sha-256" and value:
            sha256 = _b64_hex(value, "/Digest")
        elif name.lower() == "md5" and value:
            md5 = _b64_hex(value, "/Digest")
    return md5, sha256


def _b64_hex(value: str, field: str) -> str:
    try:
        return base64.b64decode(value.strip(), validate=True).hex()
    except ValueError:
        raise field_error(field, "must be a base64-encoded digest") from None
