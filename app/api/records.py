"""Records, drafts, lifecycle actions, versions and events."""

from __future__ import annotations

from flask import current_app, jsonify, redirect, request, url_for
from flask.wrappers import Response
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app import search
from app.api import bp
from app.api.common import (
    base_url,
    findings_json,
    if_match,
    json_body,
    page_response,
    pagination,
    record_response,
    serialize_record,
    text_field,
    withdrawn_stub,
)
from app.auth import current_actor, optional_scope, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.models import Event, Record
from app.pid import provider_from_config
from app.search.interface import (
    BBOX_RELATIONS,
    FACETS,
    MAX_FACET_VALUES,
    MAX_VALUE,
    SORTS,
    QueryError,
    SearchQuery,
    decode_cursor,
    encode_cursor,
    parse_bbox,
    parse_q,
    parse_time,
)
from app.services import accounts
from app.services import records as svc
from app.services.errors import field_error
from curation import Actor


@bp.get("/records")
def search_records() -> Response:
    """Search the published records (docs/search.md): ``q``, ``bbox`` (+ ``bbox_relation``),
    ``time``, one parameter per facet, ``sort``, ``size``, ``cursor`` (or ``page``),
    ``all_versions``. Only what anyone may see: published, registered, latest versions."""
    optional_scope("read")
    session = get_session()
    query, page = search_query()
    result = search.search(current_app._get_current_object(), session, query)  # type: ignore[attr-defined]
    records = {r.id: r for r in session.scalars(select(Record).where(Record.id.in_(result.record_ids)))}
    hits = []
    for rid in result.record_ids:
        record = records.get(rid)
        if record is None or record.state != "published":
            continue  # an external index lagging behind the database never shows more than it
        hit = serialize_record(session, record)
        if rid in result.snippets:
            hit["snippet"] = result.snippets[rid]
        hits.append(hit)
    args = request.args.to_dict(flat=False)
    args.pop("cursor", None)
    args.pop("page", None)
    links = {"self": url_for("api.search_records", **request.args.to_dict(flat=False))}
    if result.next_cursor is not None:
        if page is None:
            links["next"] = url_for(
                "api.search_records", **args, cursor=encode_cursor(query.sort, result.next_cursor)
            )
        else:
            links["next"] = url_for("api.search_records", **args, page=page + 1)
    return jsonify(
        {
            "hits": {"hits": hits, "total": result.total},
            "aggregations": {
                facet: {"buckets": [{"key": key, "doc_count": n} for key, n in buckets]}
                for facet, buckets in result.aggregations.items()
            },
            "sortBy": query.sort,
            "links": links,
        }
    )


def search_query(args: MultiDict[str, str] | None = None) -> tuple[SearchQuery, int | None]:
    """The request's search parameters (or ``args``: the search page's, already mapped to the
    API's names, default page size); 400 naming the parameter for bad input."""
    from_request = args is None
    args = request.args if args is None else args
    known = {"q", "bbox", "bbox_relation", "time", "sort", "size", "cursor", "page", "all_versions", *FACETS}
    unknown = sorted(set(args) - known)
    if unknown:
        raise field_error(f"/{unknown[0]}", f"is not a search parameter (known: {', '.join(sorted(known))})")
    for name in known - set(FACETS):
        if len(args.getlist(name)) > 1:
            raise field_error(f"/{name}", "must be given once")
    size = pagination()[1] if from_request else current_app.config["API_PAGE_SIZE"]
    try:
        terms = parse_q(args.get("q", ""))
        bbox = parse_bbox(args["bbox"]) if args.get("bbox", "").strip() else None
        relation = args.get("bbox_relation", "intersects")
        if relation not in BBOX_RELATIONS:
            raise QueryError("/bbox_relation", f"must be one of {', '.join(BBOX_RELATIONS)}")
        time_raw = args.get("time", "").strip()
        start, end = parse_time(time_raw) if time_raw else (None, None)
        sort = args.get("sort") or ("relevance" if terms else "newest")
        if sort not in SORTS:
            raise QueryError("/sort", f"must be one of {', '.join(SORTS)}")
        filters: dict[str, tuple[str, ...]] = {}
        for facet in FACETS:
            values = [v.strip() for v in args.getlist(facet) if v.strip()]
            if len(values) > MAX_FACET_VALUES:
                raise QueryError(f"/{facet}", f"at most {MAX_FACET_VALUES} values")
            if any(len(v) > MAX_VALUE for v in values):
                raise QueryError(f"/{facet}", f"a value is longer than {MAX_VALUE} characters")
            if values:
                filters[facet] = tuple(dict.fromkeys(values))
        cursor = decode_cursor(args["cursor"], sort) if args.get("cursor") else None
        all_versions = args.get("all_versions", "false").lower()
        if all_versions not in ("true", "false", "1", "0"):
            raise QueryError("/all_versions", "must be true or false")
    except QueryError as exc:
        raise field_error(exc.field, exc.message) from None
    page = None
    if "page" in args and from_request:
        if cursor is not None:
            raise field_error("/page", "give either page or cursor, not both")
        page, _ = pagination()
    query = SearchQuery(
        terms=terms,
        filters=filters,
        bbox=bbox,
        bbox_relation=relation,
        time_start=start,
        time_end=end,
        time_given=bool(time_raw),
        sort=sort,
        size=size,
        cursor=cursor,
        offset=(page - 1) * size if page else 0,
        all_versions=all_versions in ("true", "1"),
    )
    return query, page


