"""``alluvium import`` and ``alluvium export``: metadata records in and out on the command line."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from app.cli._common import _app, _friendly


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format", "format_name", help="datacite, oai_datacite, iso19139, iso19115-3 (detected if omitted)."
)
@click.option("--owner", required=True, help="E-mail of the user who will own the new draft.")
@click.option("--community", default=None, help="Community of the draft (optional).")
@_friendly
def import_command(file: Path, format_name: str | None, owner: str, community: str | None) -> None:
    """Create a draft from a DataCite or ISO XML record; prints the draft id, then what was not mapped."""
    from app.db import new_session
    from app.services import accounts, deposit
    from app.services.errors import ServiceError

    app = _app(check=True)
    with app.app_context(), new_session(app) as session:
        user = accounts.get_user_by_email(session, owner)
        actor = accounts.actor_for(user)
        try:
            imported = deposit.import_draft(
                session,
                actor,
                file.read_bytes(),
                format_name=format_name,
                config=app.config,
                community=community,
            )
        except ServiceError as exc:
            if getattr(exc, "errors", None) and exc.errors[0].field == "/file":
                raise click.ClickException(f"{file}: {'; '.join(exc.errors[0].messages)}") from None
            raise
        session.commit()
        record, name, result_unmapped = imported.record, imported.format_name, imported.unmapped
        click.echo(record.id)
    click.echo(f"imported {file.name} as {name}: draft {record.id} owned by {owner}", err=True)
    if result_unmapped:
        click.echo(f"{len(result_unmapped)} item(s) not mapped:", err=True)
        for item in result_unmapped:
            click.echo(f"  {item}", err=True)


@click.command("export")
@click.argument("record_id", required=False)
@click.option(
    "--format", "format_name", required=True, help="A registered format name (datacite, oai_dc, …)."
)
@click.option(
    "--all", "all_records", is_flag=True, help="Every published record, one file each (needs --out)."
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help="Directory for --all.")
@click.option("--as", "as_user", help="E-mail of a user who may read the draft: export RECORD_ID's draft.")
@_friendly
def export_command(
    record_id: str | None, format_name: str, all_records: bool, out: Path | None, as_user: str | None
) -> None:
    """Print one record in a format, or write every published record to --out with --all.

    A published version is exported for anyone; a draft only ``--as`` a user allowed to read it
    (the same permission as ``GET /api/records/<id>/draft``).
    """
    from app.db import new_session
    from app.services import accounts
    from app.services import records as svc
    from app.services.documents import record_document
    from curation import Actor
    from exports import registry

    try:
        fmt = registry.get_format(format_name)
    except KeyError as exc:
        raise click.ClickException(str(exc.args[0])) from None
    if all_records == bool(record_id):
        raise click.UsageError("give either a RECORD_ID or --all")
    if all_records and out is None:
        raise click.UsageError("--all needs --out DIR")
    app = _app(check=True)
    base_url = app.config["BASE_URL"]
    with app.app_context(), new_session(app) as session:
        if record_id:
            if as_user:
                actor = accounts.actor_for(accounts.get_user_by_email(session, as_user))
                record = svc.get_record(session, actor, record_id)
            else:
                record = svc.get_public_record(session, Actor.anonymous(), record_id)
            click.echo(fmt.writer(record_document(session, record, base_url)).decode(), nl=False)
            return
        assert out is not None
        out.mkdir(parents=True, exist_ok=True)
        total = svc.list_published(session, page=1, size=1).total
        written, page = 0, 1
        with click.progressbar(length=total, label=f"{fmt.name}", file=sys.stderr) as bar:
            while written < total:
                batch = svc.list_published(session, page=page, size=100).items
                if not batch:
                    break
                for record in batch:
                    (out / f"{record.id}.{fmt.extension}").write_bytes(
                        fmt.writer(record_document(session, record, base_url))
                    )
                    written += 1
                    bar.update(1)
                page += 1
    click.echo(f"wrote {written} file(s) to {out}", err=True)
