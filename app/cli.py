"""The ``alluvium`` command line: database, accounts, tokens, demo data, serving, jobs."""

from __future__ import annotations

import functools
import secrets
import sys
from collections.abc import Callable
from typing import Any

import click
from flask import Flask

from app.services.errors import ServiceError
from curation import Actor, InvalidTransition, PermissionDenied


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


@click.group()
def main() -> None:
    """Alluvium: FAIR metadata authoring and trusted repository for Earth-science data.

    Configuration comes from the instance folder (ALLUVIUM_INSTANCE_PATH) and ALLUVIUM_*
    environment variables; see docs/configuration.md.
    """


# -- database -----------------------------------------------------------------------------


@main.group()
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


# -- accounts -----------------------------------------------------------------------------


@main.group()
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


@main.group()
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


@main.group()
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


# -- running ------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@_friendly
def serve(host: str, port: int) -> None:
    """Serve the application (threaded development server; use gunicorn in production)."""
    _serve(_app(check=True), host, port)


def _serve(app: Flask, host: str, port: int) -> None:
    from werkzeug.serving import run_simple

    click.echo(f"Alluvium on http://{host}:{port}/  (instance {app.instance_path})", err=True)
    run_simple(host, port, app, threaded=True, use_reloader=False)


@main.command()
@click.option("--serve", "then_serve", is_flag=True, help="Serve the app afterwards.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@_friendly
def demo(then_serve: bool, host: str, port: int) -> None:
    """Migrate, then load demo users, communities and records (idempotent)."""
    from app.demo import load_demo
    from app.migrate import upgrade

    app = _app()
    upgrade(app.config["DATABASE_URL"])
    app = _app(check=True)
    with app.app_context():
        summary = load_demo(app)
        from app.cli_vocab import load_bundled_lines

        summary += load_bundled_lines(app)
    for line in summary:
        click.echo(line)
    if then_serve:
        _serve(app, host, port)


@main.group()
def jobs() -> None:
    """Background jobs (the outbox)."""


@jobs.command("run")
@click.option("--loop", is_flag=True, help="Keep polling every few seconds.")
def jobs_run(loop: bool) -> None:
    """Run due jobs (publishing, …) once, or forever with --loop."""
    import time

    from app.services import jobs as jobs_svc

    app = _app(check=True)
    with app.app_context():
        while True:
            ok, failed = jobs_svc.run_pending(app.extensions["alluvium.sessionmaker"])
            if ok or failed or not loop:
                click.echo(f"{ok} job(s) done, {failed} failed or postponed")
            if not loop:
                sys.exit(1 if failed else 0)
            time.sleep(5)


from app.cli_oai import oai  # noqa: E402
from app.cli_vocab import vocab  # noqa: E402

main.add_command(vocab)
main.add_command(oai)


@main.group()
def storage() -> None:
    """The file store: fixity audit and clean-up."""


@storage.command("verify")
@click.option("--limit", type=int, default=None, help="Check at most this many objects (oldest check first).")
def storage_verify(limit: int | None) -> None:
    """Fixity audit: re-hash stored objects, record the result, exit 1 on any mismatch."""
    from sqlalchemy import select

    from app.db import new_session, utcnow
    from app.models import FileObject
    from app.storage import ObjectNotFound

    app = _app(check=True)
    store = app.extensions["alluvium.store"]
    bad = 0
    with new_session(app) as session:
        query = select(FileObject).order_by(
            FileObject.last_fixity_check.is_not(None), FileObject.last_fixity_check
        )
        rows = session.scalars(query.limit(limit) if limit else query).all()
        with click.progressbar(rows, label="verifying", file=sys.stderr) as bar:
            for obj in bar:
                try:
                    ok = store.verify(obj.sha256)
                except ObjectNotFound:
                    ok = False
                obj.last_fixity_check, obj.fixity_ok = utcnow(), ok
                if not ok:
                    bad += 1
                    click.echo(f"FAILED {obj.sha256} ({obj.size} bytes)")
        session.commit()
    click.echo(f"{len(rows)} object(s) checked, {bad} failed")
    sys.exit(1 if bad else 0)


@storage.command("cleanup")
@click.option("--delete-unreferenced", is_flag=True, help="Also delete objects no record file references.")
def storage_cleanup(delete_unreferenced: bool) -> None:
    """Remove stale temporary uploads; list (or delete) unreferenced objects."""
    from sqlalchemy import select

    from app.db import new_session
    from app.models import FileObject, RecordFile

    app = _app(check=True)
    store = app.extensions["alluvium.store"]
    click.echo(f"{store.cleanup_temp()} stale temporary file(s) removed")
    with new_session(app) as session:
        referenced = set(session.scalars(select(RecordFile.object_sha256)).all())
        orphans = [sha for sha in store.iter_objects() if sha not in referenced]
        for sha in orphans:
            click.echo(f"unreferenced {sha}")
            if delete_unreferenced:
                store.delete(sha)
                row = session.get(FileObject, sha)
                if row is not None:
                    session.delete(row)
        session.commit()
    verb = "deleted" if delete_unreferenced else "found"
    click.echo(f"{len(orphans)} unreferenced object(s) {verb}")


from app.cli_exports import export_command, import_command  # noqa: E402

main.add_command(import_command)
main.add_command(export_command)

if __name__ == "__main__":  # pragma: no cover
    main()
