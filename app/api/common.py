"""Request parsing and response building shared by the API views."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import current_app, jsonify, request, url_for
from flask.wrappers import Response
from sqlalchemy.orm import Session

from app.auth import current_actor
from app.models import Record
from app.services.documents import record_document
from app.services.errors import InvalidInput, PayloadTooLarge, PreconditionRequired, field_error
from app.services.records import Page, finding_data, public_tombstone, sees_reviewers
from curation import Actor
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
    from schemas import InputLimitError, parse_json

    try:
        # Bounded: nesting (a RecursionError otherwise), integer digits, finite floats.
        data = parse_json(raw)
    except InputLimitError as exc:
        raise InvalidInput(f"the body cannot be accepted: {exc}") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
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


# RFC 9110 §8.8.3: entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE, etagc = %x21 / %x23-7E / obs-text
_ETAG = re.compile(r'\s*(W/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*')


def if_match(*, required: bool = True) -> frozenset[int] | None:
    """The draft revisions the ``If-Match`` header accepts (RFC 9110 §13.1.1).

    ``None`` when there is no condition: no header (428 when ``required``), or ``*`` (any
    current draft). Otherwise the revisions named by the strong entity-tags ``"<revision>"`` of
    the list; a well-formed tag that is not one of ours (``"stale-revision-0"``) or a weak one
    (If-Match compares strongly) names no revision, so the use case answers 412. Only a header
    that is not an entity-tag list at all is a 400 naming ``/If-Match``.
    """
    value = request.headers.get("If-Match")
    if value is None:
        if required:
            raise PreconditionRequired(
                "send 'If-Match' with the ETag you last read, so concurrent edits cannot overwrite each other"
            )
        return None
    if value.strip() == "*":
        return None
    revisions: set[int] = set()
    pos, text = 0, value
    while True:
        match = _ETAG.match(text, pos)
        if match is None:
            raise field_error(
                "/If-Match", f'{value!r} is not an entity-tag such as "3" (nor a list of them, nor *)'
            )
        weak, opaque = match.group(1), match.group(2)
        if not weak and opaque.isascii() and opaque.isdigit() and len(opaque) <= 18:
            revisions.add(int(opaque))
        pos = match.end()
        if pos == len(text):
            return frozenset(revisions)
        if text[pos] != ",":
            raise field_error(
                "/If-Match", f'{value!r} is not an entity-tag such as "3" (nor a list of them, nor *)'
            )
        pos += 1


#: The highest page number a listing accepts: beyond it the offset no longer fits a 64-bit
#: integer in the database (``?page=10**30`` was an OverflowError, a 500).
MAX_PAGE = 1_000_000_000


def pagination() -> tuple[int, int]:
    """``page`` (1 to :data:`MAX_PAGE`) and ``size`` (1 to ``API_MAX_PAGE_SIZE``); 400 naming the field."""
    cfg = current_app.config
    page = _whole_number("page", 1, 1, MAX_PAGE)
    size = _whole_number("size", cfg["API_PAGE_SIZE"], 1, cfg["API_MAX_PAGE_SIZE"])
    return page, size


def _whole_number(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    # Digits only, and few of them: int() would accept "1_000" and "+1", and a very long number
    # would cost a conversion before being refused.
    if not raw.isascii() or not raw.isdigit():
        raise field_error(f"/{name}", f"must be a whole number between {low} and {high}")
    if len(raw) > len(str(high)) or not low <= int(raw) <= high:
        raise field_error(f"/{name}", f"must be between {low} and {high}")
    return int(raw)


def base_url() -> str:
    return current_app.config["BASE_URL"]


def findings_json(findings: list[KeywordFinding]) -> list[dict[str, Any]]:
    """Vocabulary findings as the API shows them (``app.services.records.finding_data``)."""
    return [finding_data(f) for f in findings]


def serialize_record(session: Session, record: Record, actor: Actor | None = None) -> dict[str, Any]:
    """The API representation: the canonical document plus lifecycle and links.

    The assignee's e-mail is shown to the record's staff only (admins, moderators of its
    community, :func:`curation.sees_reviewers`); everyone else sees ``assigned_to: null``.
    """
    actor = current_actor() if actor is None else actor
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
                "assigned_to": (
                    record.assigned_to.email if record.assigned_to and sees_reviewers(actor, record) else None
                ),
            },
        }
    )
    if actor.user_id is not None and (actor.user_id == record.owner_id or actor.is_admin):
        # Who last changed it, for the people who edit it (the form's conflict message).
        by = record.updated_by
        doc["modified"] = {
            "at": record.updated_at.isoformat(),
            "by": {"id": by.id, "name": by.name or by.email, "you": by.id == actor.user_id} if by else None,
        }
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


def withdrawn_stub(record: Record) -> dict[str, Any]:
    """A withdrawn version as the public sees it in listings: its id and tombstone, no metadata."""
    return {
        "id": record.id,
        "state": record.state,
        "versions": {"index": record.version_index, "parent_id": record.parent_id},
        "tombstone": public_tombstone(record.tombstone),
        "links": {"self": base_url() + "/api/records/" + record.id},
    }


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
