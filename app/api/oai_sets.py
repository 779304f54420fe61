"""OAI-PMH sets defined by administrators (``/api/oai/sets``); the protocol itself is at ``/oai``."""

from __future__ import annotations

from flask import jsonify
from flask.wrappers import Response

from app.api import bp
from app.api.common import json_body
from app.auth import current_actor, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.oai import admin


@bp.get("/oai/sets")
def list_oai_sets() -> Response:
    rows = admin.list_admin_sets(get_session())
    return jsonify({"hits": {"hits": [admin.set_json(s) for s in rows], "total": len(rows)}})


@bp.put("/oai/sets/<spec>")
@require_scope("moderate")
def put_oai_set(spec: str) -> Response:
    """Admins. Body: ``{"name": "…", "description": "…", "criteria": {"communities": [...], …}}``."""
    data = json_body()
    session = get_session()
    oai_set, created = admin.put_admin_set(
        session,
        current_actor(),
        spec,
        name=data.get("name"),
        description=data.get("description", ""),
        criteria=data.get("criteria", {}),
    )
    body = admin.set_json(oai_set)
    commit(session)
    response = jsonify(body)
    response.status_code = 201 if created else 200
    return response


@bp.delete("/oai/sets/<spec>")
@require_scope("moderate")
def delete_oai_set(spec: str) -> Response:
    session = get_session()
    admin.delete_admin_set(session, current_actor(), spec)
    commit(session)
    return Response(status=204)
