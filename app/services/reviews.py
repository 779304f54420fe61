"""Use cases of the moderation desk (``/reviews`` and the review API).

The lifecycle itself (assign, request changes, accept, reject) is ``app.services.records``; this
module adds what a moderator works with around it: the queue with its filters and counts, the
per-community checklist (answers saved with the decision), field-level threaded comments, and
what changed since the last review (``curation.diff``). Every function takes the session and
an explicit actor and flushes; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

import schemas
from app.db import utcnow
from app.models import Community, Event, Record, ReviewComment, User
from app.services import accounts, notifications
from app.services import records as svc
from app.services.errors import Forbidden, InvalidInput, NotFound, field_error
from curation import Action, Actor, State, next_state
from curation.diff import FieldChange, FileChanges, file_changes, metadata_changes
from curation.lifecycle import REVIEW_STATES

#: The states the desk lists (what a moderator can act on, then what was decided).
DESK_STATES = (
    State.SUBMITTED,
    State.UNDER_REVIEW,
    State.RESUBMITTED,
    State.CHANGES_REQUESTED,
    State.ACCEPTED,
    State.REJECTED,
)
SORTS = ("oldest", "newest")
DECISIONS = ("request-changes", "accept", "reject")
MAX_CHECKLIST_ITEMS = 30


# -- the queue ------------------------------------------------------------------------------


@dataclass
class Queue:
    items: list[Record]
    total: int
    page: int
    size: int
    #: state -> number of records in that state, within the actor's communities and the
    #: community filter (the other filters are not applied, so the counts say what there is).
    counts: dict[str, int] = field(default_factory=dict)


def _scope(actor: Actor, query: Any) -> Any:
    if actor.is_admin:
        return query
    if not actor.communities:
        return None
    return query.where(Community.slug.in_(sorted(actor.communities)))


def queue(
    session: Session,
    actor: Actor,
    *,
    state: str | None = None,
    community: str | None = None,
    assignee: str | None = None,
    waiting_days: int | None = None,
    sort: str = "oldest",
    page: int = 1,
    size: int = 25,
    now: datetime | None = None,
) -> Queue:
    """Submissions of the actor's communities (admins: all), oldest waiting first.

    ``state`` one of :data:`DESK_STATES` (default: those waiting for a moderator);
    ``assignee`` ``me``, ``none`` (nobody has taken it) or a moderator's e-mail;
    ``waiting_days``: submitted (or resubmitted) at least that many days ago;
    ``sort``: ``oldest`` (longest waiting first) or ``newest``.
    """
    if not (actor.is_admin or actor.communities):
        raise Forbidden("the moderation desk is for moderators and administrators")
    if sort not in SORTS:
        raise field_error("/sort", f"must be one of {', '.join(SORTS)}")
    base = select(Record).join(Community, Record.community_id == Community.id)
    base = _scope(actor, base)
    if community:
        base = base.where(Community.slug == community)
    counted = select(Record.state, func.count()).join(Community, Record.community_id == Community.id)
    counted = _scope(actor, counted)
    if community:
        counted = counted.where(Community.slug == community)
    counts = {s.value: 0 for s in DESK_STATES}
    for st, n in session.execute(
        counted.where(Record.state.in_([s.value for s in DESK_STATES])).group_by(Record.state)
    ):
        counts[st] = n
    query = base
    if state:
        try:
            chosen = State(state)
        except ValueError:
            raise field_error("/state", f"unknown state {state!r}") from None
        if chosen not in DESK_STATES:
            raise field_error("/state", f"must be one of {', '.join(s.value for s in DESK_STATES)}")
        query = query.where(Record.state == chosen.value)
    else:
        query = query.where(Record.state.in_([s.value for s in REVIEW_STATES]))
    if assignee == "me":
        query = query.where(Record.assigned_to_id == actor.user_id)
    elif assignee == "none":
        query = query.where(Record.assigned_to_id.is_(None))
    elif assignee:
        user = session.scalar(select(User).where(User.email == assignee.strip().lower()))
        if user is None:
            raise field_error("/assignee", f"no user with e-mail {assignee}")
        query = query.where(Record.assigned_to_id == user.id)
    if waiting_days is not None:
        if waiting_days < 0:
            raise field_error("/waiting", "must be a number of days, 0 or more")
        cutoff = (now or utcnow()) - timedelta(days=waiting_days)
        query = query.where(Record.submitted_at <= cutoff)
    order = Record.submitted_at.asc() if sort == "oldest" else Record.submitted_at.desc()
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    items = session.scalars(query.order_by(order, Record.id).offset((page - 1) * size).limit(size)).all()
    return Queue(list(items), total, page, size, counts)


def desk_communities(session: Session, actor: Actor) -> list[Community]:
    """The communities whose submissions the actor sees on the desk."""
    query = select(Community).order_by(Community.title)
    if not actor.is_admin:
        query = query.where(Community.slug.in_(sorted(actor.communities)))
    return list(session.scalars(query))


def colleagues(session: Session, record: Record) -> list[User]:
    """Who may be assigned a submission: the community's moderators and the administrators,
    active, never its owner."""
    users = set(record.community.moderators if record.community else [])
    users |= set(session.scalars(select(User).where(User.role == "admin")))
    return sorted((u for u in users if u.active and u.id != record.owner_id), key=lambda u: u.email)


# -- checklists -----------------------------------------------------------------------------


def _may_edit_checklist(actor: Actor, community: Community) -> bool:
    return actor.is_admin or community.slug in actor.communities


def get_checklist(session: Session, slug: str) -> Community:
    return accounts.get_community(session, slug)


def set_checklist(session: Session, actor: Actor, slug: str, items: list[str]) -> Community:
    """Replace a community's checklist (one question per item; blank items dropped). Its
    administrators edit it: site administrators and the community's moderators."""
    community = accounts.get_community(session, slug)
    if not _may_edit_checklist(actor, community):
        raise Forbidden(f"only the administrators of community {slug!r} edit its checklist")
    clean = []
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise field_error(f"/items/{i}", "must be text")
        text = " ".join(item.split())
        if text:
            clean.append(accounts.checked_text(f"/items/{i}", text, "title"))
    if len(clean) > MAX_CHECKLIST_ITEMS:
        raise field_error("/items", f"at most {MAX_CHECKLIST_ITEMS} questions")
    community.checklist = clean
    accounts.record_admin_event(
        session, actor, "community-checklist", {"community": community.slug, "items": clean}
    )
    session.flush()
    return community


