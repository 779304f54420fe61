"""A draft's DOI: reserve one (DataCite draft DOI) or declare the one it already has."""

from __future__ import annotations

from flask import current_app, jsonify
from flask.wrappers import Response

from app.api import bp
from app.api.common import base_url, json_body
from app.auth import current_actor, optional_scope, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.services import dois
from app.services import records as svc
from app.services.errors import NotFound, field_error


@bp.get("/records/<record_id>/doi")
def get_doi(record_id: str) -> Response:
    """The version's DOI and its status: ``reserved`` (not yet registered), ``pending``
    (published, registration at DataCite under way) or ``registered``. 404 without a DOI."""
    optional_scope("read")
    session = get_session()
    record = svc.get_record(session, current_actor(), record_id)
    info = dois.doi_info(session, record)
    if info is None:
        raise NotFound(f"record {record_id} has no DOI")
    return jsonify(info)


@bp.post("/records/<record_id>/doi")
@require_scope("deposit")
def reserve_doi(record_id: str) -> Response:
    """Body ``{}``: reserve a DOI for the draft (registered at DataCite as a draft DOI).
    Body ``{"doi": "10.x/y"}``: the draft already has this DOI (an imported record); it is kept.
    201 when the DOI is new to the draft, 200 when it already had it."""
    data = json_body(required=False)
    unknown = sorted(set(data) - {"doi"})
    if unknown:
        raise field_error(f"/{unknown[0]}", "unknown field (allowed: doi)")
    session = get_session()
    actor = current_actor()
    record = svc.get_record(session, actor, record_id)
    had = dois.doi_pid(record)
    provider = dois.provider_for(current_app.config)
    if "doi" in data:
        dois.adopt(session, actor, record_id, data["doi"], provider)
    else:
        dois.reserve(session, actor, record_id, provider, base_url())
    commit(session)
    response = jsonify(dois.doi_info(session, record))
    response.status_code = 200 if had is not None else 201
    return response
