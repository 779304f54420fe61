"""Communities (AERIS, ForM@Ter, ODATIS, THEIA, PNDB, and any an admin creates)."""

from __future__ import annotations

from flask import jsonify
from flask.wrappers import Response
from sqlalchemy import select

from app.api import bp
from app.api.common import json_body, text_field
from app.auth import current_actor, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.models import Community
from app.services import accounts


def _community_json(c: Community) -> dict:
    return {"id": c.slug, "title": c.title, "description": c.description}


@bp.get("/communities")
def list_communities() -> Response:
    rows = get_session().scalars(select(Community).order_by(Community.slug)).all()
    return jsonify({"hits": {"hits": [_community_json(c) for c in rows], "total": len(rows)}})


@bp.post("/communities")
@require_scope("moderate")
def create_community() -> Response:
    """Admins only. Body: ``{"id": "aeris", "title": "…", "description": "…"}``."""
    data = json_body()
    session = get_session()
    community = accounts.create_community(
        session,
        current_actor(),
        text_field(data, "id", required=True),
        text_field(data, "title", required=True),
        text_field(data, "description"),
    )
    commit(session)
    response = jsonify(_community_json(community))
    response.status_code = 201
    return response
