"""The lifecycle state machine and permission policy, as plain Python (no app, no database)."""

from __future__ import annotations

import pytest

from curation import (
    Action,
    Actor,
    InvalidTransition,
    PermissionDenied,
    RecordContext,
    Role,
    State,
    authorize,
    can,
)
from curation.lifecycle import allowed_actions, next_state

S, A = State, Action

# The whole transition table, written out by hand from the foundation issue.
EXPECTED = {
    (A.SUBMIT, S.DRAFT): S.SUBMITTED,
    (A.SUBMIT, S.CHANGES_REQUESTED): S.RESUBMITTED,
    (A.CANCEL, S.SUBMITTED): S.DRAFT,
    (A.CANCEL, S.RESUBMITTED): S.CHANGES_REQUESTED,
    (A.ASSIGN, S.SUBMITTED): S.UNDER_REVIEW,
    (A.ASSIGN, S.RESUBMITTED): S.UNDER_REVIEW,
    (A.ASSIGN, S.UNDER_REVIEW): S.UNDER_REVIEW,
    (A.REQUEST_CHANGES, S.UNDER_REVIEW): S.CHANGES_REQUESTED,
    (A.ACCEPT, S.UNDER_REVIEW): S.ACCEPTED,
    (A.REJECT, S.UNDER_REVIEW): S.REJECTED,
    (A.REQUEST_CHANGES, S.RESUBMITTED): S.CHANGES_REQUESTED,
    (A.ACCEPT, S.RESUBMITTED): S.ACCEPTED,
    (A.REJECT, S.RESUBMITTED): S.REJECTED,
    (A.PUBLISH, S.ACCEPTED): S.PUBLISHED,
    (A.WITHDRAW, S.PUBLISHED): S.WITHDRAWN,
    (A.NEW_VERSION, S.PUBLISHED): S.PUBLISHED,
    (A.EDIT, S.DRAFT): S.DRAFT,
    (A.EDIT, S.CHANGES_REQUESTED): S.CHANGES_REQUESTED,
    (A.UPLOAD, S.DRAFT): S.DRAFT,
    (A.UPLOAD, S.CHANGES_REQUESTED): S.CHANGES_REQUESTED,
    (A.DELETE, S.DRAFT): S.DRAFT,
}
STATE_CHANGING = [
    A.SUBMIT,
    A.CANCEL,
    A.ASSIGN,
    A.REQUEST_CHANGES,
    A.ACCEPT,
    A.REJECT,
    A.PUBLISH,
    A.WITHDRAW,
    A.NEW_VERSION,
    A.EDIT,
    A.UPLOAD,
    A.DELETE,
]


@pytest.mark.parametrize("action", STATE_CHANGING)
@pytest.mark.parametrize("state", list(State))
def test_every_transition_and_every_refusal(action: Action, state: State) -> None:
    expected = EXPECTED.get((action, state))
    if expected is None:
        with pytest.raises(InvalidTransition) as info:
            next_state(state, action)
        assert action.value in str(info.value)
        assert state.value.replace("_", " ") in str(info.value)
    else:
        assert next_state(state, action) is expected


def test_published_and_rejected_records_cannot_be_edited() -> None:
    for state in (S.PUBLISHED, S.REJECTED, S.WITHDRAWN, S.SUBMITTED, S.UNDER_REVIEW, S.ACCEPTED):
        assert A.EDIT not in allowed_actions(state)
        assert A.UPLOAD not in allowed_actions(state)


def test_unknown_action_or_state_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        next_state("draft", "publish-now")
    with pytest.raises(ValueError):
        next_state("limbo", "submit")


OWNER = Actor(1, Role.PRODUCER)
OTHER = Actor(2, Role.PRODUCER)
MOD_AERIS = Actor(3, Role.MODERATOR, frozenset({"aeris"}))
MOD_THEIA = Actor(4, Role.MODERATOR, frozenset({"theia"}))
ADMIN = Actor(5, Role.ADMIN)
ANON = Actor.anonymous()
SYSTEM = Actor.system_actor()


def rec(state: State, community: str | None = "aeris") -> RecordContext:
    return RecordContext(owner_id=1, state=state, community=community)


