"""``alluvium records``: administrators' actions on records from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import click

from app.cli._common import _app, _friendly


@click.group()
def records() -> None:
    """Administrators' actions on published records (docs/api.md, corrections)."""


@records.command("correct")
@click.argument("record_id")
@click.option("--as", "as_user", required=True, help="E-mail of the administrator making the correction.")
@click.option("--reason", required=True, help="Why the published metadata is corrected (kept in the event).")
@click.option(
    "--patch",
    "patch_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="JSON file: an RFC 7396 merge patch of the metadata.",
)
@_friendly
def correct_command(record_id: str, as_user: str, reason: str, patch_file: Path) -> None:
    """Correct the metadata of a published version, as PATCH /api/records/ID does: validated,
    recorded as a `correct` event with the diff, OAI-PMH resynced, DataCite updated by jobs."""
    import schemas
    from app.db import new_session
    from app.jobs_runtime import commit
    from app.services import accounts
    from app.services import records as svc
    from app.services.errors import field_error

    try:
        patch = schemas.parse_json(patch_file.read_bytes())
    except ValueError as exc:  # bounded parser: JSON errors, nesting and number limits
        raise field_error("/metadata", f"{patch_file} is not usable JSON: {exc}") from None
    app = _app(check=True)
    with app.app_context(), new_session(app) as session:
        actor = accounts.actor_for(accounts.get_user_by_email(session, as_user))
        record, diff = svc.correct(session, actor, record_id, metadata=patch, reason=reason)
        commit(session)  # and, in eager mode, run the OAI/DataCite jobs it queued
        for key, change in diff.items():
            click.echo(f"{key}: {json.dumps(change['from'])} -> {json.dumps(change['to'])}")
        click.echo(f"record {record.id} corrected ({len(diff)} field(s))")