def checklist_answers(community: Community | None, ticked: set[int] | list[int]) -> list[dict[str, Any]]:
    """The answers to save with a decision: every question of the community's checklist and
    whether the moderator ticked it."""
    items = (community.checklist or []) if community else []
    ticked = set(ticked)
    return [{"item": text, "checked": i in ticked} for i, text in enumerate(items)]


# -- decisions ------------------------------------------------------------------------------


def decide(
    session: Session,
    actor: Actor,
    record_id: str,
    decision: str,
    *,
    comment: str = "",
    ticked: list[int] | None = None,
) -> Record:
    """Request changes (reason required), accept, or reject (reason required), by the
    lifecycle's own rules (``records``); the checklist answers are saved in the decision's event."""
    if decision not in DECISIONS:
        raise field_error("/decision", f"must be one of {', '.join(DECISIONS)}")
    record = svc.get_record(session, actor, record_id, action=Action.READ)
    answers = checklist_answers(record.community, ticked or [])
    data = {"checklist": answers} if answers else None
    comment = accounts.checked_text("/comment", comment or "", "text") if comment else ""
    if decision == "request-changes":
        return svc.request_changes(session, actor, record_id, comment=comment, data=data)
    if decision == "accept":
        return svc.accept(session, actor, record_id, comment=comment, data=data)
    return svc.reject(session, actor, record_id, comment=comment, data=data)


