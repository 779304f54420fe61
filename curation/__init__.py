"""Moderation workflow: the record lifecycle state machine and its permission policy.

Plain Python: no Flask, no database. The web views, the REST API, SWORD, the CLI
and the tests all call these functions with an explicit :class:`Actor`.
"""

from curation.lifecycle import (
    EDITABLE_STATES,
    REVIEW_STATES,
    Action,
    InvalidTransition,
    State,
    next_state,
)
from curation.policy import Actor, PermissionDenied, RecordContext, Role, authorize, can, sees_reviewers

__all__ = [
    "Action",
    "Actor",
    "EDITABLE_STATES",
    "InvalidTransition",
    "PermissionDenied",
    "REVIEW_STATES",
    "RecordContext",
    "Role",
    "State",
    "authorize",
    "can",
    "next_state",
    "sees_reviewers",
]
