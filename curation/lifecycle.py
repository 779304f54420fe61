"""The record lifecycle as an explicit state machine.

draft → submitted → under_review → changes_requested → resubmitted → accepted → published →
withdrawn; under_review → rejected. A resubmission goes straight back to its reviewer: from
``resubmitted`` the assigned moderator accepts, rejects or requests changes again without a new
assignment (another moderator takes it over by assigning it, which moves it to under_review).
A published record is never edited: the producer starts a new version, which is a new draft of
the same parent.
"""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    """Where a record version stands in its moderated lifecycle."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    CHANGES_REQUESTED = "changes_requested"
    RESUBMITTED = "resubmitted"
    ACCEPTED = "accepted"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    """Every use case a caller can ask of a record. Names are the API's action names."""

    READ = "read"
    EDIT = "edit"
    DELETE = "delete"
    UPLOAD = "upload"
    SUBMIT = "submit"
    CANCEL = "cancel"
    ASSIGN = "assign"
    COMMENT = "comment"
    REQUEST_CHANGES = "request-changes"
    ACCEPT = "accept"
    REJECT = "reject"
    PUBLISH = "publish"
    WITHDRAW = "withdraw"
    CORRECT = "correct"  # an administrator's metadata correction of a published version
    NEW_VERSION = "new-version"
    READ_EVENTS = "read-events"


#: States in which the owner may change metadata and files.
EDITABLE_STATES = frozenset({State.DRAFT, State.CHANGES_REQUESTED})
#: States in which the record sits in a moderation queue.
REVIEW_STATES = frozenset({State.SUBMITTED, State.UNDER_REVIEW, State.RESUBMITTED})
#: States whose metadata the public may read (withdrawn ones as a tombstone only).
PUBLIC_STATES = frozenset({State.PUBLISHED, State.WITHDRAWN})

# (action, from-state) → to-state. Actions that do not change the state map to the same state.
_TRANSITIONS: dict[tuple[Action, State], State] = {
    (Action.SUBMIT, State.DRAFT): State.SUBMITTED,
    (Action.SUBMIT, State.CHANGES_REQUESTED): State.RESUBMITTED,
    (Action.CANCEL, State.SUBMITTED): State.DRAFT,
    (Action.CANCEL, State.RESUBMITTED): State.CHANGES_REQUESTED,
    (Action.ASSIGN, State.SUBMITTED): State.UNDER_REVIEW,
    (Action.ASSIGN, State.RESUBMITTED): State.UNDER_REVIEW,
    (Action.ASSIGN, State.UNDER_REVIEW): State.UNDER_REVIEW,  # re-assignment
    (Action.REQUEST_CHANGES, State.UNDER_REVIEW): State.CHANGES_REQUESTED,
    (Action.ACCEPT, State.UNDER_REVIEW): State.ACCEPTED,
    (Action.REJECT, State.UNDER_REVIEW): State.REJECTED,
    # A resubmission returns to the moderator who asked for the changes (the policy lets only
    # the assignee, or an admin, decide here; anyone else assigns it to themselves first).
    (Action.REQUEST_CHANGES, State.RESUBMITTED): State.CHANGES_REQUESTED,
    (Action.ACCEPT, State.RESUBMITTED): State.ACCEPTED,
    (Action.REJECT, State.RESUBMITTED): State.REJECTED,
    (Action.PUBLISH, State.ACCEPTED): State.PUBLISHED,
    (Action.WITHDRAW, State.PUBLISHED): State.WITHDRAWN,
    (Action.CORRECT, State.PUBLISHED): State.PUBLISHED,
    (Action.NEW_VERSION, State.PUBLISHED): State.PUBLISHED,
}
for _s in EDITABLE_STATES:
    _TRANSITIONS[(Action.EDIT, _s)] = _s
    _TRANSITIONS[(Action.UPLOAD, _s)] = _s
_TRANSITIONS[(Action.DELETE, State.DRAFT)] = State.DRAFT
for _s in REVIEW_STATES | {State.CHANGES_REQUESTED, State.ACCEPTED}:
    _TRANSITIONS[(Action.COMMENT, _s)] = _s
for _s in State:
    _TRANSITIONS[(Action.READ, _s)] = _s
    _TRANSITIONS[(Action.READ_EVENTS, _s)] = _s


class InvalidTransition(Exception):
    """The action is not allowed from the record's current state (HTTP 409 at the edge)."""

    def __init__(self, action: Action, state: State):
        self.action = action
        self.state = state
        allowed = sorted(a.value for (a, s) in _TRANSITIONS if s == state and a not in _PASSIVE)
        super().__init__(
            f"cannot {action.value} a record that is {state.value.replace('_', ' ')}"
            f" (possible actions: {', '.join(allowed) or 'none'})"
        )


_PASSIVE = {Action.READ, Action.READ_EVENTS}


def next_state(state: State | str, action: Action | str) -> State:
    """Return the state reached by applying ``action`` in ``state``.

    Raises :class:`InvalidTransition` when the lifecycle does not allow it.
    """
    state, action = State(state), Action(action)
    try:
        return _TRANSITIONS[(action, state)]
    except KeyError:
        raise InvalidTransition(action, state) from None


def allowed_actions(state: State | str) -> list[Action]:
    """Actions the lifecycle allows from ``state``, ignoring who asks."""
    state = State(state)
    return [a for (a, s) in _TRANSITIONS if s == state]
