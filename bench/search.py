#!/usr/bin/env python3
"""Benchmark the embedded search backends: reindex rate and memory, query latency per shape.

1. A throw-away instance (or ``--reuse``), SQLite in it by default or ``--database-url`` (an
   EMPTY scratch PostgreSQL database, never ``test``), migrated.
2. N published record versions generated with the OAI benchmark's generator
   (``bench/oai_harvest.generate``: varied titles, creators, keywords, boxes, periods,
   communities, years, licences; every tenth version a second version).
3. ``app.search.indexer.reindex`` (what ``alluvium search reindex`` runs), timed: records/s and
   this process's RSS after each batch (flat memory means the last batch's RSS ~ the first's).
   On PostgreSQL, ANALYZE afterwards.
4. Each query shape ``--samples`` times with varied values, through ``app.search.sql.search``
   (the backend, as the API calls it): p50/p95/p99.

   - text+2 facets: two words + community + year, with facet counts
   - box+period: a 30°×20° box and a two-year period, with facet counts
   - browse: no query, every facet counted
   - deep page 5,000: size 20, the cursor of page 5,000 (hit 100,000), no facet counts

    python3 bench/search.py -n 2000                       # smoke run
    python3 bench/search.py -n 100000                     # SQLite
    python3 bench/search.py -n 100000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/alluvium_bench_w13

Linux only (reads /proc for RSS).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import oai_harvest  # noqa: E402  (the generator)


def rss_mib() -> float:
    return oai_harvest.proc_status_kib(os.getpid(), "VmRSS") / 1024


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    return f"p50 {pct(50):8.1f} ms   p95 {pct(95):8.1f} ms   p99 {pct(99):8.1f} ms   (n={len(samples)})"


def reindex(app: Any) -> None:
    from app.db import new_session
    from app.search.indexer import count_parents
    from app.search.indexer import reindex as run

    with app.app_context(), new_session(app) as session:
        total = count_parents(session)
        start, cpu, done, first_rss = time.perf_counter(), time.process_time(), 0, None
        report = max(total // 10, 1)
        for parents in run(session, app.config["BASE_URL"], batch=500):
            before, done = done, done + len(parents)
            if first_rss is None:
                first_rss = rss_mib()
            if done // report != before // report or done == total:
                elapsed = time.perf_counter() - start
                print(
                    f"  reindexed {done:,}/{total:,} datasets ({done / elapsed:,.0f}/s), RSS {rss_mib():.0f} MiB",
                    flush=True,
                )
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        from sqlalchemy import func, select

        from app.models import SearchEntry

        entries = session.scalar(select(func.count()).select_from(SearchEntry))
    print(
        f"  reindex: {entries:,} entries in {elapsed:.1f} s = {entries / elapsed:,.0f} records/s; "
        f"RSS after the first batch {first_rss:.0f} MiB, at the end {rss_mib():.0f} MiB"
    )
    # The machine is shared: the CPU time of this process says what the code costs (the
    # database work of SQLite is in-process; PostgreSQL's is not counted here).
    print(f"  reindex CPU time of this process {cpu:.1f} s = {entries / cpu:,.0f} records per CPU second")


def shapes(rng: random.Random) -> dict[str, Any]:
    from app.search.interface import Box, SearchQuery, parse_q

    words = ["temperature", "salinity", "soil moisture", "precipitation", "river discharge", "ozone", "snow"]
    communities = [c for c, _ in oai_harvest.COMMUNITIES]

    def text() -> SearchQuery:
        return SearchQuery(
            terms=parse_q(
                rng.choice(words) + " " + rng.choice(["satellite", "measurements", "model", "survey"])
            ),
            filters={"community": (rng.choice(communities),), "year": (str(2000 + rng.randrange(26)),)},
            sort="relevance",
            size=20,
        )

    def box() -> SearchQuery:
        west, south, year = -180 + rng.randrange(330), -80 + rng.randrange(140), 2000 + rng.randrange(24)
        return SearchQuery(
            bbox=Box(float(west), float(south), float(min(west + 30, 180)), float(south + 20)),
            time_start=f"{year}-01-01",
            time_end=f"{year + 1}-12-31",
            time_given=True,
            size=20,
        )

    def browse() -> SearchQuery:
        return SearchQuery(size=20)

    return {"text+2 facets": text, "box+period": box, "browse (all facets)": browse}


def deep_cursor(app: Any, page: int, size: int) -> tuple[Any, ...]:
    """The cursor after hit (page - 1) * size (the last page there is on a small run)."""
    from sqlalchemy import func, select, text

    from app.db import new_session
    from app.models import SearchEntry

    with new_session(app) as s:
        latest = s.scalar(select(func.count()).select_from(SearchEntry).where(SearchEntry.latest.is_(True)))
        page = max(1, min(page, (latest - size) // size))
        row = s.execute(
            text(
                "SELECT COALESCE(published, ''), id FROM search_entries WHERE latest = :t "
                "ORDER BY published DESC, id DESC LIMIT 1 OFFSET :o"
            ),
            {"t": True, "o": (page - 1) * size - 1},
        ).one()
    return (row[0], row[1])


def measure(app: Any, samples: int, seed: int) -> None:
    from app.db import new_session
    from app.search.interface import SearchQuery
    from app.search.sql import search

    rng = random.Random(seed)
    cases = shapes(rng)
    results: dict[str, list[float]] = {name: [] for name in (*cases, "deep page 5,000")}
    # CPU time of this process per query: on the shared machine the wall clock includes waiting
    # for a core; on SQLite the whole query runs in this process (PostgreSQL's server is not).
    cpu: dict[str, list[float]] = {name: [] for name in results}
    cursor = deep_cursor(app, 5000, 20)
    hits: dict[str, int] = {}
    with app.app_context(), new_session(app) as session:
        for name, make in cases.items():
            search(session, make())  # warm-up
            for _ in range(samples):
                q = make()
                t0, c0 = time.perf_counter(), time.process_time()
                r = search(session, q)
                results[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
                hits[name] = hits.get(name, 0) + r.total
        deep = SearchQuery(size=20, cursor=cursor, aggregations=False)
        search(session, deep)
        for _ in range(samples):
            t0, c0 = time.perf_counter(), time.process_time()
            r = search(session, deep)
            results["deep page 5,000"].append(time.perf_counter() - t0)
            cpu["deep page 5,000"].append(time.process_time() - c0)
        assert len(r.record_ids) == 20
    for name, values in results.items():
        mean_hits = hits.get(name, 0) / samples if name in hits else 20
        print(f"  {name:22} {percentiles(values)}   mean hits {mean_hits:,.0f}")
    print("  CPU time of this process per query:")
    for name, values in cpu.items():
        print(f"  {name:22} {percentiles(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", "--records", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", help="EMPTY scratch database (default: SQLite in the instance)")
    parser.add_argument(
        "--reuse", metavar="DIR", help="instance of an earlier --keep run: skip generation and reindex"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reindex", action="store_true", help="with --reuse: reindex again before the queries"
    )
    parser.add_argument(
        "--generate-only",
        action="store_true",
        help="generate the records and stop (implies --keep): reindex and query later with --reuse DIR --reindex",
    )
    args = parser.parse_args()
    instance = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="alluvium-search-bench-"))
    os.environ["ALLUVIUM_INSTANCE_PATH"] = str(instance)
    if args.database_url:
        os.environ["ALLUVIUM_DATABASE_URL"] = args.database_url
    try:
        from app import create_app
        from app.migrate import upgrade

        app = create_app({"CHECK_MIGRATIONS": False})
        url = app.config["DATABASE_URL"]
        print(f"instance {instance}; database {url.split('@')[-1]}")
        if not args.reuse:
            upgrade(url)
            print(f"generating {args.records:,} published record versions ...", flush=True)
            seconds = oai_harvest.generate(app, args.records, args.seed)
            print(f"  generation: {seconds:.1f} s")
            if args.generate_only:
                args.keep = True
                return
            print("reindexing (app.search.indexer.reindex, batches of 500 datasets) ...", flush=True)
            reindex(app)
        elif args.reindex:
            upgrade(url)
            print("reindexing again (app.search.indexer.reindex, batches of 500 datasets) ...", flush=True)
            reindex(app)
        if url.startswith("postgresql"):
            from sqlalchemy import text

            from app.db import get_engine

            # VACUUM ANALYZE: the state autovacuum reaches soon after a bulk load (statistics,
            # and the visibility map that lets index-only scans skip the heap).
            with get_engine(app).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        print(f"query shapes ({args.samples} samples each, in process through app.search.sql.search):")
        measure(app, args.samples, args.seed)
        app.extensions["alluvium.engine"].dispose()
    finally:
        if not args.keep and not args.reuse:
            shutil.rmtree(instance, ignore_errors=True)
        elif args.keep:
            print(f"instance kept: {instance} (rerun with --reuse {instance})")


if __name__ == "__main__":
    main()