@bp.post("/records")
@require_scope("deposit")
def create_record() -> Response:
    """Create a draft. Body: ``{"metadata": {...}, "community": "aeris"}`` (both optional)."""
    data = json_body(required=False)
    _only(data, {"metadata", "community"})
    session = get_session()
    record = svc.create_draft(session, current_actor(), data.get("metadata") or {}, _community(data))
    commit(session)
    return record_response(session, record, 201)


@bp.get("/user/records")
@require_scope("read")
def user_records() -> Response:
    session = get_session()
    page, size = pagination()
    state = request.args.get("state")
    result = svc.list_user_records(session, current_actor(), state=state, page=page, size=size)
    return page_response(session, result, "api.user_records", **({"state": state} if state else {}))


@bp.get("/records/<record_id>/draft")
@require_scope("read")
def get_draft(record_id: str) -> Response:
    session = get_session()
    return record_response(session, svc.get_record(session, current_actor(), record_id))


@bp.put("/records/<record_id>/draft")
@require_scope("deposit")
def replace_draft(record_id: str) -> Response:
    """Replace the draft's metadata. Needs ``If-Match``; 412 when stale."""
    return _update(record_id, patch=False)


@bp.patch("/records/<record_id>/draft")
@require_scope("deposit")
def patch_draft(record_id: str) -> Response:
    """Merge-patch (RFC 7396) the draft's metadata. Needs ``If-Match``; 412 when stale."""
    return _update(record_id, patch=True)


def _update(record_id: str, *, patch: bool) -> Response:
    expected = if_match()
    data = json_body()
    _only(data, {"metadata", "community"})
    if "metadata" not in data and "community" not in data:
        raise field_error("/metadata", "send the metadata to store")
    metadata = data.get("metadata")
    if "metadata" in data and not isinstance(metadata, dict):
        raise field_error("/metadata", "must be a JSON object")
    session = get_session()
    kwargs = {"community": _community(data)} if "community" in data else {}
    record = svc.update_draft(
        session,
        current_actor(),
        record_id,
        metadata=metadata,
        expected_revision=expected,
        patch=patch,
        **kwargs,
    )
    commit(session)
    return record_response(session, record)


@bp.delete("/records/<record_id>/draft")
@require_scope("deposit")
def delete_draft(record_id: str) -> Response:
    session = get_session()
    svc.delete_draft(session, current_actor(), record_id, expected_revision=if_match(required=False))
    commit(session)
    return Response(status=204)


@bp.post("/records/<record_id>/draft/actions/validate")
@require_scope("read")
def validate_draft(record_id: str) -> Response:
    """Every validation problem at once, with the completeness score and the vocabulary findings
    (errors block submission; warnings are for the moderator; info is what the next save changes)."""
    session = get_session()
    report, findings = svc.validate_draft(session, current_actor(), record_id)
    return jsonify(
        {
            "valid": report.valid,
            "completeness": report.completeness,
            "missing_mandatory": ["/metadata" + p for p in report.missing_mandatory],
            "missing_recommended": ["/metadata" + p for p in report.missing_recommended],
            "errors": [{"field": "/metadata" + e.field, "messages": e.messages} for e in report.errors],
            "findings": findings_json(findings),
        }
    )


@bp.post("/records/<record_id>/draft/actions/submit")
@require_scope("deposit")
def submit(record_id: str) -> Response:
    """Submit (or resubmit) to a community. Body: ``{"community": "aeris", "comment": "…"}``."""
    data = json_body(required=False)
    _only(data, {"community", "comment"})
    session = get_session()
    record = svc.submit(
        session, current_actor(), record_id, community=_community(data), comment=_comment(data)
    )
    commit(session)
    return record_response(session, record, 202)


@bp.post("/records/<record_id>/draft/actions/cancel")
@require_scope("deposit")
def cancel(record_id: str) -> Response:
    data = json_body(required=False)
    session = get_session()
    record = svc.cancel(session, current_actor(), record_id, comment=_comment(data))
    commit(session)
    return record_response(session, record)


