"""``alluvium tokens``: API tokens."""

from __future__ import annotations

import click

from app.cli._common import _app, _friendly
from curation import Actor


@click.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.argument("email")
@click.option("--scopes", default="read,deposit,moderate", show_default=True, help="Comma-separated scopes.")
@click.option("--name", default="cli")
@_friendly
def tokens_create(email: str, scopes: str, name: str) -> None:
    """Create an API token for EMAIL. The token is printed once, on the last line."""
    from app.db import new_session
    from app.services import accounts

    app = _app(check=True)
    with new_session(app) as session:
        user = accounts.get_user_by_email(session, email)
        token, secret = accounts.create_token(
            session,
            Actor.system_actor(),
            user,
            scopes=[s.strip() for s in scopes.split(",") if s.strip()],
            name=name,
        )
        session.commit()
        click.echo(
            f"token {token.id} for {user.email}, scopes: {token.scopes} (shown once, store it now)", err=True
        )
        click.echo(secret)


@tokens.command("revoke")
@click.argument("token_id", type=int)
@_friendly
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID."""
    from app.db import new_session
    from app.services import accounts

    app = _app(check=True)
    with new_session(app) as session:
        accounts.revoke_token(session, Actor.system_actor(), token_id)
        session.commit()
    click.echo(f"token {token_id} revoked")