# -- comments -------------------------------------------------------------------------------


ANCHOR_KINDS = ("general", "field", "file")


def _check_anchor(record: Record, kind: str, anchor: str) -> str:
    anchor = (anchor or "").strip()
    if kind not in ANCHOR_KINDS:
        raise field_error("/anchor_kind", f"must be one of {', '.join(ANCHOR_KINDS)}")
    if kind == "general":
        return ""
    if kind == "file":
        if anchor not in {f.key for f in record.files}:
            raise field_error("/anchor", f"the record has no file {anchor!r}")
        return anchor
    top = anchor.split("/")[1] if anchor.startswith("/") and len(anchor) > 1 else ""
    known = {f.data_key or k for k, f in schemas.MetadataSchema().fields.items()}
    if top not in known or len(anchor) > 500:
        raise field_error(
            "/anchor", "must be the JSON pointer of a metadata field, such as /abstracts/0/text"
        )
    return anchor


def _commentable(session: Session, actor: Actor, record_id: str) -> Record:
    record = svc.get_record(session, actor, record_id, action=Action.COMMENT)
    next_state(record.state, Action.COMMENT)
    return record


def _body(body: Any) -> str:
    if not isinstance(body, str) or not body.strip():
        raise field_error("/comment", "write the comment")
    return accounts.checked_text("/comment", body.strip(), "text")


def add_comment(
    session: Session,
    actor: Actor,
    record_id: str,
    *,
    body: str,
    anchor_kind: str = "general",
    anchor: str = "",
) -> ReviewComment:
    """Open a thread on a field (its JSON pointer), a file (its key) or the whole submission.
    The record's owner and its moderators may comment (the lifecycle's ``comment`` action)."""
    record = _commentable(session, actor, record_id)
    body = _body(body)
    anchor = _check_anchor(record, anchor_kind, anchor)
    comment = ReviewComment(
        record_id=record.id, anchor_kind=anchor_kind, anchor=anchor, author_id=actor.user_id, body=body
    )
    _comment_event(
        session, actor, record, comment, {"thread": comment.id, "anchor_kind": anchor_kind, "anchor": anchor}
    )
    return comment


def _comment_event(session: Session, actor: Actor, record, comment: ReviewComment, data: dict) -> None:  # type: ignore[no-untyped-def]
    """Store the comment, record it in the history and notify (a comment leaves the state as is)."""
    session.add(comment)
    session.flush()
    state = State(record.state)
    svc._event(session, actor, record, "comment", state, state, comment.body, data=data)
    session.flush()
    notifications.notify(session, actor, record, "comment", comment.body)


def _thread(session: Session, record_id: str, thread_id: int) -> ReviewComment:
    root = session.get(ReviewComment, thread_id)
    if root is None or root.record_id != record_id or root.thread_id is not None:
        raise NotFound(f"no comment thread {thread_id} on record {record_id}")
    return root


def reply(session: Session, actor: Actor, record_id: str, thread_id: int, *, body: str) -> ReviewComment:
    """Answer in a thread (the producer, or a moderator); a resolved thread is reopened."""
    record = _commentable(session, actor, record_id)
    root = _thread(session, record_id, thread_id)
    body = _body(body)
    comment = ReviewComment(
        record_id=record.id,
        thread_id=root.id,
        anchor_kind=root.anchor_kind,
        anchor=root.anchor,
        author_id=actor.user_id,
        body=body,
    )
    root.resolved_at = None
    root.resolved_by_id = None
    _comment_event(
        session,
        actor,
        record,
        comment,
        {"thread": root.id, "reply": comment.id, "anchor_kind": root.anchor_kind, "anchor": root.anchor},
    )
    return comment


