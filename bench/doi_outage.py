#!/usr/bin/env python3
"""DOIs through a DataCite outage: nothing lost, nothing duplicated, the rate limit held.

1. A throw-away instance (SQLite in it, or ``--database-url``), migrated; PID_PROVIDER=datacite
   pointed at the DataCite stand-in (``tests/datacite_standin.py``) started as its own process.
2. The stand-in answers 503 for ``--outage-seconds``; then 429 (with ``Retry-After``) for a
   quarter of that; then recovers.
3. Two job workers (``alluvium jobs run --loop``, separate processes: the lease-based runner,
   which also sweeps unfinished DOIs every JOBS_SWEEP_SECONDS) run meanwhile; this process
   publishes ``--publications`` records through the real workflow (draft, submit, assign,
   accept, publish). Once the storm is over and DataCite has accepted a third of the DOIs, one
   worker is killed with SIGKILL; the other carries on.
4. Waits until every DOI has converged, then checks the stand-in against the database.

Last line: ``doi outage: P/N published, F/N findable, O orphans, D duplicates, max R req/s``.
P: publications that succeeded for the user at once; F: version DOIs findable at the end;
orphans: DOIs DataCite holds that no record here claims; duplicates: landing pages with more than
one DOI of the same kind at DataCite; R: the most writes the stand-in accepted in any window of
``--window`` seconds (default 60: stricter than DataCite's 5 minutes, and meaningful for short
runs), divided by the window; the count in DataCite's 5-minute window is printed too.

    python3 bench/doi_outage.py                                   # 500 publications, 10 min outage
    python3 bench/doi_outage.py --publications 50 --outage-seconds 30   # a few minutes

Time is real (no scaling); back-off settings are production's unless given.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREFIX = "10.5072"


def start_standin() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "datacite_standin.py"), "--prefix", PREFIX],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    line = proc.stdout.readline().strip()  # type: ignore[union-attr]
    if not line.startswith("listening on "):
        raise SystemExit(f"the stand-in did not start: {line!r}")
    return proc, line.removeprefix("listening on ")


def post(url: str, body: dict[str, Any]) -> None:
    req = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).close()


def stats(url: str, window: float) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/_stats?window={window}", timeout=30) as resp:
        return json.load(resp)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--publications", type=int, default=500)
    parser.add_argument("--outage-seconds", type=float, default=600)
    parser.add_argument("--storm-seconds", type=float, default=None, help="default: outage / 4")
    parser.add_argument("--retry-after", type=float, default=5)
    parser.add_argument("--rate", type=float, default=1.6, help="DATACITE_RATE_LIMIT (requests/s)")
    parser.add_argument("--retry-max", type=float, default=None, help="DOI_RETRY_MAX_SECONDS (default 600)")
    parser.add_argument(
        "--window",
        type=float,
        default=60,
        help="seconds; the rate is the most writes in any such window / window",
    )
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    storm = args.outage_seconds / 4 if args.storm_seconds is None else args.storm_seconds

    from app import create_app
    from app.db import new_session
    from app.migrate import upgrade

    tmp = Path(tempfile.mkdtemp(prefix="doi-outage-"))
    db_url = args.database_url or f"sqlite:///{tmp / 'alluvium.db'}"
    if args.database_url.startswith("postgresql"):
        from sqlalchemy import text

        from app.db import make_engine

        engine = make_engine(db_url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    upgrade(db_url)
    standin, url = start_standin()
    config = {
        "DATABASE_URL": db_url,
        "BASE_URL": "http://alluvium.bench",
        "STORAGE_PATH": str(tmp / "storage"),
        "PID_PROVIDER": "datacite",
        "DATACITE_API_URL": url,
        "DATACITE_USERNAME": "TEST.ALLUVIUM",
        "DATACITE_PASSWORD": "secret",
        "DATACITE_PREFIX": PREFIX,
        "DATACITE_TIMEOUT": 10,
        "DATACITE_RATE_LIMIT": args.rate,
        "OAI_REPOSITORY_IDENTIFIER": "alluvium.bench",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "JOBS_POLL_SECONDS": 1,
        "JOBS_SWEEP_SECONDS": 1,
    }
    if args.retry_max is not None:
        config["DOI_RETRY_MAX_SECONDS"] = args.retry_max
    env = dict(os.environ, ALLUVIUM_INSTANCE_PATH=str(tmp / "instance"))
    env.update({f"ALLUVIUM_{k}": str(v) for k, v in config.items()})
    os.environ["ALLUVIUM_INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app(config)

    def worker() -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-c", "from app.cli import main; main()", "jobs", "run", "--loop"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp / "worker.log", "a"),  # noqa: SIM115
        )

    from tests._oai import Repo

    t0 = time.time()
    post(f"{url}/_faults", {"outage": args.outage_seconds})
    print(f"stand-in at {url}: 503 for {args.outage_seconds:g} s, then 429 for {storm:g} s", flush=True)
    workers = [worker(), worker()]
    repo = Repo(app)
    published = 0
    for n in range(args.publications):
        try:
            rid = repo.publish(n)
            with new_session(app) as s:
                from app.models import Record

                published += s.get(Record, rid).state == "published"
        except Exception as exc:  # noqa: BLE001 - counted as a failed publication
            print(f"publication {n} failed: {exc}", flush=True)
    print(f"{published}/{args.publications} published in {time.time() - t0:.0f} s (DOIs pending)", flush=True)

    outage_end = t0 + args.outage_seconds
    if time.time() < outage_end:
        time.sleep(outage_end - time.time())
    post(f"{url}/_faults", {"storm": storm, "retry_after": args.retry_after})
    recovery = time.time() + storm
    print(f"outage over after {time.time() - t0:.0f} s; 429 storm for {storm:g} s", flush=True)

    from app.services import dois

    killed = False
    total = None
    while True:
        with new_session(app) as s:
            st = dois.status(s)
        pending, failed = len(st.pending), len(st.failed)
        total = sum(st.counts.values())
        done = total - pending - failed
        if not killed and time.time() > recovery and done >= total / 3:
            workers[0].kill()  # SIGKILL, whatever it is doing
            workers[0].wait()
            killed = True
            print(f"killed worker 1 (SIGKILL) with {done}/{total} DOIs done", flush=True)
        if total and not pending:
            break
        if not any(w.poll() is None for w in workers):
            raise SystemExit("every worker died; see worker.log")
        time.sleep(1)
    drained = time.time()
    for w in workers:
        if w.poll() is None:
            w.terminate()
            w.wait()

    from sqlalchemy import select

    from app.models import DoiRegistration, PersistentIdentifier

    held = stats(url, args.window)
    five = stats(url, 300)["max_writes_per_window"]
    with new_session(app) as s:
        regs = {r.doi: r for r in s.scalars(select(DoiRegistration))}
        version_pids = {
            p.value: p
            for p in s.scalars(select(PersistentIdentifier).where(PersistentIdentifier.scheme == "doi"))
        }
    orphans = [d for d in held["dois"] if d not in regs]
    seen: dict[tuple[str, str], int] = {}
    for doi, d in held["dois"].items():
        kind = regs[doi].kind if doi in regs else "version"
        seen[(kind, d.get("url") or "")] = seen.get((kind, d.get("url") or ""), 0) + 1
    # Concept DOIs share their URL with their latest version, hence the (kind, url) key.
    duplicates = sum(n - 1 for n in seen.values())
    findable = sum(
        1
        for doi, p in version_pids.items()
        if held["dois"].get(doi, {}).get("state") == "findable" and p.status == "registered"
    )
    rate = held["max_writes_per_window"] / args.window
    print(f"failed permanently: {failed}; DOIs: {total}; writes accepted: {len(held['writes'])}")
    print(f"time to drain after recovery: {drained - recovery:.0f} s (total {drained - t0:.0f} s)")
    print(
        f"max {held['max_writes_per_window']} writes in a {args.window:g} s window, {five} in 300 s "
        f"(limit {args.rate:g}/s = {args.rate * args.window:.0f} and {args.rate * 300:.0f})"
    )
    standin.terminate()
    standin.wait()
    app.extensions["alluvium.engine"].dispose()
    if not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    n = args.publications
    print(
        f"doi outage: {published}/{n} published, {findable}/{n} findable, {len(orphans)} orphans, "
        f"{duplicates} duplicates, max {rate:.2f} req/s"
    )


if __name__ == "__main__":
    main()
