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
