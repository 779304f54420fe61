"""``alluvium jobs``: the outbox."""

from __future__ import annotations

import sys

import click

from app.cli._common import _app


@click.group()
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
