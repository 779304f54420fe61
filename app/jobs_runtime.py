"""Runs jobs inside the web process: a request's own jobs after its commit (eager mode), and
every due job from a background thread (``alluvium serve``), so that no accepted record waits
for a human. ``alluvium jobs run --loop`` is the production worker; any number may run."""

from __future__ import annotations

import logging
import threading
import time

from flask import Flask, current_app

from app.services import jobs

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    app.extensions["alluvium.jobs_eager"] = bool(app.config["JOBS_EAGER"])


def commit(session) -> None:  # type: ignore[no-untyped-def]
    """Commit the request's transaction, then run the jobs it enqueued when in eager mode.

    Should the process die between the commit and the job, the job stays pending and the
    background runner or a worker runs it."""
    enqueued = jobs.take_enqueued(session)
    session.commit()
    if enqueued and current_app.extensions["alluvium.jobs_eager"]:
        make_session = current_app.extensions["alluvium.sessionmaker"]
        for job_id in enqueued:
            jobs.run_job(make_session, job_id)


class BackgroundRunner:
    """A daemon thread running due jobs every ``JOBS_POLL_SECONDS``, in the app's context."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.poll = float(app.config["JOBS_POLL_SECONDS"])
        self.worker = f"{jobs.new_worker_id()}:background"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="alluvium-jobs", daemon=True)

    def start(self) -> BackgroundRunner:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the job in progress (if any) finishes."""
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        make_session = self.app.extensions["alluvium.sessionmaker"]
        settings = jobs.Settings.from_config(self.app.config)
        next_expiry = 0.0
        while not self._stop.is_set():
            try:
                with self.app.app_context():
                    jobs.run_pending(make_session, worker=self.worker, settings=settings, stop=self._stop)
                    if time.monotonic() >= next_expiry:
                        next_expiry = time.monotonic() + self.app.config["UPLOAD_EXPIRY_CHECK_SECONDS"]
                        expire_uploads(self.app)
            except Exception:  # noqa: BLE001 - the database may be down for a while: keep polling
                log.exception("background job runner: polling failed; retrying in %.0f s", self.poll)
            self._stop.wait(self.poll)


def expire_uploads(app: Flask) -> None:
    """Remove abandoned resumable uploads (``app.services.uploads.expire``)."""
    from app.services.uploads import expire

    report = expire(
        app.extensions["alluvium.sessionmaker"],
        app.extensions["alluvium.uploads_dir"],
        grace_seconds=app.config["UPLOAD_EXPIRY_SECONDS"],
        states=app.extensions["alluvium.upload_states"],
    )
    if report.expired or report.orphans:
        log.info("expired %d upload(s), %d orphaned partial file(s)", report.expired, report.orphans)


def start_background_runner(app: Flask) -> BackgroundRunner:
    """Start the app's background job runner (once); ``alluvium serve`` calls it."""
    runner = app.extensions.get("alluvium.jobs_runner")
    if runner is None or not runner.alive:
        runner = BackgroundRunner(app).start()
        app.extensions["alluvium.jobs_runner"] = runner
    return runner
