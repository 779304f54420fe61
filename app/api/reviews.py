"""The moderation queue and review actions."""

from __future__ import annotations

from flask import jsonify, request
from flask.wrappers import Response

from app.api import bp
from app.api.common import findings_json, json_body, page_response, pagination, record_response, text_field
from app.auth import current_actor, require_scope
from app.db import get_session
from app.jobs_runtime import commit
from app.services import accounts
from app.services import records as svc
from app.services.errors import InvalidInput, NotFound, field_error


@bp.get("/reviews")
@require_scope("moderate")
def review_queue() -> Response:
    """Submissions in the caller's communities. Filters: ``state``, ``community``, ``assigned=me``.

    Each hit carries ``findings``: what the loaded vocabularies say about its terms now
    (deprecated terms with their replacements, vocabularies not loaded, unknown terms).
    """
    session = get_session()
    page, size = pagination()
    params = {k: request.args[k] for k in ("state", "community", "assigned") if request.args.get(k)}
    assigned = params.get("assigned")
    if assigned not in (None, "me"):
        raise field_error("/assigned", "the only supported value is 'me'")
    result = svc.review_queue(
        session,
        current_actor(),
        state=params.get("state"),
        community=params.get("community"),
        assigned_to_me=assigned == "me",
        page=page,
        size=size,
    )
    return page_response(
        session,
        result,
        "api.review_queue",
        extra=lambda record: {"findings": findings_json(svc.record_findings(session, record))},
        **params,
    )


_ACTIONS = {"assign", "comment", "request-changes", "accept", "reject"}


@bp.post("/records/<record_id>/review/actions/<action>")
def review_action(record_id: str, action: str) -> Response:
    """assign (``assignee``: e-mail, default yourself), comment, request-changes, accept, reject.

    Body fields: ``comment`` (required for comment, request-changes and reject).
    Commenting is open to the record's owner too (scope ``deposit``); the rest need ``moderate``.
    """
    if action not in _ACTIONS:
        raise NotFound(f"unknown review action {action!r}; known: {', '.join(sorted(_ACTIONS))}")
    scope = "deposit" if action == "comment" else "moderate"
    return require_scope(scope)(_do)(record_id, action)


def _do(record_id: str, action: str) -> Response:
    data = json_body(required=False)
    allowed = {"comment", "assignee"} if action == "assign" else {"comment"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}")
    session = get_session()
    actor = current_actor()
    comment = accounts.checked_text("/comment", text_field(data, "comment"), "text")
    if action == "comment":
        event = svc.add_comment(session, actor, record_id, comment=comment)
        commit(session)
        response = jsonify({"id": event.id, "action": "comment", "comment": event.comment})
        response.status_code = 201
        return response
    if action == "assign":
        assignee = data.get("assignee")
        if assignee is not None and not isinstance(assignee, str):
            raise field_error("/assignee", "must be an e-mail address")
        record = svc.assign(session, actor, record_id, assignee=assignee, comment=comment)
    elif action == "request-changes":
        record = svc.request_changes(session, actor, record_id, comment=comment)
    elif action == "accept":
        record = svc.accept(session, actor, record_id, comment=comment)
    else:
        record = svc.reject(session, actor, record_id, comment=comment)
    commit(session)
    session.refresh(record)
    return record_response(session, record)
