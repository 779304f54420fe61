"""``alluvium communities``: communities and their moderators."""

from __future__ import annotations

import click

from app.cli._common import _app, _friendly
from curation import Actor


@click.group()
def communities() -> None:
    """Communities and their moderators."""


@communities.command("create")
@click.argument("slug")
@click.argument("title")
@click.option("--description", default="")
@_friendly
def communities_create(slug: str, title: str, description: str) -> None:
    """Create community SLUG."""
    from app.db import new_session
    from app.services import accounts

    app = _app(check=True)
    with new_session(app) as session:
        accounts.create_community(session, Actor.system_actor(), slug, title, description)
        session.commit()
    click.echo(f"community {slug} created")


@communities.command("add-moderator")
@click.argument("slug")
@click.argument("email")
@_friendly
def communities_add_moderator(slug: str, email: str) -> None:
    """Make EMAIL a moderator of community SLUG."""
    from app.db import new_session
    from app.services import accounts

    app = _app(check=True)
    with new_session(app) as session:
        accounts.add_moderator(session, Actor.system_actor(), slug, email)
        session.commit()
    click.echo(f"{email} moderates {slug}")
