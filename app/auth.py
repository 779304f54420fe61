"""Authentication: flask-login sessions for the web, bearer API tokens for REST and protocols."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, current_user, login_user

from app.db import get_session
from app.models import User
from app.services import accounts
from app.services.errors import Forbidden, Unauthorized
from curation import Actor

login_manager = LoginManager()
login_manager.login_view = "pages.login"
F = TypeVar("F", bound=Callable[..., Any])
ALL_SCOPES = frozenset(accounts.SCOPES)
#: Session key holding the user's ``session_version`` at sign-in.
SESSION_VERSION_KEY = "_sv"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The session's user, unless deactivated or signed out since (``session_version``)."""
    try:
        user = get_session().get(User, int(user_id))
    except (ValueError, OverflowError):
        return None
    if user is None or not user.active or session.get(SESSION_VERSION_KEY) != user.session_version:
        return None
    return user


def sign_in(user: User) -> None:
    """Start a fresh session for ``user`` (no data carried over from before sign-in)."""
    session.clear()
    login_user(user)
    session[SESSION_VERSION_KEY] = user.session_version


def current_identity() -> tuple[User | None, frozenset[str]]:
    """The request's user and token scopes. A bearer token wins over a session cookie."""
    if "identity" in g:
        return g.identity
    header = request.headers.get("Authorization", "")
    identity: tuple[User | None, frozenset[str]] = (None, frozenset())
    if header:
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized("use 'Authorization: Bearer <token>'")
        found = accounts.token_user(get_session(), secret.strip())
        if found is None:
            raise Unauthorized("the API token is unknown or revoked")
        identity = found
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
        identity = (user, accounts.allowed_scopes(user))
    g.identity = identity
    return identity


def current_actor() -> Actor:
    user, _ = current_identity()
    return accounts.actor_for(user)


def login_throttle() -> accounts.LoginThrottle:
    cfg = current_app.config
    return accounts.LoginThrottle(
        cfg["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
        cfg["LOGIN_MAX_FAILURES_PER_CLIENT"],
        cfg["LOGIN_FAILURE_WINDOW"],
    )


def password_policy() -> accounts.PasswordPolicy:
    cfg = current_app.config
    return accounts.PasswordPolicy(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"])


def require_scope(scope: str) -> Callable[[F], F]:
    """The endpoint needs a signed-in user whose token (if any) carries ``scope``."""

    def decorate(fn: F) -> F:
        @wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user, scopes = current_identity()
            if user is None:
                raise Unauthorized("authentication required: send 'Authorization: Bearer <token>'")
            if scope not in scopes:
                raise Forbidden(f"this token lacks the {scope!r} scope")
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def optional_scope(scope: str) -> None:
    """For endpoints open to anonymous readers: a token without ``scope`` is refused."""
    user, scopes = current_identity()
    if user is not None and scope not in scopes:
        raise Forbidden(f"this token lacks the {scope!r} scope")
