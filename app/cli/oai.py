"""``alluvium oai``: administrator-defined sets, item resync and pruning for the OAI-PMH provider."""

from __future__ import annotations

import json

import click

from app.cli._common import _app
from app.cli._common import fail as _fail
from app.services.errors import ServiceError
from curation import Actor


@click.group()
def oai() -> None:
    """OAI-PMH provider (/oai): sets, resync, prune. See docs/oai-pmh.md."""


@oai.command("sets")
def oai_sets() -> None:
    """List every set harvesters see: communities, resource types, openaire_data, admin sets."""
    from app.db import new_session
    from app.oai.protocol import Provider, Settings

    app = _app(check=True)
    with new_session(app) as session:
        for spec, name, _ in Provider(Settings.from_config(app.config)).list_sets(session):
            click.echo(f"{spec}\t{name}")


@oai.command("set")
@click.argument("spec")
@click.option("--name", required=True, help="Set name shown to harvesters.")
@click.option("--description", default="", help="Set description.")
@click.option(
    "--criteria", default="{}", help='JSON, e.g. \'{"communities": ["aeris"], "require_doi": true}\'.'
)
def oai_set(spec: str, name: str, description: str, criteria: str) -> None:
    """Create or replace an administrator-defined set (e.g. the one Recherche Data Gouv harvests),
    then resync the items whose membership changed."""
    from app.db import new_session
    from app.oai import admin
    from app.services import jobs

    try:
        parsed = json.loads(criteria)
    except RecursionError:
        raise click.ClickException("--criteria nests arrays and objects too deeply") from None
    except ValueError as exc:
        raise click.ClickException(f"--criteria is not JSON: {exc}") from None
    app = _app(check=True)
    with new_session(app) as session:
        try:
            _, created = admin.put_admin_set(
                session, Actor.system_actor(), spec, name=name, description=description, criteria=parsed
            )
        except ServiceError as exc:
            session.rollback()
            raise _fail(exc) from None
        enqueued = jobs.take_enqueued(session)  # the CLI resyncs right here instead
        session.commit()
        click.echo(f"set {spec} {'created' if created else 'updated'}; resyncing items …", err=True)
        _resync(session, app)
        # Done only now: had the command died, the pending job would resync instead.
        jobs.mark_done(session, enqueued, "resynced by alluvium oai set")
        session.commit()


@oai.command("unset")
@click.argument("spec")
def oai_unset(spec: str) -> None:
    """Delete an administrator-defined set, then resync."""
    from app.db import new_session
    from app.oai import admin
    from app.services import jobs

    app = _app(check=True)
    with new_session(app) as session:
        try:
            admin.delete_admin_set(session, Actor.system_actor(), spec)
        except ServiceError as exc:
            session.rollback()
            raise _fail(exc) from None
        enqueued = jobs.take_enqueued(session)
        session.commit()
        click.echo(f"set {spec} deleted; resyncing items …", err=True)
        _resync(session, app)
        jobs.mark_done(session, enqueued, "resynced by alluvium oai unset")
        session.commit()


@oai.command("sync")
def oai_sync() -> None:
    """Recompute every published record's OAI item (after an upgrade, or to repair)."""
    from app.db import new_session

    app = _app(check=True)
    with new_session(app) as session:
        _resync(session, app)


@oai.command("prune")
def oai_prune() -> None:
    """Delete item states superseded longer ago than OAI_SNAPSHOT_RETENTION."""
    from app.db import new_session
    from app.oai import admin

    app = _app(check=True)
    with new_session(app) as session:
        count = admin.prune(session, app.config["OAI_SNAPSHOT_RETENTION"])
        session.commit()
    click.echo(f"{count} superseded item state(s) deleted")


def _resync(session, app) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import func, select

    from app.models import OaiItem
    from app.oai import items

    before = session.scalar(select(func.count()).select_from(OaiItem))
    checked = 0
    for done in items.sync_all(session, app.config["BASE_URL"], commit_every=1):
        checked = done
    after = session.scalar(select(func.count()).select_from(OaiItem))
    click.echo(f"{checked} record version(s) checked, {after - before} new item state(s)")
