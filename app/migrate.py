"""Alembic migrations, driven from code (``alluvium db upgrade``) rather than an alembic.ini."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


class DatabaseNotMigrated(RuntimeError):
    """The database schema is missing or behind the code."""


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    # ConfigParser interpolation: a literal % in a password must be doubled.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def head_revision(url: str) -> str | None:
    return _head_of_scripts()


@cache
def _head_of_scripts() -> str | None:
    # The migration scripts ship with the code, so their head is fixed for the process;
    # reading them (every revision file) once, not on every create_app, saves ~30 ms each.
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_migrated(engine: Engine) -> None:
    """Raise :class:`DatabaseNotMigrated` with what to run unless the schema is at head."""
    url = engine.url.render_as_string(hide_password=False)
    head, current = head_revision(url), current_revision(engine)
    if current != head:
        where = engine.url.render_as_string(hide_password=True)
        state = (
            "has no Alluvium tables" if current is None else f"is at revision {current}, code expects {head}"
        )
        raise DatabaseNotMigrated(
            f"The database {where} {state}. Run `alluvium db upgrade` (with the same "
            "ALLUVIUM_DATABASE_URL / ALLUVIUM_INSTANCE_PATH) and start again."
        )
