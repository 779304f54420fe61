"""Test-only job kinds, and a worker process for the kill and multi-process tests.

Imported by tests/test_jobs.py (which registers the kinds in the test process). Run as a script
it registers the same kinds, then runs the real CLI (``alluvium <args>``) or, with
``claim-and-hang``, claims one due job through the real ``jobs.claim`` and waits to be killed.
Configuration comes from ALLUVIUM_* environment variables, as for any worker.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from app.services import jobs

RUNS: Counter[int] = Counter()  # job id -> times its handler ran in this process
_LOCK = threading.Lock()


def _record_run(payload: dict[str, Any]) -> None:
    with _LOCK:
        RUNS[payload["n"]] += 1
    if payload.get("log"):
        # O_APPEND: one short write per line is atomic between processes.
        fd = os.open(payload["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{payload['n']} {os.getpid()}\n".encode())
        finally:
            os.close(fd)


@jobs.handler("test-block")
def _block(session: Any, payload: dict[str, Any]) -> None:
    """Say it started, then wait until the test creates the release file."""
    _record_run(payload)
    Path(payload["started"]).write_text(str(os.getpid()))
    deadline = time.monotonic() + 120
    while not Path(payload["release"]).exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.02)


@jobs.handler("test-count")
def _count(session: Any, payload: dict[str, Any]) -> None:
    _record_run(payload)
    time.sleep(payload.get("sleep", 0.005))


@jobs.handler("test-long")
def _long(session: Any, payload: dict[str, Any]) -> None:
    """Several steps, each longer than a third of the lease, renewing it between steps."""
    _record_run(payload)
    for _ in range(payload["steps"]):
        time.sleep(payload["step_seconds"])
        jobs.heartbeat()


@jobs.handler("test-fail")
def _fail(session: Any, payload: dict[str, Any]) -> None:
    _record_run(payload)
    raise RuntimeError(payload.get("message", "transient failure"))


@jobs.handler("test-retry-later")
def _retry_later(session: Any, payload: dict[str, Any]) -> None:
    _record_run(payload)
    raise jobs.RetryLater(payload["seconds"], "DataCite answered 503, Retry-After given")


@jobs.handler("test-permanent")
def _permanent(session: Any, payload: dict[str, Any]) -> None:
    _record_run(payload)
    raise jobs.PermanentJobError("DataCite answered 422: the metadata has no publisher")


def _claim_and_hang(lease_seconds: float) -> None:
    from app import create_app

    app = create_app()
    worker = f"doomed-{os.getpid()}"
    job = jobs.claim(
        app.extensions["alluvium.sessionmaker"], worker, jobs.Settings(lease_seconds=lease_seconds)
    )
    print(f"claimed {job.id if job else None}", flush=True)
    time.sleep(600)


if __name__ == "__main__":
    if sys.argv[1] == "claim-and-hang":
        _claim_and_hang(float(sys.argv[2]))
    else:
        from app.cli import main

        main(sys.argv[1:], prog_name="alluvium")
