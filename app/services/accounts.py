"""Users, communities, moderators and API tokens."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import ApiToken, Community, Event, LoginAttempt, User
from app.services.errors import Conflict, Forbidden, NotFound, field_error
from curation import Actor, Role
from schemas import InputLimitError, check_text

SCOPES = ("read", "deposit", "moderate")
TOKEN_PREFIX = "alv_"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MIN_PASSWORD_LENGTH = 10
#: Largest value of an Integer primary key (PostgreSQL int4).
MAX_ID = 2**31 - 1


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


def end_sessions(session: Session, user: User) -> None:
    """Invalidate every session of ``user`` (sign-out, password change): sessions carry the
    version they were opened with and ``app.auth`` refuses an outdated one."""
    # An UPDATE … SET v = v + 1, so two concurrent sign-outs both count.
    session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))
    session.refresh(user, ["session_version"])


def set_password(session: Session, actor: Actor, user: User, password: str, policy: PasswordPolicy) -> None:
    """Set a user's password (the user themself, an admin or the system) and end their sessions."""
    if not (actor.system or actor.is_admin or actor.user_id == user.id):
        raise Forbidden("you may only change your own password")
    user.password_hash = hash_password(password, policy)
    session.flush()
    end_sessions(session, user)
    record_admin_event(session, actor, "password-set", {"user": user.id})


def set_active(session: Session, actor: Actor, user: User, active: bool) -> None:
    """Activate or deactivate an account (admins, the system). A deactivated user cannot sign in,
    their sessions end and their API tokens stop working (``token_user``)."""
    if not (actor.system or actor.is_admin):
        raise Forbidden("only an administrator may activate or deactivate accounts")
    if not active and actor.user_id == user.id:
        raise field_error("/active", "you cannot disable your own account")
    user.active = active
    session.flush()
    end_sessions(session, user)
    record_admin_event(session, actor, "user-activate" if active else "user-deactivate", {"user": user.id})


@dataclass(frozen=True)
class LoginThrottle:
    """At most ``per_account`` failed sign-ins per e-mail and ``per_client`` per client address
    within ``window`` seconds."""

    per_account: int = 5
    per_client: int = 20
    window: int = 15 * 60


@dataclass(frozen=True)
class LoginAttemptTicket:
    ids: tuple[int, ...]
    account_key: str


def begin_login_attempt(session: Session, email: str, client: str) -> LoginAttemptTicket:
    """Record a sign-in attempt before the password is checked. The caller commits it, then asks
    :func:`login_retry_after`: concurrent attempts therefore always see each other."""
    account_key = "account:" + (email or "").strip().lower()[:254]
    rows = [LoginAttempt(key=account_key), LoginAttempt(key="client:" + (client or "unknown")[:100])]
    session.add_all(rows)
    session.flush()
    return LoginAttemptTicket(tuple(r.id for r in rows), account_key)


