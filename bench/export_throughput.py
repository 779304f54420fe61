"""Export throughput: records/s per registered format on one core (median of 3 runs).

    python bench/export_throughput.py [--count 10000] [--format datacite --format oai_dc …]

Generates ``--count`` varied record documents from ``schemas.examples`` (rich and minimal,
alternating, with distinct ids, DOIs, titles, boxes, years and file lists), loads them once
through the real schema loader, then times each writer over all of them. Validation is not
timed (that is the publish gate's cost, once per acceptance). Prints records/s and the ratio
of each format to the fastest one.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import schemas  # noqa: E402
from exports.registry import formats, get_format  # noqa: E402
from schemas.examples import example_record_document, minimal_example  # noqa: E402


def generate(count: int) -> list[dict]:
    """``count`` varied, valid record documents."""
    rich = example_record_document()
    out = []
    for i in range(count):
        doc = copy.deepcopy(rich)
        doc["id"] = f"r{i:05d}-bench"
        doc["pids"] = {"doi": {"identifier": f"10.5072/bench.{i}", "provider": "datacite"}} if i % 3 else {}
        doc["links"] = {"self_html": f"https://alluvium.example.org/records/r{i:05d}-bench"}
        if i % 2:
            doc["metadata"] = minimal_example()
            doc["files"] = [
                {"key": f"part{j}.csv", "size": 100 + j, "mimetype": "text/csv"} for j in range(i % 7)
            ]
        md = doc["metadata"]
        md["titles"][0]["text"] += f" #{i}"
        md["publication_year"] = 2000 + i % 25
        if "spatial_extents" in md:
            shift = (i % 20) * 0.5
            md["spatial_extents"][0]["bbox"]["south"] = -35.0 + shift
        out.append(schemas.load_record_document(doc))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument(
        "--format", dest="names", action="append", help="format name (repeatable); default all"
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    fmts = [get_format(n) for n in args.names] if args.names else formats()
    t0 = time.perf_counter()
    docs = generate(args.count)
    print(f"generated and loaded {len(docs)} records in {time.perf_counter() - t0:.1f} s (one core)")
    results = {}
    for fmt in fmts:
        timings = []
        for _ in range(args.runs):
            start = time.perf_counter()
            for doc in docs:
                fmt.writer(doc)
            timings.append(time.perf_counter() - start)
        results[fmt.name] = len(docs) / statistics.median(timings)
        print(f"{fmt.name:16s} {results[fmt.name]:10.0f} records/s", flush=True)
    fastest = max(results.values())
    print(f"\n{'format':16s} {'records/s':>10s} {'× slower than fastest':>22s}")
    for name, rate in sorted(results.items(), key=lambda kv: -kv[1]):
        print(f"{name:16s} {rate:10.0f} {fastest / rate:22.1f}")


if __name__ == "__main__":
    main()
