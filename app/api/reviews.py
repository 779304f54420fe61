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
from app.services import reviews as desk
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


# -- threaded review comments (the moderation desk, app/services/reviews.py) ------------------


def _comment_json(comment, viewer, staff: bool) -> dict:  # type: ignore[no-untyped-def]
    author = comment.author
    if author is None:
        who = "system"
    elif staff or author.id == viewer.user_id:
        who = author.email
    else:
        who = {"admin": "administrator", "moderator": "moderator"}.get(author.role, "user")
    return {"id": comment.id, "author": who, "comment": comment.body, "created": comment.created_at.isoformat()}


def _thread_json(thread, viewer, staff: bool) -> dict:  # type: ignore[no-untyped-def]
    root = thread.root
    return {
        "id": root.id,
        "anchor": {"kind": root.anchor_kind, "value": root.anchor},
        "resolved": root.resolved_at.isoformat() if root.resolved_at else None,
        "comments": [_comment_json(c, viewer, staff) for c in [root, *thread.replies]],
    }


@bp.get("/records/<record_id>/review/comments")
@require_scope("read")
def review_comments(record_id: str) -> Response:
    """The comment threads of a record version (its owner and moderators), oldest first. Each
    thread: ``anchor`` (``kind`` general, field or file; ``value`` the JSON pointer or file
    key), ``resolved`` (when, or null), ``comments`` (the first opens the thread)."""
    session = get_session()
    actor = current_actor()
    threads = desk.threads(session, actor, record_id)
    record = svc.get_record(session, actor, record_id)
    staff = svc.sees_reviewers(actor, record)
    return jsonify({"threads": [_thread_json(t, actor, staff) for t in threads]})


@bp.post("/records/<record_id>/review/comments")
@require_scope("deposit")
def open_review_thread(record_id: str) -> Response:
    """Open a thread. Body: ``comment`` (required), ``anchor_kind`` (general, field, file;
    default general), ``anchor`` (the JSON pointer of a metadata field, such as
    ``/abstracts/0/text``, or a file key)."""
    data = json_body()
    unknown = sorted(set(data) - {"comment", "anchor_kind", "anchor"})
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}")
    for name in ("anchor_kind", "anchor"):
        if name in data and not isinstance(data[name], str):
            raise field_error(f"/{name}", "must be a string")
    session = get_session()
    actor = current_actor()
    comment = desk.add_comment(
        session,
        actor,
        record_id,
        body=text_field(data, "comment"),
        anchor_kind=data.get("anchor_kind", "general"),
        anchor=data.get("anchor", ""),
    )
    commit(session)
    thread = next(t for t in desk.threads(session, actor, record_id) if t.root.id == comment.id)
    response = jsonify(_thread_json(thread, actor, True))
    response.status_code = 201
    return response


@bp.post("/records/<record_id>/review/comments/<int:thread_id>/replies")
@require_scope("deposit")
def reply_review_thread(record_id: str, thread_id: int) -> Response:
    """Reply in a thread (reopens it if resolved). Body: ``comment``."""
    data = json_body()
    unknown = sorted(set(data) - {"comment"})
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(unknown)}")
    session = get_session()
    actor = current_actor()
    comment = desk.reply(session, actor, record_id, thread_id, body=text_field(data, "comment"))
    commit(session)
    response = jsonify(_comment_json(comment, actor, True))
    response.status_code = 201
    return response


@bp.post("/records/<record_id>/review/comments/<int:thread_id>/resolve")
@require_scope("deposit")
def resolve_review_thread(record_id: str, thread_id: int) -> Response:
    """Mark a thread resolved; it is kept and listed in the history."""
    session = get_session()
    actor = current_actor()
    root = desk.resolve(session, actor, record_id, thread_id)
    commit(session)
    return jsonify({"id": root.id, "resolved": root.resolved_at.isoformat() if root.resolved_at else None})