@bp.get("/records/<record_id>")
def get_record(record_id: str) -> Response:
    """A published version. 410 with the tombstone when withdrawn."""
    optional_scope("read")
    session = get_session()
    return record_response(session, svc.get_public_record(session, current_actor(), record_id))


@bp.get("/records/<record_id>/versions")
def list_versions(record_id: str) -> Response:
    optional_scope("read")
    session = get_session()
    """The dataset's versions the caller may read, newest first; a withdrawn version the caller
    may not read appears as its id and tombstone only."""
    optional_scope("read")
    session = get_session()
    actor = current_actor()
    versions = svc.list_versions(session, actor, record_id)
    hits = [
        serialize_record(session, v, actor) if svc.can_read_metadata(actor, v) else withdrawn_stub(v)
        for v in versions
    ]
    return jsonify({"hits": {"hits": hits, "total": len(hits)}})


@bp.get("/records/<record_id>/versions/latest")
def latest_version(record_id: str) -> Response:
    """302 to the newest published version of the dataset; 404 when none is published."""
    optional_scope("read")
    session = get_session()
    latest = svc.latest_version(session, current_actor(), record_id)
    return redirect(f"{base_url()}/api/records/{latest.id}", code=302)


@bp.post("/records/<record_id>/versions")
@require_scope("deposit")
def new_version(record_id: str) -> Response:
    session = get_session()
    draft = svc.new_version(session, current_actor(), record_id)
    commit(session)
    return record_response(session, draft, 201)


@bp.post("/records/<record_id>/actions/withdraw")
@require_scope("moderate")
def withdraw(record_id: str) -> Response:
    """Admins only. Body: ``{"reason": "…"}``."""
    data = json_body()
    _only(data, {"reason"})
    session = get_session()
    record = svc.withdraw(
        session,
        current_actor(),
        record_id,
        reason=accounts.checked_text("/reason", text_field(data, "reason", required=True), "text"),
        provider=provider_from_config(current_app.config),
    )
    commit(session)
    return jsonify(
        {"id": record.id, "state": record.state, "tombstone": svc.public_tombstone(record.tombstone)}
    )


@bp.patch("/records/<record_id>")
@require_scope("moderate")
def correct(record_id: str) -> Response:
    """Admins only: correct the metadata of a published version. Body:
    ``{"metadata": {…merge patch…}, "reason": "…"}``. Answers the record and the diff."""
    data = json_body()
    _only(data, {"metadata", "reason"})
    if "metadata" not in data:
        raise field_error("/metadata", "send the merge patch of the metadata to correct")
    session = get_session()
    record, diff = svc.correct(
        session,
        current_actor(),
        record_id,
        metadata=data["metadata"],
        reason=accounts.checked_text("/reason", text_field(data, "reason", required=True), "text"),
    )
    commit(session)
    return jsonify({"id": record.id, "state": record.state, "diff": diff})


@bp.get("/records/<record_id>/events")
@require_scope("read")
def events(record_id: str) -> Response:
    """The audit trail. Staff of the record see who did what by e-mail; its owner sees their own
    e-mail and, for the staff's actions, a role ("moderator", "administrator"), never their e-mail."""
    session = get_session()
    actor = current_actor()
    record, items = svc.list_events(session, actor, record_id)
    staff = svc.sees_reviewers(actor, record)
    return jsonify(
        {
            "hits": {
                "hits": [
                    {
                        "id": e.id,
                        "action": e.action,
                        "from": e.from_state,
                        "to": e.to_state,
                        "actor": _event_actor(e, actor, staff),
                        "as_admin": e.as_admin,
                        "comment": e.comment,
                        "data": _event_data(e, staff),
                        "created": e.created_at.isoformat(),
                    }
                    for e in items
                ],
                "total": len(items),
            }
        }
    )


def _event_actor(event: Event, viewer: Actor, staff: bool) -> str:
    if event.actor is None:
        return "system"
    if staff or event.actor_id == viewer.user_id:
        return event.actor.email
    return {"admin": "administrator", "moderator": "moderator"}.get(event.actor.role, "user")


def _event_data(event: Event, staff: bool) -> dict:
    data = dict(event.data or {})
    if not staff and "assignee" in data:
        data["assignee"] = "moderator"
    return data


def _comment(data: dict) -> str:
    return accounts.checked_text("/comment", text_field(data, "comment"), "text")


def _community(data: dict) -> str | None:
    value = data.get("community")
    if value is None:
        return None
    if not isinstance(value, str):
        raise field_error("/community", "must be a community identifier such as 'aeris'")
    return value


def _only(data: dict, allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        from app.services.errors import InvalidInput
        from schemas import FieldError

        raise InvalidInput(
            "unknown field(s) in the request body",
            [FieldError(f"/{k}", [f"unknown field; allowed: {', '.join(sorted(allowed))}"]) for k in unknown],
        )
