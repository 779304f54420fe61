"""``alluvium vocab``: import SKOS vocabularies, load the bundled ones, list what is loaded."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli._common import _app
from app.cli._common import fail as _fail
from app.services.errors import ServiceError
from curation import Actor


@click.group()
def vocab() -> None:
    """Controlled vocabularies (SKOS). Run `alluvium vocab load-bundled` after `db upgrade`."""


@vocab.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--scheme-uri", required=True, help="URI of the concept scheme to import from FILE.")
@click.option("--name", help="Short name used in API URLs (default: kept, or from the URI).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["ttl", "xml", "json-ld"]),
    help="RDF syntax (default: from the file extension).",
)
def vocab_import(file: Path, scheme_uri: str, name: str | None, fmt: str | None) -> None:
    """Import or re-import a SKOS vocabulary from FILE, in one transaction."""
    from app.db import new_session
    from app.migrate import DatabaseNotMigrated
    from app.services import vocabularies

    try:
        app = _app(check=True)
    except DatabaseNotMigrated as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"reading {file.name} …", err=True)
    with new_session(app) as session:
        with click.progressbar(length=1, label="storing concepts", file=sys.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            try:
                result = vocabularies.import_vocabulary(
                    session, Actor.system_actor(), file, scheme_uri, name, progress, fmt=fmt
                )
            except ServiceError as exc:
                session.rollback()
                raise _fail(exc) from None
        session.commit()
        click.echo(result.summary())


def load_bundled_lines(app) -> list[str]:  # type: ignore[no-untyped-def]
    """Load the bundled vocabularies in one transaction; one summary line each (``alluvium
    demo`` calls this too)."""
    from app.db import new_session
    from app.services import vocabularies

    with new_session(app) as session:
        results = vocabularies.load_bundled(session, Actor.system_actor())
        session.commit()
        return ["vocabulary " + r.summary() for r in results]


@vocab.command("load-bundled")
def vocab_load_bundled() -> None:
    """Load (or refresh) the vocabularies shipped with Alluvium."""
    from app.migrate import DatabaseNotMigrated

    try:
        app = _app(check=True)
    except DatabaseNotMigrated as exc:
        raise click.ClickException(str(exc)) from None
    for line in load_bundled_lines(app):
        click.echo(line)


@vocab.command("list")
def vocab_list() -> None:
    """List loaded vocabularies: name, concepts, version, URI."""
    from app.db import new_session
    from app.migrate import DatabaseNotMigrated
    from app.services import vocabularies

    try:
        app = _app(check=True)
    except DatabaseNotMigrated as exc:
        raise click.ClickException(str(exc)) from None
    with new_session(app) as session:
        for s in vocabularies.list_schemes(session):
            click.echo(f"{s.name}\t{s.concept_count}\t{s.version or '-'}\t{s.uri}")
