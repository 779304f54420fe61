"""The outbox: side effects queued inside a transaction and run after it commits.

``enqueue`` adds a Job row in the caller's transaction, so a rolled-back request leaves no
job behind. After commit the view calls :func:`run_job` for the jobs it queued (eager mode),
and any worker picks due jobs up: ``alluvium jobs run --loop``, or the background runner of
``alluvium serve`` (``app.jobs_runtime``).

A worker *claims* a job before running it: ``state=running``, ``locked_by=<worker>``,
``lease_until=now + JOBS_LEASE_SECONDS``. The claim is one conditional UPDATE (preceded on
PostgreSQL by ``SELECT … FOR UPDATE SKIP LOCKED``), so two workers never hold the same job. A
worker that dies leaves the job ``running``; once the lease has expired any worker claims it
again, counting the lost run as an attempt. A handler may therefore run more than once and
must be idempotent. The handler's database changes commit in the same transaction that marks
the job done, and only if the worker still holds the lease, so a worker whose lease was taken
over cannot commit a second time.

Outcomes: success → ``done``; :class:`RetryLater` → ``pending`` again after its delay, not
counted; :class:`PermanentJobError` → ``failed`` at once; any other exception → ``pending``
after an exponential back-off with jitter, or ``failed`` after ``JOBS_MAX_ATTEMPTS`` attempts.
A failed job stays until an administrator runs ``alluvium jobs retry ID``.

*Sweeps* (:func:`sweeper`) are periodic checks every worker runs before claiming jobs, at most
every ``JOBS_SWEEP_SECONDS`` per process: they queue jobs for work that should be done but has
no job (e.g. a DOI whose worker was killed mid-call). A sweep must be idempotent and cheap.
"""

from __future__ import annotations

import contextvars
import logging
import os
import random
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.db import utcnow
from app.models import Job
from app.services.errors import Conflict, NotFound


class RetryLater(Exception):
    """The job could not run now: run it again after ``seconds``, without counting a failed attempt."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry in {seconds:.0f} s")
        self.seconds = seconds
        self.reason = reason


class PermanentJobError(Exception):
    """The job can never succeed as it is: fail it at once, keeping the message for administrators."""


class LeaseLost(Exception):
    """This worker no longer holds the job: its lease expired and another worker claimed it."""


log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
STATES = ("pending", "running", "done", "failed")
Handler = Callable[[Session, dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}
Sweep = Callable[[Session], int]
_SWEEPS: dict[str, Sweep] = {}
#: When each sweep last ran in this process, per sessionmaker (database).
_last_sweep: dict[tuple[str, int], float] = {}
_sweep_lock = threading.Lock()


@dataclass(frozen=True)
class Settings:
    """How jobs are leased and retried (``JOBS_*`` settings, docs/configuration.md)."""

    lease_seconds: float = 300.0
    max_attempts: int = MAX_ATTEMPTS
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    sweep_seconds: float = 30.0

    @classmethod
    def from_config(cls, config: Any) -> Settings:
        return cls(
            lease_seconds=float(config["JOBS_LEASE_SECONDS"]),
            max_attempts=int(config["JOBS_MAX_ATTEMPTS"]),
            retry_base_seconds=float(config["JOBS_RETRY_BASE_SECONDS"]),
            retry_max_seconds=float(config["JOBS_RETRY_MAX_SECONDS"]),
            sweep_seconds=float(config["JOBS_SWEEP_SECONDS"]),
        )

    @classmethod
    def current(cls) -> Settings:
        """The settings of the current app, or the defaults outside an app context."""
        from flask import current_app, has_app_context

        return cls.from_config(current_app.config) if has_app_context() else cls()

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failed ones: exponential, capped, with
        "equal jitter" (half fixed, half random) so jobs that failed together spread out."""
        delay = min(self.retry_base_seconds * 2 ** max(attempts - 1, 0), self.retry_max_seconds)
        return delay / 2 + random.uniform(0, delay / 2)


