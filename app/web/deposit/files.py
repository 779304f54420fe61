"""The form's files, metadata proposals and DOI (routes of the deposit blueprint).

* ``POST /records/<id>/edit/files``: a file sent by the plain HTML form (no JavaScript). With
  JavaScript, ``static/js/uploader.js`` sends files through tus (``/api/records/<id>/draft/uploads``)
  instead: resumable, with progress, pause and cancel.
* ``POST /records/<id>/edit/files/delete`` and ``.../rename`` (form fields ``key``, ``new_key``):
  delete or rename a draft's file without JavaScript (``app.services.files``); with JavaScript,
  ``uploader.js`` calls ``DELETE`` / ``PATCH /api/records/<id>/draft/files/<key>`` instead.
  Errors come back on the form under the pointer ``/rename/<key>`` (or ``/file``).
* ``GET /records/<id>/edit/files/<key>/proposals``: what the ``extract-file-metadata`` job read
  from a file, as "use / ignore" rows; "use" is applied by ``deposit.js`` through the same
  ``PATCH`` as any other change (nothing is applied by the server).
* ``POST /records/<id>/edit/doi``: reserve a DOI for the draft (``app.services.dois``).
"""

from __future__ import annotations

import json
from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask.wrappers import Response
from flask_login import login_required

from app.auth import current_actor
from app.db import get_session
from app.jobs_runtime import commit
from app.models import Record
from app.services import dois
from app.services import extraction as extraction_svc
from app.services import files as files_svc
from app.services import uploads as uploads_svc
from app.services.errors import PayloadTooLarge, ServiceError, field_error
from app.web.deposit import help as helptexts
from schemas import FieldError


def register(bp) -> None:  # type: ignore[no-untyped-def]
    bp.add_url_rule(
        "/records/<record_id>/edit/files", "upload_file", login_required(upload_file), methods=["POST"]
    )
    bp.add_url_rule(
        "/records/<record_id>/edit/files/delete", "delete_file", login_required(delete_file), methods=["POST"]
    )
    bp.add_url_rule(
        "/records/<record_id>/edit/files/rename", "rename_file", login_required(rename_file), methods=["POST"]
    )
    bp.add_url_rule(
        "/records/<record_id>/edit/files/<path:key>/proposals", "proposals", login_required(proposals)
    )
    bp.add_url_rule(
        "/records/<record_id>/edit/doi", "reserve_doi", login_required(reserve_doi), methods=["POST"]
    )


def upload_file(record_id: str) -> Response:
    """One file from the plain form, stored with the same checks as the REST API's ``PUT``
    (size limit, per-draft and per-user quotas, state), then back to the form."""
    from app.web.deposit import _own_draft, _page

    db = get_session()
    record = _own_draft(db, record_id)
    chosen = [f for f in request.files.getlist("file") if f.filename]
    cfg = current_app.config
    try:
        if not chosen:
            raise field_error("/file", "choose a file to upload")
        for one in chosen:
            _store_one(db, record, one, cfg)
        commit(db)  # then the extraction job runs (at once in eager mode)
    except ServiceError as exc:
        db.rollback()
        return _page(
            db, _own_draft(db, record_id), errors=exc.errors or [FieldError("/file", [exc.message])],
            status=exc.status,
        )  # fmt: skip
    return redirect(url_for("deposit.edit", record_id=record_id) + "#files", code=303)


def delete_file(record_id: str) -> Response:
    """Remove one file from the draft (the form's "Delete" after its confirmation step)."""
    from app.web.deposit import _own_draft, _page

    db = get_session()
    _own_draft(db, record_id)
    key = request.form.get("key", "")
    try:
        files_svc.delete(db, current_actor(), record_id, key)
        commit(db)
    except ServiceError as exc:
        db.rollback()
        return _page(
            db, _own_draft(db, record_id), errors=[FieldError("/file", [exc.message])], status=exc.status
        )
    return redirect(url_for("deposit.edit", record_id=record_id) + "#files", code=303)


def rename_file(record_id: str) -> Response:
    """Give one of the draft's files a new name (same stored content)."""
    from app.web.deposit import _own_draft, _page

    db = get_session()
    _own_draft(db, record_id)
    key = request.form.get("key", "")
    try:
        files_svc.rename(db, current_actor(), record_id, key, request.form.get("new_key", ""))
        commit(db)
    except ServiceError as exc:
        db.rollback()
        messages = [m for e in exc.errors for m in e.messages] or [exc.message]
        return _page(
            db, _own_draft(db, record_id), errors=[FieldError(f"/rename/{key}", messages)], status=exc.status
        )
    return redirect(url_for("deposit.edit", record_id=record_id) + "#files", code=303)


