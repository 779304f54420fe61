"""The job outbox: leases, reclaiming after a crash, several workers, retries, the runner in
``alluvium serve``. Workers are real: threads, subprocesses running the CLI, and ``kill -9``.
The job kinds ``test-*`` are registered by tests/_job_worker.py (test-only handlers)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

import _job_worker
import pytest
from sqlalchemy import func, select

from app import create_app
from app.cli import main as cli
from app.db import new_session, utcnow
from app.jobs_runtime import start_background_runner
from app.models import Event, Job, PersistentIdentifier, Record
from app.services import jobs
from schemas.examples import minimal_example

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
WORKER = TESTS / "_job_worker.py"


def _enqueue(app, kind: str, **payload) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    n = uuid.uuid4().hex
    with new_session(app) as s:
        job = jobs.enqueue(s, kind, {"n": n, **payload})
        s.commit()
        return job.id, n


def _job(app, job_id: int) -> Job:  # type: ignore[no-untyped-def]
    with new_session(app) as s:
        job = s.get(Job, job_id)
        s.expunge(job)
        return job


def _make_due(app, job_id: int) -> None:  # type: ignore[no-untyped-def]
    with new_session(app) as s:
        s.get(Job, job_id).run_after = utcnow() - timedelta(seconds=1)
        s.commit()


def _env(app, **settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    env = dict(os.environ)  # ALLUVIUM_INSTANCE_PATH comes from the `instance` fixture
    env.update(
        {
            "ALLUVIUM_DATABASE_URL": app.config["DATABASE_URL"],
            "ALLUVIUM_STORAGE_PATH": app.config["STORAGE_PATH"],
            "ALLUVIUM_BASE_URL": app.config["BASE_URL"],
            "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)]),
        }
    )
    env.update({f"ALLUVIUM_{k}": str(v) for k, v in settings.items()})
    return env


def _wait(predicate, timeout: float = 30.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _accepted_record(app, factory, n: int = 0) -> str:  # type: ignore[no-untyped-def]
    """A record accepted with eager mode off: committed, its publish job left pending, exactly
    the state a process killed between the accept's commit and its eager publish leaves."""
    if n == 0:
        factory.community("aeris")
    producer = factory.user(f"p{n}@example.org")
    mod = factory.user(f"m{n}@example.org", role="moderator", communities=["aeris"])
    md = minimal_example()
    md["titles"] = [{"text": f"Job test dataset {n}"}]
    rid = producer.post("/api/records", json={"metadata": md, "community": "aeris"}).json["id"]
    producer.post(f"/api/records/{rid}/draft/actions/submit", json={})
    mod.post(f"/api/records/{rid}/review/actions/assign", json={})
    app.extensions["alluvium.jobs_eager"] = False
    try:
        r = mod.post(f"/api/records/{rid}/review/actions/accept", json={})
    finally:
        app.extensions["alluvium.jobs_eager"] = True
    assert r.status_code == 200 and r.json["state"] == "accepted", r.json
    # The accept also queued the producer's e-mail (app/services/notifications.py); these tests
    # are about the publish job alone, so that one is dropped.
    from sqlalchemy import delete

    with new_session(app) as s:
        s.execute(delete(Job).where(Job.kind == "send-email", Job.state == "pending"))
        s.commit()
    return rid


def _state(app, rid: str) -> str:  # type: ignore[no-untyped-def]
    with new_session(app) as s:
        return s.get(Record, rid).state


# --- leases and crashes --------------------------------------------------------------------


