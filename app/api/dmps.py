"""Data management plans under /api/dmps (docs/dmp.md, docs/api.md)."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, request
from flask.wrappers import Response
from sqlalchemy.orm import Session

from app.api import bp
from app.api.common import base_url, if_match, json_body, serialize_record, text_field
from app.auth import current_actor, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.models import Dmp, DmpShare, DmpVersion, Record
from app.services import dmps as svc
from app.services import opidor
from app.services.errors import field_error
from app.services.records import latest_published
from schemas import dmp as dmp_schema


def _only(data: dict[str, Any], allowed: set[str]) -> None:
    for key in data:
        if key not in allowed:
            raise field_error(f"/{key}", f"is not a known field (known: {', '.join(sorted(allowed))})")


def datasets_state(session: Session, dmp: Dmp) -> list[dict[str, Any]]:
    """Each planned dataset with the deposit it is linked to (state, DOI) if any."""
    links = svc.links(session, dmp)
    out = []
    for index, dataset in enumerate(dmp.plan.get("dataset") or []):
        entry: dict[str, Any] = {"index": index, "title": dataset.get("title"), "deposit": None}
        link = links.get(index)
        if link is not None:
            record = session.get(Record, link.record_id)
            published = latest_published(session, link.parent_id)
            doi = next((p.value for p in published.pids if p.scheme == "doi"), None) if published else None
            entry["deposit"] = {
                "record_id": link.record_id,
                "parent_id": link.parent_id,
                "state": record.state if record else None,
                "published_id": published.id if published else None,
                "doi": doi,
            }
        out.append(entry)
    return out


def serialize(session: Session, dmp: Dmp) -> dict[str, Any]:
    actor = current_actor()
    api = f"{base_url()}/api/dmps/{dmp.id}"
    return {
        "id": dmp.id,
        "revision_id": dmp.revision,
        "title": dmp_schema.plan_title(dmp.plan),
        "plan": dmp.plan,
        "owner": {"id": dmp.owner_id, "email": dmp.owner.email},
        "access": svc.access_level(session, actor, dmp),
        "source": dmp.source,
        "created": dmp.created_at.isoformat(),
        "updated": dmp.updated_at.isoformat(),
        "datasets": datasets_state(session, dmp),
        "links": {
            "self": api,
            "self_html": svc.plan_url(base_url(), dmp.id),
            "versions": api + "/versions",
            "shares": api + "/shares",
            "madmp": api + "/export/madmp",
        },
    }


def _plan_response(session: Session, dmp: Dmp, status: int = 200, extra: dict | None = None) -> Response:
    response = jsonify(serialize(session, dmp) | (extra or {}))
    response.status_code = status
    response.headers["ETag"] = f'"{dmp.revision}"'
    return response


def _version_json(version: DmpVersion, *, with_plan: bool = False) -> dict[str, Any]:
    out = {
        "number": version.number,
        "action": version.action,
        "actor_id": version.actor_id,
        "created": version.created_at.isoformat(),
        "changes": version.changes,
        "note": version.note,
    }
    if with_plan:
        out["plan"] = version.plan
    return out


def _share_json(share: DmpShare) -> dict[str, Any]:
    return {"user_id": share.user_id, "email": share.user.email, "permission": share.permission}


@bp.get("/dmps")
@require_scope("read")
def list_dmps() -> Response:
    """The caller's plans and the plans shared with them."""
    session = get_session()
    items = svc.list_plans(session, current_actor())
    return jsonify(
        {
            "hits": {
                "hits": [
                    {
                        "id": d.id,
                        "title": dmp_schema.plan_title(d.plan),
                        "access": level,
                        "modified": d.plan.get("modified"),
                        "revision_id": d.revision,
                        "links": {"self": f"{base_url()}/api/dmps/{d.id}"},
                    }
                    for d, level in items
                ],
                "total": len(items),
            }
        }
    )


@bp.post("/dmps")
@require_scope("deposit")
def create_dmp() -> Response:
    """Create a plan. Body: ``{"plan": <maDMP 1.2 dmp object>}``; identifiers and dates filled in."""
    data = json_body()
    _only(data, {"plan"})
    session = get_session()
    dmp = svc.create_plan(session, current_actor(), data.get("plan"), base_url())
    commit(session)
    return _plan_response(session, dmp, 201)


@bp.post("/dmps/import")
@require_scope("deposit")
def import_dmp() -> Response:
    """Import a maDMP JSON document (1.0, 1.1 or 1.2). 400 with the JSON Pointer of each error."""
    data = json_body()
    session = get_session()
    result = svc.import_plan(session, current_actor(), data, base_url())
    commit(session)
    return _plan_response(
        session,
        result.dmp,
        201,
        {"import": {"version": result.version, "adjusted": result.adjusted, "unmapped": result.unmapped}},
    )


@bp.get("/dmps/<dmp_id>")
@require_scope("read")
def get_dmp(dmp_id: str) -> Response:
    session = get_session()
    return _plan_response(session, svc.get_plan(session, current_actor(), dmp_id))


def _update(dmp_id: str, patch: bool) -> Response:
    expected = if_match()
    data = json_body()
    _only(data, {"plan"})
    session = get_session()
    dmp = svc.update_plan(
        session,
        current_actor(),
        dmp_id,
        data.get("plan"),
        expected_revision=expected,
        patch=patch,
        base_url=base_url(),
    )
    commit(session)
    return _plan_response(session, dmp)


