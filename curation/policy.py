"""Who may do what: the permission policy of the moderation workflow.

Rules (from the foundation issue):
- a producer acts only on their own records: read, edit, upload, submit, cancel, delete a
  draft, comment on its review, start a new version; never on another producer's draft;
- a moderator acts only within the communities they moderate: read submissions, assign,
  comment, request changes, accept, reject;
- admins can do everything else (the caller records every admin action as such), but nobody,
  admins included, moderates their own submission (assign, request changes, accept, reject);
- a resubmitted record is decided by its assignee (or an admin); another moderator of the
  community assigns it to themselves first;
- anyone, signed in or not, may read a published record; of a withdrawn one the public sees only
  the tombstone (the use cases answer 410 with it), its metadata stays readable by its owner, the
  community's moderators and admins;
- reviewers' identities (assignee, who withdrew) are shown only to staff: admins and the
  moderators of the record's community (:func:`sees_reviewers`);
- publishing is the system's follow-up to an accept, and withdrawing is for admins only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from curation.lifecycle import REVIEW_STATES, Action, State


class Role(StrEnum):
    PRODUCER = "producer"
    MODERATOR = "moderator"
    ADMIN = "admin"


@dataclass(frozen=True)
class Actor:
    """Who is asking. ``user_id`` is None for an anonymous visitor; ``system`` for background jobs."""

    user_id: int | None
    role: Role | None = None
    communities: frozenset[str] = field(default_factory=frozenset)
    system: bool = False

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(user_id=None)

    @classmethod
    def system_actor(cls) -> Actor:
        return cls(user_id=None, system=True)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    def moderates(self, community: str | None) -> bool:
        return self.role == Role.MODERATOR and community is not None and community in self.communities


@dataclass(frozen=True)
class RecordContext:
    """What the policy needs to know about a record version."""

    owner_id: int
    state: State
    community: str | None = None
    assignee_id: int | None = None


class PermissionDenied(Exception):
    """The actor may not perform this action on this record (HTTP 403, or 401 when anonymous)."""

    def __init__(self, action: Action | str, message: str, *, anonymous: bool = False):
        self.action = Action(action)
        self.anonymous = anonymous
        super().__init__(message)


_OWNER_ACTIONS = {
    Action.READ,
    Action.READ_EVENTS,
    Action.EDIT,
    Action.UPLOAD,
    Action.DELETE,
    Action.SUBMIT,
    Action.CANCEL,
    Action.COMMENT,
    Action.NEW_VERSION,
}
_MODERATOR_ACTIONS = {
    Action.READ,
    Action.READ_EVENTS,
    Action.ASSIGN,
    Action.COMMENT,
    Action.REQUEST_CHANGES,
    Action.ACCEPT,
    Action.REJECT,
}
_DECISIONS = {Action.ASSIGN, Action.REQUEST_CHANGES, Action.ACCEPT, Action.REJECT}
_DECIDED_BY_ASSIGNEE = {Action.REQUEST_CHANGES, Action.ACCEPT, Action.REJECT}
# States a moderator of the community can see; drafts stay private to their owner.
_MODERATOR_VISIBLE = REVIEW_STATES | {
    State.CHANGES_REQUESTED,
    State.ACCEPTED,
    State.REJECTED,
    State.PUBLISHED,
    State.WITHDRAWN,
}


def can(actor: Actor, action: Action | str, record: RecordContext) -> bool:
    """True when ``actor`` may perform ``action`` on ``record`` (lifecycle state checked separately)."""
    action = Action(action)
    if actor.system:
        return action == Action.PUBLISH
    if action == Action.READ and record.state == State.PUBLISHED:
        return True
    if action in _DECISIONS and actor.is_authenticated and actor.user_id == record.owner_id:
        # Nobody moderates their own submission, admins included; another moderator must.
        return False
    if actor.is_admin:
        return True
    if not actor.is_authenticated:
        return False
    if action in (Action.PUBLISH, Action.WITHDRAW, Action.CORRECT):
        return False
    if actor.user_id == record.owner_id and action in _OWNER_ACTIONS:
        return True
    if actor.moderates(record.community) and action in _MODERATOR_ACTIONS:
        if record.state == State.RESUBMITTED and action in _DECIDED_BY_ASSIGNEE:
            return actor.user_id == record.assignee_id
        return record.state in _MODERATOR_VISIBLE
    return False


def sees_reviewers(actor: Actor, record: RecordContext) -> bool:
    """Staff of the record (admins, moderators of its community) see who reviews it, by e-mail."""
    if actor.system or actor.is_admin:
        return True
    return actor.is_authenticated and actor.moderates(record.community)


def authorize(actor: Actor, action: Action | str, record: RecordContext) -> None:
    """Raise :class:`PermissionDenied` unless :func:`can` allows the action."""
    action = Action(action)
    if can(actor, action, record):
        return
    if not actor.is_authenticated and not actor.system:
        raise PermissionDenied(action, "authentication required", anonymous=True)
    if action == Action.WITHDRAW:
        raise PermissionDenied(action, "only an administrator may withdraw a published record")
    if action == Action.CORRECT:
        raise PermissionDenied(action, "only an administrator may correct a published record")
    if action in _DECISIONS and actor.user_id == record.owner_id:
        raise PermissionDenied(action, f"you may not {action.value} your own submission")
    if (
        action in _DECIDED_BY_ASSIGNEE
        and record.state == State.RESUBMITTED
        and actor.moderates(record.community)
    ):
        raise PermissionDenied(
            action,
            f"this resubmission is with its assigned moderator; assign it to yourself to {action.value} it",
        )
    if action in _DECISIONS:
        raise PermissionDenied(
            action, f"only a moderator of community {record.community!r} may {action.value} this record"
        )
    raise PermissionDenied(action, f"you may not {action.value} a record you do not own")


def can_create_community(actor: Actor) -> bool:
    """Only admins create communities."""
    return actor.is_admin
