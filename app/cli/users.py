"""``alluvium users``: user accounts."""

from __future__ import annotations

import secrets

import click

from app.cli._common import _app, _friendly
from curation import Actor


@click.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["producer", "moderator", "admin"]), default="producer", show_default=True
)
@click.option(
    "--community", "communities", multiple=True, help="Community a moderator moderates (repeatable)."
)
@click.option("--password", help="Password (at least 10 characters). Omitted: one is generated and printed.")
@click.option("--name", default="")
@_friendly
def users_create(
    email: str, role: str, communities: tuple[str, ...], password: str | None, name: str
) -> None:
    """Create a user account."""
    from app.db import new_session
    from app.services import accounts

    app = _app(check=True)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with app.app_context(), new_session(app) as session:
        policy = accounts.PasswordPolicy(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"])
        user = accounts.create_user(
            session,
            Actor.system_actor(),
            email,
            role=role,
            password=password,
            name=name,
            communities=list(communities),
            policy=policy,
        )
        session.commit()
        click.echo(f"created {role} {user.email} (id {user.id})")
        if generated:
            click.echo(f"password: {password}")


@users.command("set-password")
@click.argument("email")
@click.option(
    "--password", help="New password (at least 10 characters). Omitted: one is generated and printed."
)
@_friendly
def users_set_password(email: str, password: str | None) -> None:
    """Set a user's password; every session of that user ends."""
    from app.db import new_session
    from app.services import accounts

    app = _app(check=True)
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    with app.app_context(), new_session(app) as session:
        policy = accounts.PasswordPolicy(app.config["ARGON2_TIME_COST"], app.config["ARGON2_MEMORY_COST"])
        user = accounts.get_user_by_email(session, email)
        accounts.set_password(session, Actor.system_actor(), user, password, policy)
        session.commit()
        click.echo(f"password set for {user.email}; their sessions have ended")
        if generated:
            click.echo(f"password: {password}")


@users.command("list")
def users_list() -> None:
    """List user accounts."""
    from sqlalchemy import select

    from app.db import new_session
    from app.models import User

    app = _app(check=True)
    with new_session(app) as session:
        for u in session.scalars(select(User).order_by(User.id)):
            mods = ",".join(sorted(c.slug for c in u.moderated))
            click.echo(f"{u.id}\t{u.email}\t{u.role}\t{mods}\t{'active' if u.active else 'inactive'}")
