"""Runs the jobs a request enqueued, after its commit (eager mode)."""

from __future__ import annotations

from flask import Flask, current_app

from app.services import jobs


def init_app(app: Flask) -> None:
    app.extensions["alluvium.jobs_eager"] = bool(app.config["JOBS_EAGER"])


def commit(session) -> None:  # type: ignore[no-untyped-def]
    """Commit the request's transaction, then run the jobs it enqueued when in eager mode."""
    enqueued = jobs.take_enqueued(session)
    session.commit()
    if enqueued and current_app.extensions["alluvium.jobs_eager"]:
        make_session = current_app.extensions["alluvium.sessionmaker"]
        for job_id in enqueued:
            jobs.run_job(make_session, job_id)
