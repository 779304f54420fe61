"""Export throughput: records/s per registered format on one core (median of 3 runs).

    python bench/export_throughput.py [--count 10000] [--format datacite --format oai_dc …]

Generates ``--count`` varied record documents from ``schemas.examples`` (rich and minimal,
alternating, with distinct ids, DOIs, titles, boxes, years and file lists), loads them once
through the real schema loader, then times each writer over all of them. Validation is not
timed (that is the publish gate's cost, once per acceptance). Prints records/s and the ratio
of each format to the fastest one.

Two figures per format: records/s by the wall clock (what a harvester waits for, at the mercy
of whatever else runs on the machine) and records/s of this process's CPU time
(``time.process_time``, the cost of the writer itself on one core). On a quiet machine the two
agree; on a loaded one the CPU figure is the one to compare with the 3,000 records/s target.
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
    results: dict[str, tuple[float, float]] = {}
    for fmt in fmts:
        wall, cpu = [], []
        for _ in range(args.runs):
            start, start_cpu = time.perf_counter(), time.process_time()
            for doc in docs:
                fmt.writer(doc)
            wall.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        results[fmt.name] = (len(docs) / statistics.median(wall), len(docs) / statistics.median(cpu))
        print(
            f"{fmt.name:16s} {results[fmt.name][0]:10.0f} records/s wall, {results[fmt.name][1]:10.0f} CPU",
            flush=True,
        )
    fastest = max(cpu for _, cpu in results.values())
    print(f"\n{'format':16s} {'wall rec/s':>10s} {'CPU rec/s':>10s} {'× slower (CPU)':>15s} {'≥ 3,000 (CPU)':>14s}")
    for name, (wall_rate, cpu_rate) in sorted(results.items(), key=lambda kv: -kv[1][1]):
        target = "yes" if cpu_rate >= 3000 else "NO"
        print(f"{name:16s} {wall_rate:10.0f} {cpu_rate:10.0f} {fastest / cpu_rate:15.1f} {target:>14s}")


if __name__ == "__main__":
    main()
