"""The outbox: side effects queued inside a transaction and run after it commits.

``enqueue`` adds a Job row in the caller's transaction, so a rolled-back request leaves no
job behind. After commit the view calls :func:`run_enqueued` (eager mode, development and
tests) or a worker picks pending jobs up (``alluvium jobs run``).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.models import Job

log = logging.getLogger(__name__)


class RetryLater(Exception):
    """The job could not run now: run it again after ``seconds``, without counting a failed attempt."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {seconds:.0f} s")
        self.seconds = seconds
        self.reason = reason


class PermanentJobError(Exception):
    """The job can never succeed as it is: fail it at once, keeping the message for administrators."""


MAX_ATTEMPTS = 5
Handler = Callable[[Session, dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def enqueue(session: Session, kind: str, payload: dict[str, Any]) -> Job:
    if kind not in _HANDLERS:
        raise ValueError(f"no job handler for {kind!r}")
    job = Job(kind=kind, payload=payload)
    session.add(job)
    session.flush()
    session.info.setdefault("enqueued_jobs", []).append(job.id)
    return job


def take_enqueued(session: Session) -> list[int]:
    """The ids of jobs enqueued through this session since the last call."""
    return session.info.pop("enqueued_jobs", [])


def run_job(make_session: sessionmaker, job_id: int) -> bool:
    """Claim and run one job in its own transaction. Returns True when it succeeded."""
    with make_session() as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == "pending", Job.run_after <= utcnow())
            .values(state="running", attempts=Job.attempts + 1)
        ).rowcount
        session.commit()
        if not claimed:
            return False
        job = session.get(Job, job_id)
        assert job is not None
        kind, payload = job.kind, dict(job.payload)
    with make_session() as session:
        try:
            _HANDLERS[kind](session, payload)
            session.flush()
            job = session.get(Job, job_id)
            job.state, job.finished_at, job.last_error = "done", utcnow(), ""
            session.commit()
            return True
        except RetryLater as exc:
            session.rollback()
            retry: RetryLater | None = exc
            permanent = ""
            error = str(exc)
        except PermanentJobError as exc:
            session.rollback()
            retry, permanent = None, str(exc) or type(exc).__name__
            error = permanent
        except Exception:  # noqa: BLE001 - a failing side effect must not lose the job
            session.rollback()
            log.exception("job %s (%s) failed", job_id, kind)
            retry, permanent = None, ""
            error = traceback.format_exc(limit=5)
    with make_session() as session:
        job = session.get(Job, job_id)
        job.last_error = error
        if retry is not None:
            # Not a failure: the attempt is not counted toward MAX_ATTEMPTS.
            job.state, job.attempts = "pending", max(job.attempts - 1, 0)
            job.run_after = utcnow() + timedelta(seconds=max(retry.seconds, 0))
        elif permanent:
            job.state, job.finished_at = "failed", utcnow()
        elif job.attempts >= MAX_ATTEMPTS:
            job.state = "failed"
        else:
            job.state = "pending"
            job.run_after = utcnow() + timedelta(seconds=30 * 2 ** (job.attempts - 1))
        session.commit()
    return False


def run_pending(make_session: sessionmaker, limit: int = 100) -> tuple[int, int]:
    """Run due pending jobs; returns (succeeded, failed)."""
    with make_session() as session:
        ids = session.scalars(
            select(Job.id)
            .where(Job.state == "pending", Job.run_after <= utcnow())
            .order_by(Job.id)
            .limit(limit)
        ).all()
    ok = failed = 0
    for job_id in ids:
        if run_job(make_session, job_id):
            ok += 1
        else:
            failed += 1
    return ok, failed