def new_worker_id() -> str:
    """A name unique to this worker: host, process, thread and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:6]}"


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn

    return register


def sweeper(name: str) -> Callable[[Sweep], Sweep]:
    """Register a periodic sweep: ``fn(session) -> jobs queued``, run by every worker (see the
    module docstring). The sweep commits nothing itself; the runner commits after it."""

    def register(fn: Sweep) -> Sweep:
        _SWEEPS[name] = fn
        return fn

    return register


def run_sweeps(make_session: sessionmaker, settings: Settings, *, force: bool = False) -> int:
    """Run the registered sweeps that are due in this process; returns the jobs they queued.

    A failing sweep is logged and does not keep the worker from running jobs."""
    queued = 0
    now = time.monotonic()
    for name, fn in list(_SWEEPS.items()):
        key = (name, id(make_session))
        with _sweep_lock:
            last = _last_sweep.get(key)
            if not force and last is not None and now - last < settings.sweep_seconds:
                continue
            _last_sweep[key] = now
        try:
            with make_session() as session:
                queued += fn(session)
                session.commit()
        except Exception:  # noqa: BLE001 - the jobs themselves must still run
            log.exception("sweep %s failed; it runs again in %.0f s", name, settings.sweep_seconds)
    return queued


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


def mark_done(session: Session, job_ids: Iterable[int], note: str = "run in place by the caller") -> None:
    """Mark pending jobs done, in the caller's transaction: for a caller (the demo loader, the
    CLI) that performed the side effect itself rather than leave a pending job behind."""
    ids = list(job_ids)
    if ids:
        now = utcnow()
        session.execute(
            update(Job)
            .where(Job.id.in_(ids), Job.state == "pending")
            .values(state="done", finished_at=now, updated_at=now, last_error=note)
        )


# --- claiming --------------------------------------------------------------------------------


def _due(now: datetime) -> Any:
    """Jobs a worker may claim now: pending and due, or running with an expired lease."""
    return or_(
        and_(Job.state == "pending", Job.run_after <= now),
        and_(Job.state == "running", Job.lease_until < now),
    )


@dataclass(frozen=True)
class Claimed:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int


def _exhaust_expired(make_session: sessionmaker, settings: Settings) -> int:
    """Fail running jobs whose lease expired on their last allowed attempt (their worker died
    each time): reclaiming them would exceed the limit."""
    now = utcnow()
    with make_session() as session:
        count = session.execute(
            update(Job)
            .where(Job.state == "running", Job.lease_until < now, Job.attempts >= settings.max_attempts)
            .values(
                state="failed",
                finished_at=now,
                updated_at=now,
                last_error=literal("the worker stopped (lease expired) during the last attempt, worker ")
                + func.coalesce(Job.locked_by, ""),
                locked_by=None,
                lease_until=None,
            )
        ).rowcount
        session.commit()
    return count


def claim(
    make_session: sessionmaker, worker: str, settings: Settings, job_id: int | None = None
) -> Claimed | None:
    """Claim one due job (or the given one, if due) for ``worker``; None when there is none."""
    now = utcnow()
    lease_until = now + timedelta(seconds=settings.lease_seconds)
    with make_session() as session:
        query = select(Job.id).where(_due(now)).order_by(Job.run_after, Job.id)
        if job_id is not None:
            query = query.where(Job.id == job_id)
        if session.get_bind().dialect.name == "postgresql":
            # Concurrent workers skip the rows another is claiming instead of queueing behind it.
            candidates = session.scalars(query.limit(1).with_for_update(skip_locked=True)).all()
        else:
            # SQLite has one writer at a time: the conditional UPDATE below is the claim.
            candidates = session.scalars(query.limit(10)).all()
            session.rollback()
        for candidate in candidates:
            claimed = session.execute(
                update(Job)
                .where(Job.id == candidate, _due(now))
                .values(
                    state="running",
                    locked_by=worker,
                    lease_until=lease_until,
                    attempts=Job.attempts + 1,
                    updated_at=now,
                    # A reclaimed job says why its previous attempt ended.
                    last_error=case(
                        (
                            Job.state == "running",
                            literal("the worker stopped (lease expired): ")
                            + func.coalesce(Job.locked_by, ""),
                        ),
                        else_=Job.last_error,
                    ),
                )
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed:
                job = session.execute(
                    select(Job.kind, Job.payload, Job.attempts).where(Job.id == candidate)
                ).one()
                session.commit()
                return Claimed(candidate, job.kind, dict(job.payload or {}), job.attempts)
            session.rollback()
        session.commit()
    return None


# --- the lease of the job running in this thread ----------------------------------------------


class _Lease:
    def __init__(self, make_session: sessionmaker, job_id: int, worker: str, settings: Settings):
        self.make_session = make_session
        self.job_id = job_id
        self.worker = worker
        self.settings = settings
        self.renewed = utcnow()

    def renew(self, force: bool = False) -> None:
        now = utcnow()
        # Renew at most every fifth of the lease, so a handler may call heartbeat() per item.
        if not force and (now - self.renewed).total_seconds() < self.settings.lease_seconds / 5:
            return
        with self.make_session() as session:
            held = session.execute(
                update(Job)
                .where(Job.id == self.job_id, Job.state == "running", Job.locked_by == self.worker)
                .values(lease_until=now + timedelta(seconds=self.settings.lease_seconds), updated_at=now)
            ).rowcount
            session.commit()
        if not held:
            raise LeaseLost(f"job {self.job_id}: the lease of {self.worker} was taken over")
        self.renewed = now


_current_lease: contextvars.ContextVar[_Lease | None] = contextvars.ContextVar("job_lease", default=None)


def heartbeat(force: bool = False) -> None:
    """Renew the lease of the job running in this thread; a long handler calls it between steps
    (after committing the step: on SQLite an open write transaction would block the renewal).

    Raises :class:`LeaseLost` when another worker has taken the job over: the handler should stop.
    Outside a job it does nothing."""
    lease = _current_lease.get()
    if lease is not None:
        lease.renew(force)


# --- running ---------------------------------------------------------------------------------


def _run_claimed(make_session: sessionmaker, job: Claimed, worker: str, settings: Settings) -> bool:
    """Run a claimed job and record its outcome. Returns True when it succeeded."""
    mine = and_(Job.id == job.id, Job.state == "running", Job.locked_by == worker)
    token = _current_lease.set(_Lease(make_session, job.id, worker, settings))
    try:
        with make_session() as session:
            try:
                fn = _HANDLERS.get(job.kind)
                if fn is None:
                    raise LookupError(f"no job handler for {job.kind!r} in this worker")
                fn(session, job.payload)
                session.flush()
                now = utcnow()
                # The handler's changes commit with the job's completion, and only if this worker
                # still holds the job: a worker whose lease was taken over changes nothing.
                done = session.execute(
                    update(Job)
                    .where(mine)
                    .values(
                        state="done",
                        finished_at=now,
                        updated_at=now,
                        last_error="",
                        locked_by=None,
                        lease_until=None,
                    )
                    .execution_options(synchronize_session=False)
                ).rowcount
                if not done:
                    raise LeaseLost(f"job {job.id}: the lease of {worker} was taken over")
                session.commit()
                return True
            except LeaseLost:
                session.rollback()
                log.warning(
                    "job %s (%s): lease lost by %s; its changes were rolled back", job.id, job.kind, worker
                )
                return False
            except RetryLater as exc:
                session.rollback()
                outcome: dict[str, Any] = {
                    "state": "pending",
                    "attempts": Job.attempts - 1,  # not a failed attempt
                    "run_after": utcnow() + timedelta(seconds=max(float(exc.seconds), 0.0)),
                    "last_error": f"retry later: {exc}",
                }
                log.info("job %s (%s): retry in %.0f s (%s)", job.id, job.kind, exc.seconds, exc)
            except PermanentJobError as exc:
                session.rollback()
                outcome = {
                    "state": "failed",
                    "finished_at": utcnow(),
                    "last_error": str(exc) or type(exc).__name__,
                }
                log.error("job %s (%s) failed permanently: %s", job.id, job.kind, exc)
            except Exception:  # noqa: BLE001 - a failing side effect must not lose the job
                session.rollback()
                log.exception("job %s (%s) failed (attempt %s)", job.id, job.kind, job.attempts)
                error = traceback.format_exc(limit=5)
                if job.attempts >= settings.max_attempts:
                    outcome = {"state": "failed", "finished_at": utcnow(), "last_error": error}
                else:
                    delay = settings.backoff(job.attempts)
                    outcome = {
                        "state": "pending",
                        "run_after": utcnow() + timedelta(seconds=delay),
                        "last_error": error,
                    }
    finally:
        _current_lease.reset(token)
    with make_session() as session:
        session.execute(
            update(Job)
            .where(mine)
            .values(locked_by=None, lease_until=None, updated_at=utcnow(), **outcome)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return False


def run_job(
    make_session: sessionmaker,
    job_id: int,
    *,
    worker: str | None = None,
    settings: Settings | None = None,
) -> bool:
    """Claim and run one job if it is due (eager mode). Returns True when it succeeded."""
    settings = settings or Settings.current()
    worker = worker or new_worker_id()
    job = claim(make_session, worker, settings, job_id)
    return job is not None and _run_claimed(make_session, job, worker, settings)


def run_pending(
    make_session: sessionmaker,
    limit: int = 100,
    *,
    worker: str | None = None,
    settings: Settings | None = None,
    stop: threading.Event | None = None,
) -> tuple[int, int]:
    """Run the due sweeps, then claim and run due jobs one at a time, up to ``limit``; returns
    (succeeded, not succeeded)."""
    settings = settings or Settings.current()
    worker = worker or new_worker_id()
    run_sweeps(make_session, settings)
    _exhaust_expired(make_session, settings)
    ok = failed = 0
    for _ in range(limit):
        if stop is not None and stop.is_set():
            break
        job = claim(make_session, worker, settings)
        if job is None:
            break
        if _run_claimed(make_session, job, worker, settings):
            ok += 1
        else:
            failed += 1
    return ok, failed


# --- administration --------------------------------------------------------------------------


def list_jobs(
    session: Session, states: Iterable[str] = ("pending", "running", "failed"), limit: int = 200
) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.state.in_(list(states))).order_by(Job.id).limit(limit)))


def counts(session: Session) -> dict[str, int]:
    """Jobs per state (every state present, zero included)."""
    found = {state: n for state, n in session.execute(select(Job.state, func.count()).group_by(Job.state))}
    return {state: int(found.get(state, 0)) for state in STATES}


def expired_leases(session: Session) -> int:
    """Running jobs whose worker has stopped renewing (they will be claimed again)."""
    return int(
        session.scalar(
            select(func.count()).select_from(Job).where(Job.state == "running", Job.lease_until < utcnow())
        )
        or 0
    )


def retry(session: Session, job_id: int) -> Job:
    """Put a failed job back to pending, due now, with its attempts reset."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"no job {job_id}")
    if job.state != "failed":
        raise Conflict(f"job {job_id} is {job.state}, not failed: only a failed job can be retried")
    now = utcnow()
    job.state, job.attempts, job.run_after, job.finished_at, job.updated_at = "pending", 0, now, None, now
    job.last_error = f"retried by an administrator; previous error: {job.last_error}"
    session.flush()
    # Due now, like a new job: in eager mode the caller's commit (app.jobs_runtime) runs it.
    session.info.setdefault("enqueued_jobs", []).append(job.id)
    return job