@pytest.mark.parametrize(
    "actor,action,state,allowed",
    [
        # A producer never reads, edits, submits or publishes another producer's draft.
        (OTHER, A.READ, S.DRAFT, False),
        (OTHER, A.EDIT, S.DRAFT, False),
        (OTHER, A.SUBMIT, S.DRAFT, False),
        (OTHER, A.UPLOAD, S.DRAFT, False),
        (OTHER, A.DELETE, S.DRAFT, False),
        (OTHER, A.PUBLISH, S.ACCEPTED, False),
        (OTHER, A.READ, S.SUBMITTED, False),
        (OTHER, A.COMMENT, S.UNDER_REVIEW, False),
        (OTHER, A.READ, S.PUBLISHED, True),
        # The owner
        (OWNER, A.READ, S.DRAFT, True),
        (OWNER, A.EDIT, S.DRAFT, True),
        (OWNER, A.SUBMIT, S.DRAFT, True),
        (OWNER, A.COMMENT, S.UNDER_REVIEW, True),
        (OWNER, A.ACCEPT, S.UNDER_REVIEW, False),
        (OWNER, A.PUBLISH, S.ACCEPTED, False),
        (OWNER, A.WITHDRAW, S.PUBLISHED, False),
        (OWNER, A.NEW_VERSION, S.PUBLISHED, True),
        # Moderators act only within their communities, and never see drafts.
        (MOD_AERIS, A.ASSIGN, S.SUBMITTED, True),
        (MOD_AERIS, A.ACCEPT, S.UNDER_REVIEW, True),
        (MOD_AERIS, A.REJECT, S.UNDER_REVIEW, True),
        (MOD_AERIS, A.REQUEST_CHANGES, S.UNDER_REVIEW, True),
        (MOD_AERIS, A.READ, S.SUBMITTED, True),
        (MOD_AERIS, A.READ, S.DRAFT, False),
        (MOD_AERIS, A.EDIT, S.UNDER_REVIEW, False),
        (MOD_AERIS, A.WITHDRAW, S.PUBLISHED, False),
        (MOD_THEIA, A.ASSIGN, S.SUBMITTED, False),
        (MOD_THEIA, A.ACCEPT, S.UNDER_REVIEW, False),
        (MOD_THEIA, A.READ, S.SUBMITTED, False),
        # Admins can do everything; anonymous visitors read published records only.
        (ADMIN, A.WITHDRAW, S.PUBLISHED, True),
        (ADMIN, A.ACCEPT, S.UNDER_REVIEW, True),
        (ADMIN, A.READ, S.DRAFT, True),
        (ANON, A.READ, S.PUBLISHED, True),
        # Of a withdrawn record the public gets the tombstone only (410 from the use cases).
        (ANON, A.READ, S.WITHDRAWN, False),
        (OTHER, A.READ, S.WITHDRAWN, False),
        (OWNER, A.READ, S.WITHDRAWN, True),
        (ANON, A.READ, S.DRAFT, False),
        (ANON, A.READ, S.SUBMITTED, False),
        (ANON, A.SUBMIT, S.DRAFT, False),
        # Publishing is the system's follow-up to an accept, nothing else.
        (SYSTEM, A.PUBLISH, S.ACCEPTED, True),
        (SYSTEM, A.EDIT, S.DRAFT, False),
    ],
)
def test_permission_matrix(actor: Actor, action: Action, state: State, allowed: bool) -> None:
    assert can(actor, action, rec(state)) is allowed


def test_a_moderator_never_decides_on_their_own_submission() -> None:
    own = RecordContext(owner_id=MOD_AERIS.user_id, state=S.UNDER_REVIEW, community="aeris")
    for action in (A.ASSIGN, A.ACCEPT, A.REJECT, A.REQUEST_CHANGES):
        assert not can(MOD_AERIS, action, own)
    with pytest.raises(PermissionDenied, match="your own submission"):
        authorize(MOD_AERIS, A.ACCEPT, own)


def test_refusals_say_why_and_distinguish_anonymous() -> None:
    with pytest.raises(PermissionDenied) as info:
        authorize(ANON, A.READ, rec(S.DRAFT))
    assert info.value.anonymous
    with pytest.raises(PermissionDenied, match="community 'aeris'"):
        authorize(MOD_THEIA, A.ACCEPT, rec(S.UNDER_REVIEW))
    with pytest.raises(PermissionDenied, match="administrator"):
        authorize(MOD_AERIS, A.WITHDRAW, rec(S.PUBLISHED))
    with pytest.raises(PermissionDenied, match="do not own") as info:
        authorize(OTHER, A.EDIT, rec(S.DRAFT))
    assert not info.value.anonymous