def login_retry_after(session: Session, ticket: LoginAttemptTicket, throttle: LoginThrottle) -> int | None:
    """Seconds to wait when earlier failures (this attempt excluded) reach a limit, else None."""
    now = utcnow()
    since = now - timedelta(seconds=throttle.window)
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < since))
    wait = 0.0
    keys = session.scalars(select(LoginAttempt.key).where(LoginAttempt.id.in_(ticket.ids))).all()
    for key in keys:
        limit = throttle.per_account if key.startswith("account:") else throttle.per_client
        earlier = (
            select(LoginAttempt.at)
            .where(LoginAttempt.key == key, LoginAttempt.at >= since, LoginAttempt.id.not_in(ticket.ids))
            .order_by(LoginAttempt.at)
        )
        count = session.scalar(select(func.count()).select_from(earlier.subquery())) or 0
        if count >= limit:
            # The attempt that must leave the window before the count drops under the limit.
            oldest = session.scalar(earlier.offset(count - limit).limit(1))
            if oldest is not None:
                wait = max(wait, (oldest + timedelta(seconds=throttle.window) - now).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else None


def end_login_attempt(
    session: Session, ticket: LoginAttemptTicket, *, succeeded: bool, refused: bool
) -> None:
    """Forget a refused attempt (it was not tried) or, on success, the account's failures; a
    failed attempt stays counted."""
    if succeeded:
        session.execute(delete(LoginAttempt).where(LoginAttempt.key == ticket.account_key))
    if succeeded or refused:
        session.execute(delete(LoginAttempt).where(LoginAttempt.id.in_(ticket.ids)))


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


def update_community(
    session: Session, actor: Actor, slug: str, title: str, description: str = ""
) -> Community:
    """Change a community's title and description (admins, the system)."""
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may change communities")
    community = get_community(session, slug)
    if not (title or "").strip():
        raise field_error("/title", "must not be empty")
    community.title = checked_text("/title", title, "title").strip()
    community.description = checked_text("/description", description or "", "text")
    session.flush()
    record_admin_event(session, actor, "community-update", {"community": community.slug})
    return community


def remove_moderator(session: Session, actor: Actor, community_slug: str, email: str) -> None:
    """Detach a moderator from a community. Their role stays (an admin changes it separately):
    a moderator of no community sees no queue."""
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may remove moderators")
    community = get_community(session, community_slug)
    user = get_user_by_email(session, email)
    if community not in user.moderated:
        raise Conflict(f"{user.email} does not moderate {community.slug}")
    user.moderated.remove(community)
    session.flush()
    record_admin_event(session, actor, "moderator-remove", {"community": community.slug, "user": user.id})


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def set_role(session: Session, actor: Actor, user: User, role: str) -> None:
    """Change a user's role (admins, the system). A user who stops being a moderator leaves
    their communities; an admin cannot take their own admin role away (someone must remain
    able to give it back). Their sessions end, so the new role applies at once."""
    if not (actor.is_admin or actor.system):
        raise Forbidden("only an administrator may change roles")
    try:
        new = Role(role).value
    except ValueError:
        raise field_error("/role", f"must be one of {', '.join(r.value for r in Role)}") from None
    if actor.user_id == user.id and new != Role.ADMIN:
        raise field_error("/role", "you cannot take your own administrator role away")
    old = user.role
    if old == new:
        return
    user.role = new
    if new != Role.MODERATOR:
        user.moderated.clear()
    session.flush()
    end_sessions(session, user)
    record_admin_event(session, actor, "user-role", {"user": user.id, "from": old, "to": new})


def allowed_scopes(user: User) -> frozenset[str]:
    """Every scope the user's role allows: producers never moderate."""
    if user.role == Role.PRODUCER:
        return frozenset(s for s in SCOPES if s != "moderate")
    return frozenset(SCOPES)


def create_token(
    session: Session,
    actor: Actor,
    user: User,
    *,
    scopes: list[str] | None = None,
    name: str = "",
    within: frozenset[str] | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the secret, which is never stored.

    ``scopes`` None means every scope the user's role allows (intersected with ``within``); an
    empty list is refused. ``within`` is what the creating credentials hold (the scopes of the
    bearer token, or the role's scopes for a signed-in user): a token never grants more.
    """
    if not (actor.system or actor.is_admin or actor.user_id == user.id):
        raise Forbidden("you may only create tokens for yourself")
    name = checked_text("/name", name or "", "name")
    if scopes is None:
        scopes = [s for s in SCOPES if within is None or s in within]
    scopes = list(scopes)
    if not scopes:
        raise field_error("/scopes", f"must name at least one scope: {', '.join(SCOPES)}")
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise field_error("/scopes", f"unknown scope(s) {', '.join(unknown)}; known: {', '.join(SCOPES)}")
    if within is not None and not set(scopes) <= within:
        extra = ", ".join(s for s in SCOPES if s in set(scopes) - within)
        raise field_error(
            "/scopes", f"a token cannot grant more than the credentials that create it ({extra})"
        )
    # A role limit, not a credential limit: the CLI may ask for "moderate" for anyone.
    scopes = [s for s in scopes if s in allowed_scopes(user)]
    if not scopes:
        raise field_error("/scopes", f"the {user.role} role allows none of these scopes")
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
    # Ids beyond a 32-bit integer column cannot exist; asking the database would overflow.
    token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
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
    if session.new or session.dirty or session.deleted:
        return  # never end a caller's unit of work; the next request records the use
    # End the session's read-only transaction first, so that its connection goes back to the
    # pool: a request must never hold one connection while waiting for a second, or as many
    # concurrent first uses of tokens as the pool has connections deadlock until its timeout.
    session.commit()
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


def set_notifications(session: Session, actor: Actor, enabled: bool) -> User:
    """The signed-in person opts in to (or out of) the moderation e-mails."""
    user = session.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None:
        raise Forbidden("sign in to change your e-mail notifications")
    user.notify_email = bool(enabled)
    record_admin_event(
        session, actor, "notifications", {"user": user.email, "notify_email": user.notify_email}
    )
    session.flush()
    return user