def _store_one(db, record: Record, chosen, cfg) -> None:  # type: ignore[no-untyped-def]
    key = chosen.filename.strip()
    chosen.stream.seek(0, 2)
    size = chosen.stream.tell()
    chosen.stream.seek(0)
    actor = current_actor()
    key = files_svc.check_upload(
        db, actor, record.id, key, content_length=size, max_size=cfg["MAX_FILE_SIZE"],
        max_files=cfg["MAX_FILES_PER_RECORD"],
    )  # fmt: skip
    room = uploads_svc.check_room(size, uploads_svc.room(db, record, record.owner_id, key, cfg))
    # The body is already received (werkzeug spooled it): storing it holds no client.
    try:
        stored, mimetype = files_svc.store_body(
            current_app.extensions["alluvium.store"], chosen.stream, key, content_length=size,
            content_type=chosen.mimetype, max_size=room.limit,
        )  # fmt: skip
    except PayloadTooLarge:
        raise uploads_svc.too_large(size, room) from None
    files_svc.attach(db, actor, record.id, key, stored, mimetype, max_files=cfg["MAX_FILES_PER_RECORD"])
    db.flush()


def size_text(size: int) -> str:
    """A file size for people, in the interface language's number format (1,5 Mo in French)."""
    from flask_babel import format_decimal
    from flask_babel import gettext as _

    units = [_("%(num)s bytes"), _("%(num)s kB"), _("%(num)s MB"), _("%(num)s GB"), _("%(num)s TB")]
    value, unit = float(size), 0
    while value >= 1000 and unit < len(units) - 1:
        value, unit = value / 1000, unit + 1
    number = format_decimal(value, format="#,##0" if unit == 0 else "#,##0.#")
    return units[unit] % {"num": number}


_BOX_ORDER = {"west": 0, "east": 1, "south": 2, "north": 3}


def _summary(value: Any) -> str:
    """A value of the canonical record in a few words: ``West longitude -5.2, East longitude …``."""
    if isinstance(value, dict):
        parts = []
        # A box reads west, east, south, north, as in the form, whatever order the extractor
        # wrote its keys in; other keys follow in their own order.
        ordered = sorted(value.items(), key=lambda kv: _BOX_ORDER.get(kv[0], len(_BOX_ORDER)))
        for k, v in ordered:
            name = str(helptexts.LABELS.get(k, k.replace("_", " ")))
            parts.append(f"{name}: {_summary(v)}" if isinstance(v, dict | list) else f"{name} {v}")
        return ", ".join(parts)
    if isinstance(value, list):
        return "; ".join(_summary(v) for v in value)
    return str(value)


def proposal_rows(metadata: dict[str, Any], found: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per proposed value (a list item or a whole field), minus those the record
    already holds: (pointer, field label, value as JSON, summary, source note)."""
    fragment = found.get("fragment") or {}
    sources = found.get("sources") or {}
    rows = []
    for key, value in fragment.items():
        items = (
            [(f"/{key}/{i}", v) for i, v in enumerate(value)]
            if isinstance(value, list)
            else [(f"/{key}", value)]
        )
        for pointer, item in items:
            current = metadata.get(key)
            held = (
                item in current if isinstance(current, list) and isinstance(value, list) else current == item
            )
            if held:
                continue
            summary = _summary(item)
            rows.append(
                {
                    "pointer": pointer,
                    "field": key,
                    "list": isinstance(value, list),
                    "label": helptexts.pointer_label(f"/{key}"),
                    "value": json.dumps(item, ensure_ascii=False),
                    "summary": summary if len(summary) <= 240 else summary[:239] + "…",
                    "note": sources.get(pointer, ""),
                }
            )
    return rows


def proposals(record_id: str, key: str) -> tuple[str, int] | str:
    """The proposals read from one file, as rows of "use / ignore" (a fragment for the form)."""
    from app.web.deposit import _own_draft

    db = get_session()
    record: Record = _own_draft(db, record_id)
    found = extraction_svc.proposal(db, current_actor(), record_id, key)
    rows = proposal_rows(record.metadata_ or {}, found) if found["state"] == "done" else []
    html = render_template("deposit/proposals.html", record=record, key=key, found=found, rows=rows)
    # 202 while the job has not run yet: the form asks again a little later.
    return (html, 202) if found["state"] == "pending" else html


def reserve_doi(record_id: str) -> Response:
    """Reserve a DOI for the draft (registered at DataCite as a draft DOI when a DataCite
    account is configured), then back to the form, where it shows as reserved."""
    from app.api.common import base_url
    from app.web.deposit import _own_draft, _page

    db = get_session()
    _own_draft(db, record_id)
    try:
        dois.reserve(db, current_actor(), record_id, dois.provider_for(current_app.config), base_url())
        commit(db)  # then the doi-sync job registers the draft DOI
    except ServiceError as exc:
        db.rollback()
        return _page(
            db, _own_draft(db, record_id), errors=exc.errors or [FieldError("/doi", [exc.message])],
            status=exc.status,
        )  # fmt: skip
    return redirect(url_for("deposit.edit", record_id=record_id) + "#doi", code=303)
