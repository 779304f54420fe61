"""``alluvium search``: rebuild the search index from the database (docs/search.md)."""

from __future__ import annotations

import time
from pathlib import Path

import click

from app.cli._common import _app

CHECKPOINT = "search-reindex.checkpoint"


@click.group()
def search() -> None:
    """Search index: rebuild it from the database, the source of truth."""


@search.command("reindex")
@click.option(
    "--batch", default=200, show_default=True, type=click.IntRange(1, 10000), help="Datasets per transaction."
)
@click.option("--restart", is_flag=True, help="Ignore the checkpoint of an interrupted run and start over.")
@click.option(
    "--stop-after",
    type=click.IntRange(1),
    default=None,
    help="Stop after this many batches (tests, maintenance windows).",
)
def reindex(batch: int, restart: bool, stop_after: int | None) -> None:
    """Re-derive the index entries of every published dataset, in batches.

    Memory stays flat (one batch at a time). Each committed batch is recorded in the checkpoint
    file ``search-reindex.checkpoint`` in the instance folder; an interrupted run (Ctrl-C, kill,
    crash) resumes after it. With SEARCH_BACKEND = "elasticsearch" the external index is rebuilt
    into a new index and the alias switched once it is complete (no downtime).
    """
    from app.db import new_session
    from app.search import external_backend
    from app.search.indexer import count_parents
    from app.search.indexer import reindex as run

    app = _app(check=True)
    checkpoint = Path(app.instance_path) / CHECKPOINT
    after = None
    if checkpoint.exists() and not restart:
        after = checkpoint.read_text().strip() or None
        if after:
            click.echo(f"resuming after dataset {after} (--restart to start over)")
    backend = external_backend(app)
    with app.app_context(), new_session(app) as session:
        total = count_parents(session)
        done = 0
        if after:  # datasets already done by the interrupted run
            from sqlalchemy import func, select

            from app.models import Record

            done = (
                session.scalar(
                    select(func.count(func.distinct(Record.parent_id))).where(
                        Record.parent_id <= after, Record.state.in_(["published", "withdrawn"])
                    )
                )
                or 0
            )
        started, batches = time.monotonic(), 0
        target = backend.begin_reindex() if backend is not None else None
        for parents in run(session, app.config["BASE_URL"], after=after, batch=batch):
            if backend is not None:
                backend.sync_parents(session, parents, index=target)
            done += len(parents)
            batches += 1
            checkpoint.write_text(parents[-1])
            rate = done / max(time.monotonic() - started, 1e-6)
            click.echo(f"\r{done}/{total} datasets ({rate:.0f}/s)", nl=False)
            if stop_after is not None and batches >= stop_after:
                click.echo(f"\nstopped after {batches} batch(es); run again to go on")
                return
        if backend is not None:
            backend.finish_reindex(target)
        checkpoint.unlink(missing_ok=True)
        click.echo(f"\r{done}/{total} datasets indexed")