def resolve(session: Session, actor: Actor, record_id: str, thread_id: int) -> ReviewComment:
    """Mark a thread resolved (kept, and listed in the history). Whoever may comment on the
    record resolves it: its owner and its moderators (and admins)."""
    record = _commentable(session, actor, record_id)
    root = _thread(session, record_id, thread_id)
    if root.resolved_at is not None:
        raise InvalidInput("this thread is already resolved")
    root.resolved_at = utcnow()
    root.resolved_by_id = actor.user_id
    svc._event(
        session,
        actor,
        record,
        "resolve-comment",
        State(record.state),
        State(record.state),
        data={"thread": root.id, "anchor_kind": root.anchor_kind, "anchor": root.anchor},
    )
    session.flush()
    return root


@dataclass
class Thread:
    root: ReviewComment
    replies: list[ReviewComment]

    @property
    def resolved(self) -> bool:
        return self.root.resolved_at is not None


def threads(session: Session, actor: Actor, record_id: str) -> list[Thread]:
    """Every comment thread of a record version, oldest first (the owner and staff read them)."""
    svc.get_record(session, actor, record_id, action=Action.READ_EVENTS)
    rows = session.scalars(
        select(ReviewComment).where(ReviewComment.record_id == record_id).order_by(ReviewComment.id)
    ).all()
    by_root: dict[int, Thread] = {}
    for row in rows:
        if row.thread_id is None:
            by_root[row.id] = Thread(row, [])
        elif row.thread_id in by_root:
            by_root[row.thread_id].replies.append(row)
    return list(by_root.values())


def threads_at(all_threads: list[Thread], top_field: str) -> list[Thread]:
    """The threads anchored to a top-level field or anything inside it (``/abstracts`` holds
    ``/abstracts/0/text``)."""
    prefix = "/" + top_field
    return [
        t
        for t in all_threads
        if t.root.anchor_kind == "field"
        and (t.root.anchor == prefix or t.root.anchor.startswith(prefix + "/"))
    ]


# -- what changed ---------------------------------------------------------------------------


@dataclass
class Changes:
    #: ``review`` (since the request for changes) or ``version`` (since the published version)
    basis: str
    #: when the compared submission was reviewed or published, and the version compared with
    since: datetime | None
    against: str | None
    fields: list[FieldChange]
    files: FileChanges


def changes_since_review(session: Session, actor: Actor, record_id: str) -> Changes | None:
    """On a resubmission: what differs from the submission the moderator reviewed (the snapshot
    kept with the last request for changes). For a new version never reviewed: what differs
    from the newest published version before it. ``None`` when there is nothing to compare with."""
    record = svc.get_record(session, actor, record_id, action=Action.READ_EVENTS)
    current_files = {f.key: f.object_sha256 for f in record.files}
    last = session.scalars(
        select(Event)
        .where(Event.record_id == record.id, Event.action == Action.REQUEST_CHANGES.value)
        .order_by(Event.id.desc())
        .limit(1)
    ).first()
    if last is not None and (last.data or {}).get("reviewed"):
        reviewed = last.data["reviewed"]
        return Changes(
            "review",
            last.created_at,
            record.id,
            metadata_changes(reviewed.get("metadata") or {}, record.metadata_ or {}),
            file_changes(reviewed.get("files") or {}, current_files),
        )
    if record.version_index > 1:
        previous = session.scalars(
            select(Record)
            .where(
                Record.parent_id == record.parent_id,
                Record.version_index < record.version_index,
                Record.state == State.PUBLISHED,
            )
            .order_by(Record.version_index.desc())
            .limit(1)
        ).first()
        if previous is not None:
            return Changes(
                "version",
                previous.published_at,
                previous.id,
                metadata_changes(previous.metadata_ or {}, record.metadata_ or {}),
                file_changes({f.key: f.object_sha256 for f in previous.files}, current_files),
            )
    return None


__all__ = [
    "DECISIONS",
    "DESK_STATES",
    "Changes",
    "Queue",
    "Thread",
    "add_comment",
    "changes_since_review",
    "checklist_answers",
    "colleagues",
    "decide",
    "desk_communities",
    "get_checklist",
    "queue",
    "reply",
    "resolve",
    "set_checklist",
    "threads",
    "threads_at",
]
