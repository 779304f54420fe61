"""``alluvium storage migrate``: copy the file store to another backend (e.g. to S3)."""

from __future__ import annotations

import sys

import click

from app.cli._common import _app


@click.command("migrate")
@click.option("--to", "to", type=click.Choice(["s3", "local"]), required=True, help="The target backend.")
@click.option(
    "--from",
    "from_",
    type=click.Choice(["s3", "local"]),
    default=None,
    help="The source backend (default: the other one).",
)
@click.option("--verify-existing", is_flag=True, help="Re-hash objects already in the target too.")
def storage_migrate(to: str, from_: str | None, verify_existing: bool) -> None:
    """Copy every object to the target store, verified; resumable (rerun to finish).

    Both stores are built from the configuration (STORAGE_PATH for local, S3_* for s3).
    Switch STORAGE_BACKEND to the target once the run ends with no failure.
    """
    from app.db import new_session
    from app.services.storage_migration import migrate_objects, objects_to_migrate
    from app.storage import open_store

    source_kind = from_ or ("local" if to == "s3" else "s3")
    if source_kind == to:
        raise click.UsageError("--from and --to name the same backend")
    app = _app(check=True)
    try:
        source = open_store({**app.config, "STORAGE_BACKEND": source_kind})
        target = open_store({**app.config, "STORAGE_BACKEND": to})
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    with new_session(app) as session:
        objects = objects_to_migrate(session)
    click.echo(f"{len(objects)} object(s) to migrate from {source_kind} to {to}", err=True)
    failures: list[str] = []
    with click.progressbar(length=len(objects), label="migrating", file=sys.stderr) as bar:

        def progress(sha256: str, outcome: str) -> None:
            bar.update(1)
            if outcome.startswith("failed"):
                failures.append(f"FAILED {sha256}: {outcome.removeprefix('failed: ')}")

        report = migrate_objects(objects, source, target, verify_existing=verify_existing, progress=progress)
    for line in failures:
        click.echo(line)
    click.echo(f"{report.copied} copied, {report.skipped} already present, {len(report.failed)} failed")
    sys.exit(1 if report.failed else 0)
