"""``alluvium db``: schema migrations."""

from __future__ import annotations

import click

from app.cli._common import _app


@click.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Create or migrate the database schema."""
    from app.migrate import upgrade

    app = _app()
    upgrade(app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the schema down to REVISION ('base' drops everything)."""
    from app.migrate import downgrade

    downgrade(_app().config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db.command("current")
def db_current() -> None:
    """Print the schema revision of the database and of the code."""
    from app.db import get_engine
    from app.migrate import current_revision, head_revision

    app = _app()
    click.echo(
        f"database: {current_revision(get_engine(app))}  code: {head_revision(app.config['DATABASE_URL'])}"
    )
