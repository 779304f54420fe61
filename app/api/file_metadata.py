"""Metadata proposed from a draft's file (the ``extract-file-metadata`` job's result)."""

from __future__ import annotations

from flask import jsonify
from flask.wrappers import Response

from app.api import bp
from app.auth import current_actor, optional_scope
from app.db import get_session
from app.services import extraction as svc


@bp.get("/records/<record_id>/draft/files/<path:key>/metadata")
def file_metadata(record_id: str, key: str) -> Response:
    """Extraction state (pending, done, nothing, failed, none) and the proposed fragment with
    its sources. Who may download the file may read this; nothing is applied to the record."""
    optional_scope("read")
    return jsonify(svc.proposal(get_session(), current_actor(), record_id, key))
