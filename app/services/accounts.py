"""Users, communities, moderators and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import ApiToken, Community, Event, User
from app.services.errors import Conflict, Forbidden, NotFound, field_error
from curation import Actor, Role
from schemas import InputLimitError, check_text

SCOPES = ("read", "deposit", "moderate")
TOKEN_PREFIX = "alv_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class PasswordPolicy:
    time_cost: int = 3
    memory_cost: int = 65536

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(time_cost=self.time_cost, memory_cost=self.memory_cost)


def actor_for(user: User | None) -> Actor:
    """The curation actor for a user (anonymous when None or deactivated)."""
    if user is None or not user.active:
        return Actor.anonymous()
    return Actor(user_id=user.id, role=Role(user.role), communities=frozenset(c.slug for c in user.moderated))


def checked_text(pointer: str, value: str, kind: str) -> str:
    """``value`` if XML can carry it and it fits the length limit of ``kind`` (``schemas.limits``);
    else a 400 naming ``pointer``. For every free text stored and later rendered (names, titles,
    comments): it ends up in HTML pages, XML exports and OAI-PMH."""
    try:
        return check_text(value, kind)
    except InputLimitError as exc:
        raise field_error(pointer, str(exc)) from None


def normalize_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not _EMAIL.match(email):
        raise field_error("/email", f"{email!r} is not an e-mail address")
    return checked_text("/email", email, "identifier")


def hash_password(password: str, policy: PasswordPolicy) -> str:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise field_error("/password", f"must be at least {MIN_PASSWORD_LENGTH} characters long")
    return policy.hasher().hash(password)


def create_user(
    session: Session,
    actor: Actor,
    email: str,
    *,
    role: str = "producer",
    password: str | None = None,
    name: str = "",
    communities: list[str] | None = None,
    policy: PasswordPolicy | None = None,
) -> User:
    """Create an account. Admins (or the system, from the CLI) may set any role."""
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may create accounts")
    email = normalize_email(email)
    name = checked_text("/name", name or "", "name")
    try:
        role = Role(role).value
    except ValueError:
        raise field_error("/role", f"must be one of {', '.join(r.value for r in Role)}") from None
    if session.scalar(select(User).where(User.email == email)):
        raise Conflict(f"a user with e-mail {email} already exists")
    if communities and role != Role.MODERATOR:
        raise field_error("/communities", "only moderators are attached to communities")
    moderated = [get_community(session, slug) for slug in communities or []]
    user = User(email=email, role=role, name=name)
    if password is not None:
        user.password_hash = hash_password(password, policy or PasswordPolicy())
    session.add(user)
    user.moderated.extend(moderated)
    session.flush()
    record_admin_event(session, actor, "user-create", {"user": user.id, "email": email, "role": role})
    return user


def authenticate(session: Session, email: str, password: str, policy: PasswordPolicy) -> User | None:
    """The active user with this e-mail and password, or None. Rehashes outdated hashes."""
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None or not user.active or not user.password_hash:
        # Spend the same time as a real check so e-mail existence does not leak by timing.
        policy.hasher().hash("timing-equaliser")
        return None
    hasher = policy.hasher()
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
    return user


def get_user_by_email(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == (email or "").strip().lower()))
    if user is None:
        raise NotFound(f"no user with e-mail {email}")
    return user


def get_community(session: Session, slug: str) -> Community:
    community = session.scalar(select(Community).where(Community.slug == (slug or "").strip().lower()))
    if community is None:
        raise field_error("/community", f"no community {slug!r}")
    return community


def create_community(
    session: Session, actor: Actor, slug: str, title: str, description: str = ""
) -> Community:
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may create communities")
    slug = (slug or "").strip().lower()
    if not _SLUG.match(slug):
        raise field_error("/slug", "must be 2-63 lowercase letters, digits or hyphens")
    if not (title or "").strip():
        raise field_error("/title", "must not be empty")
    title = checked_text("/title", title, "title")
    description = checked_text("/description", description or "", "text")
    if session.scalar(select(Community).where(Community.slug == slug)):
        raise Conflict(f"community {slug!r} already exists")
    community = Community(slug=slug, title=title.strip(), description=description)
    session.add(community)
    session.flush()
    record_admin_event(session, actor, "community-create", {"community": slug})
    return community


def add_moderator(session: Session, actor: Actor, community_slug: str, email: str) -> None:
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may appoint moderators")
    community = get_community(session, community_slug)
    user = get_user_by_email(session, email)
    if user.role == Role.PRODUCER:
        user.role = Role.MODERATOR.value
    if community not in user.moderated:
        user.moderated.append(community)
    session.flush()
    record_admin_event(session, actor, "moderator-add", {"community": community.slug, "user": user.id})


def create_token(
    session: Session, actor: Actor, user: User, *, scopes: list[str] | None = None, name: str = ""
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret, which is never stored."""
    if not (actor.system or actor.is_admin or actor.user_id == user.id):
        raise Forbidden("you may only create tokens for yourself")
    name = checked_text("/name", name or "", "name")
    scopes = list(scopes or SCOPES)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise field_error("/scopes", f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if "moderate" in scopes and user.role == Role.PRODUCER:
        scopes.remove("moderate")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        token_hash=_token_hash(secret),
        scopes=" ".join(s for s in SCOPES if s in scopes),
    )
    session.add(token)
    session.flush()
    return token, secret


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or not (actor.is_admin or actor.system or actor.user_id == token.user_id):
        raise NotFound(f"no token {token_id}")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    return token


def token_user(session: Session, secret: str) -> tuple[User, frozenset[str]] | None:
    """The active user and scopes behind a bearer token, or None when unknown or revoked."""
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(secret)))
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    _touch_token(session, token)
    return token.user, token.scope_set


#: ``last_used_at`` is refreshed at most this often (seconds).
TOKEN_TOUCH_INTERVAL = 60


def _touch_token(session: Session, token: ApiToken) -> None:
    """Record the token's use in its own short transaction, at most once a minute.

    Never through the caller's session: a pending UPDATE there would be flushed by the
    request's first query and hold the write lock (SQLite) or a row lock (PostgreSQL) for the
    whole request, a streamed upload included. Best effort: a busy database skips it."""
    from datetime import timedelta

    from sqlalchemy import or_, update
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm.attributes import set_committed_value

    now = utcnow()
    cutoff = now - timedelta(seconds=TOKEN_TOUCH_INTERVAL)
    if token.last_used_at is not None and token.last_used_at > cutoff:
        return
    try:
        with session.get_bind().connect() as conn:
            conn.execute(
                update(ApiToken)
                .where(ApiToken.id == token.id)
                .where(or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= cutoff))
                .values(last_used_at=now)
            )
            conn.commit()
    except OperationalError:
        return
    set_committed_value(token, "last_used_at", now)


def _token_hash(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough (no dictionary to guard against).
    return hashlib.sha256(secret.encode()).hexdigest()


def record_admin_event(session: Session, actor: Actor, action: str, data: dict) -> None:
    """Record an account or community change in the audit trail."""
    session.add(Event(actor_id=actor.user_id, action=action, as_admin=actor.is_admin, data=data))
