#!/usr/bin/env python3
"""Benchmark vocabulary autocomplete: latency of ``GET /api/vocabularies/<scheme>/terms?q=…``.

Loads NASA GCMD Science Keywords (2000 concepts, from the offline standards bundle) into a
throw-away SQLite database, or into the PostgreSQL database named by ``--database-url``
(migrated and imported there; use a scratch database), then sends a few thousand prefixes as
a user would type them (1 to 12 characters of a label, from its start or from a later word,
``lang`` alternating fr/en) through the Flask test client: routing, the service query and
JSON serialisation are measured, the socket is not. Prints p50/p95/p99 in milliseconds.

    python3 bench/vocab_lookup.py
    python3 bench/vocab_lookup.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

GCMD_SCIENCE = "https://gcmd.earthdata.nasa.gov/kms/concepts/concept_scheme/sciencekeywords"
DEFAULT_FILE = REPO_ROOT.parent / "shared/standards/vocabularies/gcmd/rdf/sciencekeywords.rdf"


def typed_prefixes(labels: list[str], count: int, seed: int) -> list[str]:
    """Prefixes a user types: from the label start or a later word, 1-12 characters."""
    rng = random.Random(seed)
    out = []
    while len(out) < count:
        words = rng.choice(labels).split()
        start = " ".join(words[rng.randrange(len(words)) :])
        out.append(start[: rng.randint(1, min(12, len(start)))])
    return out


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(round(p / 100 * (len(sorted_ms) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL (or other) URL; default: temporary SQLite file")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="GCMD sciencekeywords.rdf")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--size", type=int, default=10, help="hits per request")
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    if not args.file.is_file():
        print(f"{args.file} not found (the offline standards bundle); give --file", file=sys.stderr)
        return 2

    from sqlalchemy import select

    from app import create_app
    from app.db import new_session
    from app.migrate import upgrade
    from app.models import VocabularyConcept
    from app.services import vocabularies
    from curation import Actor

    with tempfile.TemporaryDirectory(prefix="alluvium-vocab-bench-") as tmp:
        os.environ["ALLUVIUM_INSTANCE_PATH"] = tmp
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        app = create_app({"DATABASE_URL": url, "STORAGE_PATH": f"{tmp}/storage", "TESTING": True})
        t0 = time.perf_counter()
        with new_session(app) as s:
            result = vocabularies.import_vocabulary(
                s, Actor.system_actor(), args.file, GCMD_SCIENCE, "gcmd-science"
            )
            s.commit()
            labels = [
                lbl for (pl,) in s.execute(select(VocabularyConcept.pref_labels)) for lbl in pl.values()
            ]
        print(f"database: {app.extensions['alluvium.engine'].url.render_as_string(hide_password=True)}")
        print(f"import: {result.summary()} in {time.perf_counter() - t0:.2f} s")

        client = app.test_client()
        prefixes = typed_prefixes(labels, args.requests, args.seed)
        for q in prefixes[:50]:  # warm caches and the connection pool
            client.get(f"/api/vocabularies/gcmd-science/terms?q={quote(q)}")
        timings = []
        hits = 0
        for i, q in enumerate(prefixes):
            lang = "fr" if i % 2 else "en"
            start = time.perf_counter()
            response = client.get(
                f"/api/vocabularies/gcmd-science/terms?q={quote(q)}&lang={lang}&size={args.size}"
            )
            timings.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                print(
                    f"HTTP {response.status_code} for {q!r}: {response.get_data(as_text=True)}",
                    file=sys.stderr,
                )
                return 1
            hits += bool(response.get_json()["hits"]["hits"])
        timings.sort()
        print(f"{len(timings)} requests through the Flask test client, {hits} with hits, size={args.size}")
        print(
            f"p50 {percentile(timings, 50):.2f} ms   p95 {percentile(timings, 95):.2f} ms   "
            f"p99 {percentile(timings, 99):.2f} ms   max {timings[-1]:.2f} ms   "
            f"mean {statistics.fmean(timings):.2f} ms"
        )
        app.extensions["alluvium.engine"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
