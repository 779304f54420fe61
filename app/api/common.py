"""Request parsing and response building shared by the API views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask.wrappers import Response
from sqlalchemy.orm import Session

from app.models import Record
from app.services.documents import record_document
from app.services.errors import InvalidInput, PayloadTooLarge, PreconditionRequired, field_error
from app.services.records import Page, finding_data
from vocabularies.lookup import KeywordFinding

JSON_TYPES = ("application/json", "application/merge-patch+json")


def json_body(*, required: bool = True) -> dict[str, Any]:
    """The request's JSON object, with a size limit and errors that say what is wrong."""
    limit = current_app.config["MAX_JSON_SIZE"]
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the JSON body is larger than {limit} bytes")
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise PayloadTooLarge(f"the JSON body is larger than {limit} bytes")
    if not raw.strip():
        if required:
            raise InvalidInput("a JSON object is required as the request body")
        return {}
    mimetype = request.mimetype or ""
    if mimetype and mimetype not in JSON_TYPES:
        raise InvalidInput(f"send the body as application/json (got {mimetype})")
    import json

    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return data


def text_field(data: dict[str, Any], name: str, *, required: bool = False) -> str:
    value = data.get(name, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise field_error(f"/{name}", "must be a string")
    if required and not value.strip():
        raise field_error(f"/{name}", "is required")
    return value


def if_match(*, required: bool = True) -> int | None:
    """The draft revision named by the If-Match header (ETag ``"<revision>"``)."""
    value = request.headers.get("If-Match")
    if value is None:
        if required:
            raise PreconditionRequired(
                "send 'If-Match' with the ETag you last read, so concurrent edits cannot overwrite each other"
            )
        return None
    value = value.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise field_error("/If-Match", f'{value!r} is not a revision ETag such as "3"')
    return int(value)


def pagination() -> tuple[int, int]:
    cfg = current_app.config
    try:
        page = int(request.args.get("page", 1))
        size = int(request.args.get("size", cfg["API_PAGE_SIZE"]))
    except ValueError:
        raise InvalidInput("page and size must be whole numbers") from None
    if not 1 <= page <= 2**31 - 1:
        raise field_error("/page", "must be between 1 and 2147483647")
    if not 1 <= size <= cfg["API_MAX_PAGE_SIZE"]:
        raise field_error("/size", f"must be between 1 and {cfg['API_MAX_PAGE_SIZE']}")
    return page, size


def base_url() -> str:
    return current_app.config["BASE_URL"]


def findings_json(findings: list[KeywordFinding]) -> list[dict[str, Any]]:
    """Vocabulary findings as the API shows them (``app.services.records.finding_data``)."""
    return [finding_data(f) for f in findings]


def serialize_record(session: Session, record: Record) -> dict[str, Any]:
    """The API representation: the canonical document plus lifecycle and links."""
    doc = record_document(session, record, base_url())
    api = base_url() + "/api/records/" + record.id
    doc.update(
        {
            "state": record.state,
            "revision_id": record.revision,
            "parent": {"id": record.parent_id},
            "owner": {"id": record.owner_id},
            "submitted": record.submitted_at.isoformat() if record.submitted_at else None,
            "published": record.published_at.isoformat() if record.published_at else None,
            "review": {
                "community": record.community.slug if record.community else None,
                "assigned_to": record.assigned_to.email if record.assigned_to else None,
            },
        }
    )
    doc["links"].update(
        {
            "self": api,
            "draft": api + "/draft",
            "files": api + "/files",
            "versions": api + "/versions",
            "events": api + "/events",
            "latest": api + "/versions/latest",
        }
    )
    return doc


def record_response(session: Session, record: Record, status: int = 200) -> Response:
    response = jsonify(serialize_record(session, record))
    response.status_code = status
    response.headers["ETag"] = f'"{record.revision}"'
    return response


def page_response(
    session: Session,
    page: Page,
    endpoint: str,
    *,
    extra: Callable[[Record], dict[str, Any]] | None = None,
    **params: Any,
) -> Response:
    """A page of records; ``extra(record)`` adds fields to each hit (the review queue's findings)."""
    links = {"self": url_for(endpoint, page=page.page, size=page.size, _external=False, **params)}
    if page.page * page.size < page.total:
        links["next"] = url_for(endpoint, page=page.page + 1, size=page.size, **params)
    if page.page > 1:
        links["prev"] = url_for(endpoint, page=page.page - 1, size=page.size, **params)
    return jsonify(
        {
            "hits": {
                "hits": [serialize_record(session, r) | (extra(r) if extra else {}) for r in page.items],
                "total": page.total,
            },
            "links": links,
        }
    )
