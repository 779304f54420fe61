"""``alluvium doi``: DataCite DOIs (status, reconciliation, the sync sweep)."""

from __future__ import annotations

import sys

import click

from app.cli._common import _app, _friendly


@click.group()
def doi() -> None:
    """DataCite DOIs: what is pending or failed, and how DataCite compares with us (docs/dois.md)."""


def _provider(app):  # type: ignore[no-untyped-def]
    from app.services import dois

    provider = dois.provider_for(app.config)
    if provider is None:
        raise click.ClickException("PID_PROVIDER is not datacite: this repository mints no DOIs")
    return provider


@doi.command("status")
@_friendly
def status_command() -> None:
    """Counts by state, then every pending and failed DOI with its last error."""
    from app.db import new_session
    from app.services import dois

    app = _app(check=True)
    with app.app_context(), new_session(app) as session:
        st = dois.status(session)
        if not st.counts:
            click.echo("no DOIs")
        for key, n in sorted(st.counts.items()):
            click.echo(f"{n:6d}  {key}")
        for title, regs in (("pending", st.pending), ("failed", st.failed)):
            if regs:
                click.echo(f"{title}:")
            for reg in regs:
                error = (
                    f"  last error ({reg.attempts} attempt(s)): {reg.last_error}" if reg.last_error else ""
                )
                click.echo(
                    f"  {reg.doi}  {reg.kind}  DataCite {reg.remote_state or 'unknown'} → {reg.desired_state}{error}"
                )
    sys.exit(1 if st.failed else 0)


@doi.command("reconcile")
@click.option(
    "--repair", is_flag=True, help="Queue the DOIs that differ so that DataCite is brought in line."
)
@_friendly
def reconcile_command(repair: bool) -> None:
    """List the account's DOIs at DataCite and compare: missing, extra, state, url, metadata."""
    from app.db import new_session
    from app.pid.datacite_client import DataCiteError
    from app.services import dois

    app = _app(check=True)
    provider = _provider(app)
    with app.app_context(), new_session(app) as session:
        try:
            diffs = dois.reconcile(session, provider, app.config["BASE_URL"], repair=repair)
        except DataCiteError as exc:
            raise click.ClickException(f"cannot list the DOIs at DataCite: {exc.message}") from None
        session.commit()
    for d in diffs:
        click.echo(f"{d.problem:9s} {d.doi}  {d.detail}")
    click.echo(f"{len(diffs)} difference(s){' queued for repair' if repair and diffs else ''}")
    sys.exit(1 if diffs and not repair else 0)


@doi.command("sync")
@click.option(
    "--all",
    "everything",
    is_flag=True,
    help="Recompute every DOI's metadata first (after a BASE_URL change or a correction).",
)
@click.option("--retry-failed", is_flag=True, help="Queue the DOIs that failed permanently again.")
@click.option(
    "--loop",
    is_flag=True,
    help="Keep sweeping and running due jobs (a convenience: `alluvium jobs run --loop` does the same).",
)
@_friendly
def sync_command(everything: bool, retry_failed: bool, loop: bool) -> None:
    """Queue every DOI that differs from what DataCite should hold, then run due jobs.

    Every job worker (`alluvium jobs run`, the background runner of `alluvium serve`) sweeps
    by itself every JOBS_SWEEP_SECONDS; this command sweeps at once."""
    import time

    from app.db import new_session
    from app.services import dois, jobs

    app = _app(check=True)
    _provider(app)
    make_session = app.extensions["alluvium.sessionmaker"]
    settings = jobs.Settings.from_config(app.config)
    worker = jobs.new_worker_id()
    with app.app_context():
        if everything or retry_failed:
            with new_session(app) as session:
                n = dois.sync_all(session, app.config["BASE_URL"], retry_failed=retry_failed)
                session.commit()
            click.echo(f"{n} DOI(s) queued")
        with new_session(app) as session:
            dois.sweep(session)
            session.commit()
        while True:
            ok, failed = jobs.run_pending(make_session, worker=worker, settings=settings)
            if not loop:
                click.echo(f"{ok} job(s) done, {failed} failed or postponed")
                return
            if not ok and not failed:
                time.sleep(float(app.config["JOBS_POLL_SECONDS"]))