def test_a_worker_killed_mid_job_leaves_a_lease_that_another_worker_reclaims(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    started, release = tmp_path / "started", tmp_path / "release"
    job_id, n = _enqueue(app, "test-block", started=str(started), release=str(release))
    # A real worker process (`alluvium jobs run`) with a 3-second lease claims the job, and is
    # killed while the handler runs.
    proc = subprocess.Popen(
        [sys.executable, str(WORKER), "jobs", "run"],
        env=_env(app, JOBS_LEASE_SECONDS=3),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(started.exists, what="the worker to start the job")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    job = _job(app, job_id)
    assert job.state == "running" and job.attempts == 1
    assert f":{proc.pid}:" in job.locked_by and job.lease_until is not None
    settings = jobs.Settings(lease_seconds=30)
    if utcnow() < job.lease_until - timedelta(seconds=1):
        # While the lease holds, nobody else takes the job.
        assert jobs.run_pending(app.extensions["alluvium.sessionmaker"], settings=settings) == (0, 0)
        assert _job(app, job_id).locked_by == job.locked_by
    release.touch()
    _wait(lambda: utcnow() > job.lease_until, what="the lease to expire")
    assert jobs.run_pending(app.extensions["alluvium.sessionmaker"], settings=settings) == (1, 0)
    job = _job(app, job_id)
    assert job.state == "done" and job.attempts == 2 and job.locked_by is None
    assert started.read_text() == str(os.getpid())  # the second run was this worker's
    assert _job_worker.RUNS[n] == 1  # once here, once in the killed process


def test_serve_publishes_accepted_records_left_by_a_crash_without_human_action(
    app, factory, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    # 1. the eager publish never ran (process killed after the accept's commit): job pending.
    pending_rid = _accepted_record(app, factory, 0)
    # 2. a worker claimed the publish job and was killed -9 before finishing: job running.
    crashed_rid = _accepted_record(app, factory, 1)
    with new_session(app) as s:
        first = s.scalars(select(Job).where(Job.kind == "publish").order_by(Job.id)).first()
        s.get(Job, first.id).run_after = utcnow() + timedelta(hours=1)  # so the doomed worker claims #2
        s.commit()
    doomed = subprocess.Popen(
        [sys.executable, str(WORKER), "claim-and-hang", "1"], env=_env(app), stdout=subprocess.PIPE, text=True
    )
    try:
        line = doomed.stdout.readline()
        assert line.startswith("claimed ") and line.strip() != "claimed None", line
        os.kill(doomed.pid, signal.SIGKILL)
    finally:
        doomed.wait(10)
        doomed.stdout.close()
    with new_session(app) as s:
        s.get(Job, first.id).run_after = utcnow()
        s.commit()
        assert {j.state for j in s.scalars(select(Job).where(Job.kind == "publish"))} == {
            "pending",
            "running",
        }
    assert _state(app, pending_rid) == _state(app, crashed_rid) == "accepted"

    # 3. `alluvium serve` is started: its background runner publishes both, nobody types anything.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (tmp_path / "serve.log").open("wb") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).parent / "alluvium"), "serve", "--port", str(port)],
            env=_env(app, JOBS_POLL_SECONDS=0.2),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        try:
            _wait(
                lambda: _state(app, pending_rid) == _state(app, crashed_rid) == "published",
                timeout=60,
                what="the background runner to publish both records",
            )
        finally:
            server.terminate()
            server.wait(10)
    server_log = (tmp_path / "serve.log").read_text()
    assert "running due jobs in the background" in server_log
    with new_session(app) as s:
        assert {j.state for j in s.scalars(select(Job).where(Job.kind == "publish"))} == {"done"}
        for rid in (pending_rid, crashed_rid):
            assert (
                s.scalar(
                    select(func.count())
                    .select_from(PersistentIdentifier)
                    .where(PersistentIdentifier.record_id == rid)
                )
                == 1
            )


def test_a_job_that_renews_its_lease_is_not_taken_over(app) -> None:  # type: ignore[no-untyped-def]
    job_id, n = _enqueue(app, "test-long", steps=5, step_seconds=0.4)
    make_session = app.extensions["alluvium.sessionmaker"]
    settings = jobs.Settings(lease_seconds=1.0)  # the job lasts twice its lease
    results: list[tuple[int, int]] = []
    runner = threading.Thread(
        target=lambda: results.append(jobs.run_pending(make_session, settings=settings))
    )
    runner.start()
    _wait(lambda: _job(app, job_id).state == "running", what="the claim")
    while runner.is_alive():  # another worker keeps trying to claim it
        results.append(jobs.run_pending(make_session, settings=settings))
        time.sleep(0.05)
    runner.join()
    assert _job(app, job_id).state == "done" and _job(app, job_id).attempts == 1
    assert _job_worker.RUNS[n] == 1
    assert sum(ok for ok, _ in results) == 1 and sum(failed for _, failed in results) == 0


def test_a_worker_whose_lease_was_taken_over_cannot_publish_a_second_time(app, factory) -> None:  # type: ignore[no-untyped-def]
    rid = _accepted_record(app, factory)
    make_session = app.extensions["alluvium.sessionmaker"]
    with app.app_context():
        slow = jobs.claim(make_session, "slow-worker", jobs.Settings(lease_seconds=0.2))
        assert slow is not None and slow.kind == "publish"
        time.sleep(0.3)  # the slow worker stalls past its lease …
        fast = jobs.claim(make_session, "fast-worker", jobs.Settings(lease_seconds=60))
        assert fast is not None and fast.id == slow.id and fast.attempts == 2
        # … then runs the handler: its publication is rolled back, the job stays the fast worker's.
        assert jobs._run_claimed(make_session, slow, "slow-worker", jobs.Settings()) is False
        assert _state(app, rid) == "accepted"
        with pytest.raises(jobs.LeaseLost):
            jobs._Lease(make_session, slow.id, "slow-worker", jobs.Settings()).renew(force=True)
        assert jobs._run_claimed(make_session, fast, "fast-worker", jobs.Settings()) is True
        # A publish job run again (a duplicate, or a retry after a commit) changes nothing.
        with new_session(app) as s:
            again = jobs.enqueue(s, "publish", {"record_id": rid}).id
            s.commit()
        assert jobs.run_job(make_session, again) is True
    with new_session(app) as s:
        assert s.get(Record, rid).state == "published"
        pids = s.scalars(select(PersistentIdentifier).where(PersistentIdentifier.record_id == rid)).all()
        assert len(pids) == 1
        published = s.scalars(
            select(Event).where(Event.record_id == rid, Event.to_state == "published")
        ).all()
        assert len(published) == 1


# --- several workers ---------------------------------------------------------------------


def test_worker_threads_run_every_job_exactly_once(app) -> None:  # type: ignore[no-untyped-def]
    ids = [_enqueue(app, "test-count", sleep=0.01) for _ in range(80)]
    make_session = app.extensions["alluvium.sessionmaker"]
    settings = jobs.Settings(lease_seconds=60)
    barrier = threading.Barrier(6)
    totals: list[tuple[int, int]] = []

    def work() -> None:
        barrier.wait()
        totals.append(jobs.run_pending(make_session, limit=1000, settings=settings))

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert sum(ok for ok, _ in totals) == 80 and sum(f for _, f in totals) == 0
    assert sum(1 for ok, _ in totals if ok) > 1  # the work was shared
    assert all(_job_worker.RUNS[n] == 1 for _, n in ids)
    with new_session(app) as s:
        assert set(s.scalars(select(Job.state))) == {"done"}


def test_worker_processes_run_every_job_exactly_once(app, tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "runs.log"
    ids = [_enqueue(app, "test-count", sleep=0.02, log=str(log)) for _ in range(60)]
    procs = [
        subprocess.Popen([sys.executable, str(WORKER), "jobs", "run"], env=_env(app), stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0].decode() for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    runs = [line.split() for line in log.read_text().splitlines()]
    assert sorted(n for n, _ in runs) == sorted(n for _, n in ids)  # each job once, none twice
    assert len({pid for _, pid in runs}) > 1, "a single process took every job"
    with new_session(app) as s:
        assert set(s.scalars(select(Job.state))) == {"done"}


# --- outcomes ----------------------------------------------------------------------------


def test_failures_back_off_exponentially_with_jitter_then_fail(app) -> None:  # type: ignore[no-untyped-def]
    settings = jobs.Settings(max_attempts=3, retry_base_seconds=100, retry_max_seconds=250)
    make_session = app.extensions["alluvium.sessionmaker"]
    job_id, n = _enqueue(app, "test-fail", message="DataCite timed out")
    for attempt, (low, high) in enumerate([(50, 100), (100, 200)], start=1):
        before = utcnow()
        assert jobs.run_job(make_session, job_id, settings=settings) is False
        job = _job(app, job_id)
        assert job.state == "pending" and job.attempts == attempt and "DataCite timed out" in job.last_error
        assert before + timedelta(seconds=low - 1) <= job.run_after <= utcnow() + timedelta(seconds=high)
        assert jobs.run_job(make_session, job_id, settings=settings) is False  # not due yet: not run
        assert _job_worker.RUNS[n] == attempt
        _make_due(app, job_id)
    assert jobs.run_job(make_session, job_id, settings=settings) is False
    job = _job(app, job_id)
    assert job.state == "failed" and job.attempts == 3 and job.locked_by is None
    delays = {round(settings.backoff(5), 3) for _ in range(50)}
    assert len(delays) > 10 and all(125 <= d <= 250 for d in delays)  # capped, half random


def test_retry_later_reschedules_without_counting_an_attempt(app) -> None:  # type: ignore[no-untyped-def]
    settings = jobs.Settings(max_attempts=2)
    make_session = app.extensions["alluvium.sessionmaker"]
    job_id, n = _enqueue(app, "test-retry-later", seconds=120)
    for _ in range(5):  # more than max_attempts: a transient refusal never fails the job
        before = utcnow()
        assert jobs.run_job(make_session, job_id, settings=settings) is False
        job = _job(app, job_id)
        assert job.state == "pending" and job.attempts == 0 and "503" in job.last_error
        assert before + timedelta(seconds=119) <= job.run_after <= utcnow() + timedelta(seconds=121)
        _make_due(app, job_id)
    assert _job_worker.RUNS[n] == 5


def test_permanent_error_fails_at_once_and_an_admin_retries_it(app) -> None:  # type: ignore[no-untyped-def]
    job_id, n = _enqueue(app, "test-permanent")
    pending_id, _ = _enqueue(app, "test-count")
    _make_due(app, pending_id)
    with new_session(app) as s:
        s.get(Job, pending_id).run_after = utcnow() + timedelta(hours=1)
        s.commit()
    assert jobs.run_job(app.extensions["alluvium.sessionmaker"], job_id, settings=jobs.Settings()) is False
    job = _job(app, job_id)
    assert job.state == "failed" and job.attempts == 1
    assert job.last_error == "DataCite answered 422: the metadata has no publisher"

    runner = app.test_cli_runner()
    env = _env(app)
    listed = runner.invoke(cli, ["jobs", "list"], env=env)
    assert listed.exit_code == 0, listed.output
    assert f"{job_id}\ttest-permanent\tfailed\tattempts 1" in listed.output
    assert "last error: DataCite answered 422: the metadata has no publisher" in listed.output
    assert f"{pending_id}\ttest-count\tpending" in listed.output
    status = runner.invoke(cli, ["jobs", "status"], env=env)
    assert status.exit_code == 1
    assert "1 pending, 0 running, 0 done, 1 failed" in status.output
    assert f"failed job {job_id} (test-permanent): DataCite answered 422" in status.output

    not_failed = runner.invoke(cli, ["jobs", "retry", str(pending_id)], env=env)
    assert not_failed.exit_code == 1 and "is pending, not failed" in not_failed.output
    missing = runner.invoke(cli, ["jobs", "retry", "999999"], env=env)
    assert missing.exit_code == 1 and "no job 999999" in missing.output
    retried = runner.invoke(cli, ["jobs", "retry", str(job_id)], env=env)
    assert retried.exit_code == 0 and "pending again" in retried.output
    job = _job(app, job_id)
    assert job.state == "pending" and job.attempts == 0 and job.run_after <= utcnow()


def test_a_job_whose_worker_died_on_its_last_attempt_is_failed_not_rerun(app) -> None:  # type: ignore[no-untyped-def]
    make_session = app.extensions["alluvium.sessionmaker"]
    job_id, n = _enqueue(app, "test-count")
    assert jobs.claim(make_session, "dead-worker", jobs.Settings(lease_seconds=0.1)) is not None
    time.sleep(0.2)
    assert jobs.run_pending(make_session, settings=jobs.Settings(max_attempts=1)) == (0, 0)
    job = _job(app, job_id)
    assert job.state == "failed" and "dead-worker" in job.last_error and "lease expired" in job.last_error
    assert _job_worker.RUNS[n] == 0


# --- the runner in the app; callers that run the effect themselves ----------------------------


def test_the_background_runner_publishes_a_pending_accept(app, factory) -> None:  # type: ignore[no-untyped-def]
    assert "alluvium.jobs_runner" not in app.extensions  # create_app alone starts nothing
    rid = _accepted_record(app, factory)
    app.config["JOBS_POLL_SECONDS"] = 0.1
    runner = start_background_runner(app)
    try:
        _wait(lambda: _state(app, rid) == "published", what="the background runner")
    finally:
        runner.stop()
    assert not runner.alive


def test_demo_and_oai_set_leave_no_pending_job(app) -> None:  # type: ignore[no-untyped-def]
    runner = app.test_cli_runner()
    env = _env(app, ARGON2_MEMORY_COST=1024, ARGON2_TIME_COST=1)
    r = runner.invoke(cli, ["demo"], env=env)
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["oai", "set", "extra", "--name", "Extra"], env=env)
    assert r.exit_code == 0, r.output
    with new_session(app) as s:
        states = dict(
            s.execute(select(Job.kind, func.count()).where(Job.state != "done").group_by(Job.kind)).all()
        )
        assert states == {}
        assert s.scalar(select(func.count()).select_from(Job).where(Job.kind == "publish")) > 0


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("JOBS_LEASE_SECONDS", "soon", "JOBS_LEASE_SECONDS='soon' is not a number"),
        ("JOBS_LEASE_SECONDS", 0, "JOBS_LEASE_SECONDS must be at least"),
        ("JOBS_MAX_ATTEMPTS", 0, "JOBS_MAX_ATTEMPTS must be at least 1"),
        ("JOBS_POLL_SECONDS", -1, "JOBS_POLL_SECONDS must be at least"),
    ],
)
def test_job_settings_are_checked_at_start(database_url, instance, key, value, message) -> None:  # type: ignore[no-untyped-def]
    from conftest import make_test_config

    with pytest.raises(ValueError, match=message):
        create_app(make_test_config(database_url, instance, **{key: value}))
