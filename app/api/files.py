"""Record files: streamed upload, listing, download with Range, ETag and Digest."""

from __future__ import annotations

import base64
from urllib.parse import quote

from flask import current_app, jsonify, redirect, request, send_file
from flask.wrappers import Response

from app.api import bp
from app.auth import current_actor, optional_scope, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.models import Record
from app.services import files as svc
from app.services import uploads as uploads_svc
from app.services.errors import PayloadTooLarge, field_error
from app.storage import CHUNK_SIZE
from app.usage import log_from_request


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
    # Permission and state are checked before a single byte of the body is read (reads
    # only), then the transaction ends: none is open while the body streams, so a slow
    # client holds no lock. attach() locks the record and checks its state again.
    key = svc.check_upload(
        session,
        actor,
        record_id,
        key,
        content_length=request.content_length,
        max_size=cfg["MAX_FILE_SIZE"],
        max_files=cfg["MAX_FILES_PER_RECORD"],
    )
    # The upload size limit and the per-draft and per-user quotas, before a byte is stored; a
    # body without Content-Length is cut off as soon as it crosses the smallest of them.
    record = session.get(Record, record_id)
    assert record is not None
    room = uploads_svc.check_room(
        request.content_length, uploads_svc.room(session, record, record.owner_id, key, cfg)
    )
    session.rollback()
    try:
        stored, mimetype = svc.store_body(
            _store(),
            request.stream,
            key,
            content_length=request.content_length,
            content_type=request.headers.get("Content-Type"),
            max_size=room.limit,
            expected_md5=md5,
            expected_sha256=sha256,
        )
    except PayloadTooLarge:
        raise uploads_svc.too_large(request.content_length, room) from None
    row, replaced = svc.attach(
        session, actor, record_id, key, stored, mimetype, max_files=cfg["MAX_FILES_PER_RECORD"]
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


@bp.patch("/records/<record_id>/draft/files/<path:key>")
@require_scope("deposit")
def rename_file(record_id: str, key: str) -> Response:
    """Rename a draft's file: JSON ``{"key": "<new key>"}``. The same stored object gets the
    new key (nothing is copied); 400 for a bad name, 409 when the draft already has that key."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or "key" not in body:
        raise field_error("/key", "send a JSON object with the new file name in 'key'")
    session = get_session()
    row = svc.rename(session, current_actor(), record_id, key, body["key"])
    result = svc.describe(row)
    commit(session)
    return jsonify(result)


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


@bp.get("/records/<record_id>/draft/files/<path:key>")
def download_draft_file(record_id: str, key: str) -> Response:
    """The draft's URL of a file (same access rules); links to published files use the
    public ``/files/`` URL (``download_file``)."""
    return download_file(record_id, key)


@bp.get("/records/<record_id>/files/<path:key>")
def download_file(record_id: str, key: str) -> Response:
    """Download; supports ``Range``, ``If-None-Match`` (ETag = SHA-256) and sends ``Digest``."""
    optional_scope("read")
    session = get_session()
    row = svc.get_file(session, current_actor(), record_id, key)
    store = _store()
    name = key.rsplit("/", 1)[-1]
    path = store.local_path(row.object_sha256)
    if path is None:
        if current_app.config["S3_PRESIGNED_DOWNLOADS"] and hasattr(store, "presigned_url"):
            # Access was checked above; the URL is short-lived (S3_PRESIGN_EXPIRES) and the
            # object store serves Range requests itself.
            url = store.presigned_url(row.object_sha256, name, current_app.config["S3_PRESIGN_EXPIRES"])
            if row.record.state == "published" and not request.range:
                # COUNTER: the object store serves the bytes, so the hand-off is the request we
                # can see; it is counted as a successful one (the double-click filter applies).
                # Range requests are the client's later pieces of the same download.
                log_from_request(session, row.record, "request", 200)
                session.commit()
            return redirect(url, code=302)  # type: ignore[return-value]
        response = _stream_remote(store, row, name)
    else:
        response = send_file(
            path,
            mimetype=row.mimetype,
            as_attachment=True,
            download_name=name,
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
    # COUNTER: a request of a published dataset (200 or 304 only; app.services.usage).
    if row.record.state == "published" and response.status_code in (200, 304):
        log_from_request(session, row.record, "request", response.status_code)
        session.commit()
    return response


def _stream_remote(store, row, name: str) -> Response:  # type: ignore[no-untyped-def]
    """A remote object streamed through the app, 1 MiB at a time, with the conditional and
    single-``Range`` handling ``send_file`` gives local files: 304 for a matching
    ``If-None-Match``, 206 for a satisfiable range (only those bytes are fetched), 416 else.
    A multi-range or ``If-Range`` that does not match gets the whole file."""
    size, sha = row.object.size, row.object_sha256
    if request.if_none_match.contains(sha):
        response = Response(status=304)
        response.set_etag(sha)
        return response
    start, stop = 0, size
    status = 200
    wanted = request.range
    if_range_ok = "If-Range" not in request.headers or request.if_range.etag == sha
    if wanted is not None and if_range_ok and len(wanted.ranges) == 1:
        bounds = wanted.range_for_length(size)
        if bounds is None:
            response = Response(status=416)
            response.headers["Content-Range"] = f"bytes */{size}"
            return response
        start, stop = bounds
        status = 206
    source = store.open_range(sha, start, stop - 1) if status == 206 else store.open(sha)

    def body():  # type: ignore[no-untyped-def]
        try:
            while chunk := source.read(CHUNK_SIZE):
                yield chunk
        finally:
            source.close()

    response = Response(body() if stop > start else iter(()), status=status, mimetype=row.mimetype)
    response.direct_passthrough = True
    response.content_length = stop - start
    response.headers["Accept-Ranges"] = "bytes"
    if status == 206:
        response.headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    response.set_etag(sha)
    response.last_modified = row.created_at
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    response.headers["Content-Disposition"] = _attachment(name)
    return response


def _attachment(name: str) -> str:
    ascii_name = name.encode("ascii", "replace").decode().replace("\\", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


def _expected_digests() -> tuple[str | None, str | None]:
    """The digests the client announced (hex), from ``Content-MD5`` and ``Digest``; a
    malformed header is a 400 naming it. Unknown ``Digest`` algorithms are ignored."""
    md5 = sha256 = None
    if "Content-MD5" in request.headers:
        md5 = _b64_hex(request.headers["Content-MD5"], "/Content-MD5", 16, "MD5")
    if "Digest" in request.headers:
        for part in request.headers["Digest"].split(","):
            name, sep, value = part.strip().partition("=")
            algorithm = name.strip().lower()
            if not sep and not algorithm:
                continue
            if not sep:
                raise field_error("/Digest", "must be a list of <algorithm>=<base64 digest>")
            if algorithm == "sha-256":
                sha256 = _b64_hex(value, "/Digest", 32, "SHA-256")
            elif algorithm == "md5":
                md5 = _b64_hex(value, "/Digest", 16, "MD5")
    return md5, sha256


def _b64_hex(value: str, field: str, length: int, algorithm: str) -> str:
    """Decode a base64 digest of ``length`` bytes to hex, or raise a 400 naming ``field``."""
    try:
        raw = base64.b64decode(value.strip().encode("ascii"), validate=True)
    except (ValueError, UnicodeEncodeError):
        raise field_error(field, f"must be a base64-encoded {algorithm} digest") from None
    if len(raw) != length:
        raise field_error(
            field,
            f"must be a base64-encoded {algorithm} digest ({length} bytes; this one decodes to {len(raw)})",
        )
    return raw.hex()