@bp.put("/dmps/<dmp_id>")
@require_scope("deposit")
def replace_dmp(dmp_id: str) -> Response:
    """Replace the plan (``If-Match`` required)."""
    return _update(dmp_id, False)


@bp.patch("/dmps/<dmp_id>")
@require_scope("deposit")
def patch_dmp(dmp_id: str) -> Response:
    """Merge-patch (RFC 7396) the plan (``If-Match`` required)."""
    return _update(dmp_id, True)


@bp.delete("/dmps/<dmp_id>")
@require_scope("deposit")
def delete_dmp(dmp_id: str) -> Response:
    session = get_session()
    svc.delete_plan(session, current_actor(), dmp_id)
    commit(session)
    return Response(status=204)


@bp.get("/dmps/<dmp_id>/versions")
@require_scope("read")
def dmp_versions(dmp_id: str) -> Response:
    session = get_session()
    versions = svc.list_versions(session, current_actor(), dmp_id)
    return jsonify({"hits": {"hits": [_version_json(v) for v in versions], "total": len(versions)}})


@bp.get("/dmps/<dmp_id>/versions/<int:number>")
@require_scope("read")
def dmp_version(dmp_id: str, number: int) -> Response:
    session = get_session()
    return jsonify(_version_json(svc.get_version(session, current_actor(), dmp_id, number), with_plan=True))


@bp.get("/dmps/<dmp_id>/shares")
@require_scope("read")
def dmp_shares(dmp_id: str) -> Response:
    session = get_session()
    return jsonify({"shares": [_share_json(s) for s in svc.list_shares(session, current_actor(), dmp_id)]})


@bp.post("/dmps/<dmp_id>/shares")
@require_scope("deposit")
def share_dmp(dmp_id: str) -> Response:
    """Share with a co-author. Body: ``{"email": …, "permission": "edit" | "read"}``."""
    data = json_body()
    _only(data, {"email", "permission"})
    session = get_session()
    share = svc.share(
        session,
        current_actor(),
        dmp_id,
        text_field(data, "email", required=True),
        text_field(data, "permission", required=True),
    )
    commit(session)
    return jsonify(_share_json(share)), 201


@bp.delete("/dmps/<dmp_id>/shares/<int:user_id>")
@require_scope("deposit")
def unshare_dmp(dmp_id: str, user_id: int) -> Response:
    session = get_session()
    svc.unshare(session, current_actor(), dmp_id, user_id)
    commit(session)
    return Response(status=204)


@bp.get("/dmps/<dmp_id>/export/madmp")
@require_scope("read")
def export_dmp(dmp_id: str) -> Response:
    """maDMP JSON: ``?version=1.2`` (default) or ``1.1`` (the shape DMP OPIDoR serves and takes)."""
    version = request.args.get("version", "1.2")
    session = get_session()
    document, dropped = svc.export(session, current_actor(), dmp_id, version)
    response = jsonify(document)
    if dropped:
        response.headers["X-Alluvium-Dropped"] = str(len(dropped))
    response.headers["Content-Disposition"] = f'attachment; filename="dmp-{dmp_id}-madmp-{version}.json"'
    return response


@bp.post("/dmps/<dmp_id>/datasets/<int:index>/link")
@require_scope("deposit")
def link_dmp_dataset(dmp_id: str, index: int) -> Response:
    """Link planned dataset ``index`` to a record. Body: ``{"record_id": …}``."""
    data = json_body()
    _only(data, {"record_id"})
    session = get_session()
    svc.link_dataset(session, current_actor(), dmp_id, index, text_field(data, "record_id", required=True))
    commit(session)
    dmp = svc.get_plan(session, current_actor(), dmp_id)
    return _plan_response(session, dmp)


@bp.post("/dmps/<dmp_id>/datasets/<int:index>/deposit")
@require_scope("deposit")
def start_dmp_deposit(dmp_id: str, index: int) -> Response:
    """Start the deposit of planned dataset ``index``: a draft pre-filled from the plan."""
    session = get_session()
    record, notes = svc.start_deposit(session, current_actor(), dmp_id, index)
    commit(session)
    response = jsonify({"record": serialize_record(session, record), "notes": notes})
    response.status_code = 201
    response.headers["Location"] = f"{base_url()}/api/records/{record.id}/draft"
    return response


@bp.post("/dmps/opidor/import")
@require_scope("deposit")
def opidor_import() -> Response:
    """Fetch a plan from DMP OPIDoR (``export_format=rda``) and import it. Body: ``{"plan_id": …}``."""
    data = json_body()
    _only(data, {"plan_id"})
    plan_id = text_field(data, "plan_id", required=True).strip()
    client = opidor.client_from_config(current_app.config)
    session = get_session()
    result = opidor.import_from_opidor(session, current_actor(), client, plan_id, base_url())
    commit(session)
    return _plan_response(
        session,
        result.dmp,
        201,
        {"import": {"version": result.version, "adjusted": result.adjusted, "unmapped": result.unmapped}},
    )


@bp.post("/dmps/<dmp_id>/opidor/push")
@require_scope("deposit")
def opidor_push(dmp_id: str) -> Response:
    """Send the plan to DMP OPIDoR's import endpoint (a new plan there: docs/dmp.md)."""
    client = opidor.client_from_config(current_app.config)
    session = get_session()
    outcome = opidor.push_to_opidor(session, current_actor(), client, dmp_id)
    commit(session)
    return jsonify(outcome)
