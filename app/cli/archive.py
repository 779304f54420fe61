"""``alluvium archive``: archival packages (BagIt), their fixity audit, and restore from them."""

from __future__ import annotations

import json
import sys

import click

from app.cli._common import _app, _friendly


@click.group()
def archive() -> None:
    """Archival packages: status, fixity audit (with repair), restore (docs/preservation.md)."""


@archive.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def archive_status(as_json: bool) -> None:
    """Packages, copies, last checks, failures; exit 1 when a copy is damaged."""
    from app.db import new_session
    from app.services.archive import status

    app = _app(check=True)
    with new_session(app) as session:
        report = status(session, app.config)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        for location in report["locations"]:
            click.echo(f"location {location}")
        click.echo(f"{report['packages']} package(s), {report['bytes']} bytes")
        click.echo(f"{report['preserved']} preserved (every copy verified)")
        if len(report["locations"]) < 2:
            click.echo("no replica configured (ARCHIVE_REPLICA_PATH): no package counts as preserved")
        for name in report["not_preserved"]:
            click.echo(f"not preserved: {name}")
        for name, location in report["failed_copies"]:
            click.echo(f"DAMAGED {name} ({location})")
        click.echo(
            f"oldest check: {report['oldest_check'] or 'never'}; overdue copies: {report['overdue_copies']}"
        )
        click.echo(f"published or withdrawn versions without a package: {report['versions_without_package']}")
    sys.exit(1 if report["failed_copies"] else 0)


@archive.command("audit")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Check at most this many copies.")
@click.option("--max-bytes", type=click.IntRange(min=1), default=None, help="Stop before reading more bytes.")
@click.option("--max-seconds", type=click.FloatRange(min=0), default=None, help="Stop after this long.")
def archive_audit(limit: int | None, max_bytes: int | None, max_seconds: float | None) -> None:
    """Re-hash the package copies least recently checked and repair damage from another copy.

    Without bounds, checks enough copies that a daily run covers every copy within
    ARCHIVE_AUDIT_PERIOD_DAYS. Exit 1 when damage could not be repaired."""
    from app.db import new_session
    from app.services.archive import audit, default_audit_limit

    app = _app(check=True)
    with new_session(app) as session:
        if limit is None and max_bytes is None and max_seconds is None:
            limit = default_audit_limit(session, float(app.config["ARCHIVE_AUDIT_PERIOD_DAYS"]))

        def progress(copies):  # type: ignore[no-untyped-def]
            with click.progressbar(copies, label="auditing", file=sys.stderr) as bar:
                yield from bar

        report = audit(
            session, app.config, limit=limit, max_bytes=max_bytes, max_seconds=max_seconds, progress=progress
        )
    for name, location, paths in report.repaired:
        click.echo(f"REPAIRED {name} ({location}): {', '.join(paths)}")
    for name, location, paths in report.failed:
        click.echo(f"DAMAGED {name} ({location}): {', '.join(paths)}")
    click.echo(
        f"{report.checked} copy(ies) checked, {report.bytes_read} bytes read, {report.ok} ok, "
        f"{len(report.repaired)} repaired, {len(report.failed)} damaged"
    )
    sys.exit(1 if report.failed else 0)


@archive.command("restore")
@_friendly
def archive_restore() -> None:
    """Rebuild every archived version into an EMPTY database and working store.

    Run `alluvium db upgrade` on the new database first. Each package is read from the primary
    location, or from the replica when the primary copy is damaged."""
    from app.archive_store import open_archive_stores
    from app.db import new_session
    from app.services.archive_restore import RestoreError, restore

    app = _app(check=True)
    with app.app_context(), new_session(app) as session:
        try:
            report = restore(
                session,
                open_archive_stores(app.config),
                app.extensions["alluvium.store"],
                app.config["BASE_URL"],
                progress=lambda name: click.echo(f"read {name}", err=True),
            )
        except RestoreError as exc:
            raise click.ClickException(str(exc)) from None
    for name in report.used_replica:
        click.echo(f"{name}: read from the replica (the primary copy is damaged)")
    click.echo(
        f"{report.packages} package(s) read; {report.versions} version(s), {report.files} file(s) restored; "
        f"{report.users} user(s) and {report.communities} community(ies) created"
    )
