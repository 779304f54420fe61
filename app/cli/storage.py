"""``alluvium storage``: fixity audit and clean-up of the file store."""

from __future__ import annotations

import sys

import click

from app.cli._common import _app


@click.group()
def storage() -> None:
    """The file store: fixity audit and clean-up."""


@storage.command("verify")
@click.option("--limit", type=int, default=None, help="Check at most this many objects (oldest check first).")
def storage_verify(limit: int | None) -> None:
    """Fixity audit: re-hash stored objects, record the result, exit 1 on any mismatch.

    A damaged or missing object that an archival package holds is put back from the archive
    (docs/preservation.md) and reported as REPAIRED."""
    from sqlalchemy import select

    from app.db import new_session, utcnow
    from app.models import FileObject
    from app.services.archive import repair_object
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
                if not ok:
                    source = repair_object(session, app.config, store, obj.sha256)
                    if source is not None:
                        ok = store.verify(obj.sha256)
                        if ok:
                            click.echo(f"REPAIRED {obj.sha256} from archive package {source}")
                obj.last_fixity_check, obj.fixity_ok = utcnow(), ok
                if not ok:
                    bad += 1
                    click.echo(f"FAILED {obj.sha256} ({obj.size} bytes)")
        session.commit()
    click.echo(f"{len(rows)} object(s) checked, {bad} failed")
    sys.exit(1 if bad else 0)


@storage.command("cleanup")
@click.option("--delete-unreferenced", is_flag=True, help="Also delete objects no record file references.")
@click.option(
    "--grace",
    type=click.FloatRange(min=0),
    default=None,
    help="Spare objects stored or deduplicated less than this many seconds ago "
    "(default: STORAGE_CLEANUP_GRACE, 24 hours).",
)
def storage_cleanup(delete_unreferenced: bool, grace: float | None) -> None:
    """Remove stale temporary uploads; list (or delete) old unreferenced objects."""
    from app.db import new_session
    from app.services.storage_maintenance import cleanup

    app = _app(check=True)
    report = cleanup(
        lambda: new_session(app),
        app.extensions["alluvium.store"],
        delete_unreferenced=delete_unreferenced,
        grace_seconds=app.config["STORAGE_CLEANUP_GRACE"] if grace is None else grace,
    )
    click.echo(f"{report.temp_removed} stale temporary file(s) removed")
    for sha in report.unreferenced:
        state = (
            "deleted" if sha in report.deleted else ("unreferenced" if not delete_unreferenced else "kept")
        )
        click.echo(f"{state} {sha}")
    if report.kept_recent:
        click.echo(f"{len(report.kept_recent)} unreferenced object(s) younger than the grace period kept")
    if delete_unreferenced:
        click.echo(f"{len(report.deleted)} unreferenced object(s) deleted")
    else:
        click.echo(f"{len(report.unreferenced)} unreferenced object(s) found")
