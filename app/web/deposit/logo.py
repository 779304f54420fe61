"""The dataset logo (static/js/logo.js): ``POST /records/<id>/edit/logo`` (multipart field
``logo``, CSRF token) stores an image as a file of the draft and answers its key and address;
the form then names it in ``/graphic_overviews/<i>`` (``file``, ``type`` = logo) like any typed
value, so the metadata is saved by the usual autosave.

Limits: ``LOGO_MAX_SIZE`` bytes (413), and PNG, JPEG, GIF or WebP only, judged by the file's
first bytes, not its name (400). SVG is refused: it can carry scripts. Errors name ``/logo``.
"""

from __future__ import annotations

import io

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.wrappers import Response
from flask_login import login_required

from app.auth import current_actor
from app.db import get_session
from app.services import files as files_svc
from app.services import uploads as uploads_svc
from app.services.errors import PayloadTooLarge, ServiceError, field_error

#: (first bytes, extension, media type) of the accepted image formats.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"GIF87a", "gif", "image/gif"),
    (b"GIF89a", "gif", "image/gif"),
)


def image_kind(head: bytes) -> tuple[str, str] | None:
    """(extension, media type) of a PNG, JPEG, GIF or WebP image by its first bytes, or None."""
    for magic, ext, media in SIGNATURES:
        if head.startswith(magic):
            return ext, media
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp", "image/webp"
    return None


def _error(exc: ServiceError) -> Response:
    body = {
        "status": exc.status,
        "message": exc.message,
        "errors": [{"field": e.field, "messages": e.messages} for e in exc.errors or []],
    }
    response = jsonify(body)
    response.status_code = exc.status
    return response


def init_blueprint(bp: Blueprint, own_draft) -> None:  # type: ignore[no-untyped-def]
    @bp.post("/records/<record_id>/edit/logo")
    @login_required
    def upload_logo(record_id: str) -> Response:
        db = get_session()
        record = own_draft(db, record_id)
        cfg = current_app.config
        limit = int(cfg["LOGO_MAX_SIZE"])
        try:
            upload = request.files.get("logo")
            if upload is None or not upload.filename:
                raise field_error("/logo", "choose an image file to upload")
            data = upload.read(limit + 1)
            upload.close()
            if len(data) > limit:
                exc = PayloadTooLarge(f"the logo is larger than {limit // 1024} KiB")
                exc.errors = [_field("/logo", f"must be at most {limit // 1024} KiB (this file is larger)")]
                raise exc
            kind = image_kind(data[:16])
            if kind is None:
                raise field_error(
                    "/logo", "must be a PNG, JPEG, GIF or WebP image (SVG and other files are not accepted)"
                )
            ext, media = kind
            key = f"logo.{ext}"
            uploads_svc.check_room(len(data), uploads_svc.room(db, record, record.owner_id, key, cfg))
            files_svc.upload(
                db,
                current_actor(),
                current_app.extensions["alluvium.store"],
                record.id,
                key,
                io.BytesIO(data),
                content_length=len(data),
                content_type=media,
                max_size=min(limit, int(cfg["MAX_FILE_SIZE"])),
                max_files=int(cfg["MAX_FILES_PER_RECORD"]),
            )
            db.commit()
        except ServiceError as exc:
            db.rollback()
            return _error(exc)
        url = url_for("api.download_draft_file", record_id=record.id, key=key)
        response = jsonify({"key": key, "url": url, "size": len(data), "mimetype": media})
        response.status_code = 201
        return response


def _field(pointer: str, message: str):  # type: ignore[no-untyped-def]
    from schemas import FieldError

    return FieldError(pointer, [message])
