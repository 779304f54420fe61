"""``alluvium jobs``: the outbox."""

from __future__ import annotations

import sys

import click

from app.cli._common import _app, _friendly


@click.group()
def jobs() -> None:
    """Background jobs (the outbox): run, list, status, retry. See docs/operations.md."""


@jobs.command("run")
@click.option(
    "--loop", is_flag=True, help="Keep polling every JOBS_POLL_SECONDS (a worker; several may run)."
)
def jobs_run(loop: bool) -> None:
    """Run due jobs (publishing, …) once, or forever with --loop."""
    import time

    from app.services import jobs as jobs_svc

    app = _app(check=True)
    make_session = app.extensions["alluvium.sessionmaker"]
    settings = jobs_svc.Settings.from_config(app.config)
    worker = jobs_svc.new_worker_id()
    if loop:
        click.echo(f"worker {worker}: polling every {app.config['JOBS_POLL_SECONDS']:g} s", err=True)
    next_expiry = 0.0
    while True:
        with app.app_context():
            ok, failed = jobs_svc.run_pending(make_session, worker=worker, settings=settings)
            if loop and time.monotonic() >= next_expiry:
                # Abandoned resumable uploads, like the background runner of `alluvium serve`.
                from app.jobs_runtime import expire_uploads

                next_expiry = time.monotonic() + app.config["UPLOAD_EXPIRY_CHECK_SECONDS"]
                expire_uploads(app)
        if ok or failed or not loop:
            click.echo(f"{ok} job(s) done, {failed} failed or postponed")
        if not loop:
            sys.exit(1 if failed else 0)
        time.sleep(app.config["JOBS_POLL_SECONDS"])


def _when(value) -> str:  # type: ignore[no-untyped-def]
    return value.isoformat(timespec="seconds") if value else "-"


@jobs.command("list")
@click.option(
    "--state",
    "states",
    multiple=True,
    type=click.Choice(["pending", "running", "failed", "done"]),
    help="Only these states (repeatable). Default: pending, running and failed.",
)
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100000))
def jobs_list(states: tuple[str, ...], limit: int) -> None:
    """List jobs with their attempts, schedule or lease, and last error."""
    from app.db import new_session
    from app.services import jobs as jobs_svc

    app = _app(check=True)
    with new_session(app) as session:
        rows = jobs_svc.list_jobs(session, states or ("pending", "running", "failed"), limit)
        if not rows:
            click.echo("no jobs")
        for job in rows:
            if job.state == "running":
                where = f"worker {job.locked_by} lease until {_when(job.lease_until)}"
            elif job.state == "pending":
                where = f"due {_when(job.run_after)}"
            else:
                where = f"finished {_when(job.finished_at)}"
            click.echo(f"{job.id}\t{job.kind}\t{job.state}\tattempts {job.attempts}\t{where}")
            error = (job.last_error or "").strip().splitlines()
            if error:
                # The exception line is the last of a traceback.
                click.echo(f"\tlast error: {error[-1]}")


@jobs.command("status")
def jobs_status() -> None:
    """Jobs per state, expired leases and failed jobs; exit status 1 when any job failed."""
    from app.db import new_session
    from app.services import jobs as jobs_svc

    app = _app(check=True)
    with new_session(app) as session:
        counts = jobs_svc.counts(session)
        expired = jobs_svc.expired_leases(session)
        failed = jobs_svc.list_jobs(session, ("failed",), 20)
    click.echo(", ".join(f"{n} {state}" for state, n in counts.items()))
    if expired:
        click.echo(
            f"{expired} running job(s) with an expired lease (worker stopped): the next worker reclaims them"
        )
    for job in failed:
        error = (job.last_error or "").strip().splitlines()
        click.echo(f"failed job {job.id} ({job.kind}): {error[-1] if error else '?'}")
    if counts["failed"]:
        click.echo("retry one with `alluvium jobs retry ID` once its cause is fixed", err=True)
        sys.exit(1)


@jobs.command("retry")
@click.argument("job_id", type=int)
@_friendly
def jobs_retry(job_id: int) -> None:
    """Put a failed job back to pending (attempts reset); a worker runs it next."""
    from app.db import new_session
    from app.services import jobs as jobs_svc

    app = _app(check=True)
    with new_session(app) as session:
        job = jobs_svc.retry(session, job_id)
        session.commit()
        click.echo(f"job {job.id} ({job.kind}) is pending again")
