"""The child process of :func:`extraction.extract`: limits itself, reads, prints one JSON line.

Input (stdin): ``{"path", "name", "mimetype", "memory_mb", "cpu_seconds"}``.
"""

from __future__ import annotations

import json
import resource
import sys


def main() -> None:
    job = json.loads(sys.stdin.read())
    # Limits first, before any reader library is imported: an address-space cap makes a huge
    # allocation fail with MemoryError instead of swapping the host; the CPU cap backs the
    # parent's wall-clock timeout; no file may be written (GDAL sidecars, caches).
    memory = int(job["memory_mb"]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    cpu = int(job["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    from extraction._sandbox import extract_here

    try:
        result = extract_here(job["path"], job["name"], job.get("mimetype"))
    except MemoryError:
        result = {
            "state": "failed",
            "reason": f"the reader exceeded the memory limit of {job['memory_mb']} MB",
        }
    sys.stdout.write(json.dumps(result, default=str, allow_nan=False) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
