"""Helpers shared by the command groups: the app for a command, friendly errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask

from app.services.errors import ServiceError
from curation import InvalidTransition, PermissionDenied


def _app(check: bool = False) -> Flask:
    from app import create_app

    app = create_app({"CHECK_MIGRATIONS": check})
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        # Close pooled connections when the command ends (PostgreSQL would see them dropped).
        ctx.call_on_close(app.extensions["alluvium.engine"].dispose)
    return app


def _friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn domain errors into one clear CLI message and exit status 1 (no traceback)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from app.migrate import DatabaseNotMigrated

        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            details = "".join(f"\n  {e.field}: {'; '.join(e.messages)}" for e in exc.errors)
            raise click.ClickException(exc.message + details) from None
        except (InvalidTransition, PermissionDenied, DatabaseNotMigrated) as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper


def fail(exc: ServiceError) -> click.ClickException:
    """A service error as one CLI message naming each field."""
    details = "".join(f"\n  {e.field}: {'; '.join(e.messages)}" for e in exc.errors)
    return click.ClickException(exc.message + details)
