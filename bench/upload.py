#!/usr/bin/env python3
"""Benchmark a large streamed upload: throughput and peak memory.

Two modes:

- ``--direct``: stream the body straight into a LocalObjectStore in a
  temporary directory; prints MB/s and this process's peak RSS.
- HTTP (default): start a throw-away Alluvium instance with the ``alluvium``
  CLI, create a record and PUT the body to
  ``/api/records/{id}/draft/files/{key}``; prints MB/s and the server's peak
  RSS (VmHWM from /proc/<pid>/status, highest over the server's process tree).
- ``--tus``: the same server, the body sent as a resumable upload with ``tuspy``
  (tus 1.0, ``/api/records/{id}/draft/uploads``), stopped half-way and resumed by a
  new uploader (as after a client restart); then the plain PUT on a fresh server
  for comparison. Fails if the server's RSS grows by 64 MB or more.

The body is generated on the fly (a random 1 MiB block repeated, different
for every run so the store cannot deduplicate across runs); neither side
should need memory proportional to its size. Linux only (reads /proc).

    python3 bench/upload.py --direct --size 2G --repeat 3
    python3 bench/upload.py --size 2G --repeat 3
    python3 bench/upload.py --tus --size 5G
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BLOCK = 1024 * 1024
MB = 1_000_000  # throughput is reported in decimal MB/s, like disks and networks
_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}


def parse_size(text: str) -> int:
    """Parse ``2G``, ``512M``, ``100K`` or a plain byte count (binary units)."""
    match = re.fullmatch(r"\s*(\d+)\s*([KMGT]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 2G, 512M, 1000000)")
    return int(match.group(1)) * _UNITS[match.group(2).upper()]


class GeneratedBody:
    """A file-like body of ``size`` bytes made by repeating one random block.

    ``read(n)`` hands out memoryview slices of the block, so producing the
    body costs no copying and no memory beyond the block itself: the
    benchmark measures the consumer, not the generator.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.remaining = size
        self._block = memoryview(os.urandom(BLOCK))
        self._offset = 0

    def __len__(self) -> int:
        return self.size

    def read(self, n: int = -1) -> memoryview:
        if n is None or n < 0:
            n = self.remaining
        n = min(n, self.remaining, BLOCK - self._offset)
        out = self._block[self._offset : self._offset + n]
        self._offset = (self._offset + n) % BLOCK
        self.remaining -= n
        return out


def vm_hwm_kib(pid: int | str = "self") -> int:
    """Peak resident set size (VmHWM) of a process, in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmHWM for process {pid}")


def process_tree(root_pid: int) -> list[int]:
    """The pid and all its descendants (a server may fork workers or a reloader)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                # The command name may contain spaces; fields resume after ")".
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def tree_peak_rss_kib(root_pid: int) -> tuple[int, int]:
    """Highest VmHWM over a process tree, as (KiB, pid)."""
    best = (0, root_pid)
    for pid in process_tree(root_pid):
        try:
            best = max(best, (vm_hwm_kib(pid), pid))
        except (OSError, RuntimeError):
            continue  # exited meanwhile, or a kernel thread
    return best


def fmt_mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def report(label: str, size: int, seconds: list[float]) -> None:
    rates = [size / s / MB for s in seconds]
    print(f"{label}: {size} bytes ({size / 1024**3:.2f} GiB) x {len(seconds)} run(s)")
    for i, (s, r) in enumerate(zip(seconds, rates, strict=True), 1):
        print(f"  run {i}: {s:.2f} s, {r:.1f} MB/s")
    print(f"  median throughput: {statistics.median(rates):.1f} MB/s")


# --- direct mode ----------------------------------------------------------------------------------


def run_direct(size: int, repeat: int, workdir: str | None) -> None:
    """Stream ``size`` bytes into a LocalObjectStore ``repeat`` times and report."""
    sys.path.insert(0, str(REPO_ROOT))
    from app.storage import LocalObjectStore

    baseline = vm_hwm_kib()
    seconds = []
    with tempfile.TemporaryDirectory(prefix="alluvium-bench-", dir=workdir) as tmp:
        store = LocalObjectStore(Path(tmp) / "storage")
        print(f"store: {store.root} ({_fs_type(store.root)})")
        for _ in range(repeat):
            body = GeneratedBody(size)
            start = time.perf_counter()
            stored = store.put_stream(body, expected_size=size)
            seconds.append(time.perf_counter() - start)
            if stored.size != size or not stored.created:
                raise SystemExit(f"unexpected result: {stored}")
            # Keep the disk from filling up over many repeats.
            store.delete(stored.sha256)
    report("direct LocalObjectStore.put_stream", size, seconds)
    print(f"  this process peak RSS (VmHWM): {fmt_mib(vm_hwm_kib())} (before uploads: {fmt_mib(baseline)})")


def _fs_type(path: Path) -> str:
    # tmpfs would measure RAM, not disk: say which one was used.
    best, kind = "", "unknown fs"
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                _, mount, fstype, *_ = line.split()
                if str(path).startswith(mount) and len(mount) > len(best):
                    best, kind = mount, fstype
    except OSError:
        pass
    return kind


# --- HTTP mode ------------------------------------------------------------------------------------


def alluvium_command(override: str | None) -> list[str]:
    """The command that runs the CLI: --alluvium, the installed script, or app.cli from this checkout."""
    if override:
        return override.split()
    installed = shutil.which("alluvium")
    if installed:
        return [installed]
    # Not installed (pip install -e .): run the entry point from this checkout.
    return [sys.executable, "-c", "import sys; from app.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, server: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"server exited with status {server.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"server did not listen on port {port} within {timeout:.0f} s")


def create_record(port: int, token: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            "POST",
            "/api/records",
            body=json.dumps({"metadata": {}}),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = conn.getresponse()
        payload = response.read()
        if response.status // 100 != 2:
            raise SystemExit(f"POST /api/records: {response.status} {payload[:500]!r}")
        return str(json.loads(payload)["id"])
    finally:
        conn.close()


def put_file(port: int, token: str, record_id: str, key: str, size: int) -> float:
    """PUT a generated body of ``size`` bytes; return the seconds until the response arrived."""
    body = GeneratedBody(size)
    # http.client directly: full control over the chunk size and a real
    # Content-Length (no chunked encoding), as a curl --upload-file would send.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        start = time.perf_counter()
        conn.putrequest("PUT", f"/api/records/{record_id}/draft/files/{key}")
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("Content-Type", "application/octet-stream")
        conn.putheader("Content-Length", str(size))
        conn.endheaders()
        try:
            while chunk := body.read(BLOCK):
                conn.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered early (401, 413...): read that answer below
        response = conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - start
        if response.status // 100 != 2:
            raise SystemExit(f"PUT {key}: {response.status} {payload[:500]!r}")
        return elapsed
    finally:
        conn.close()


class SeekableBody:
    """A seekable view of the same generated content (tuspy seeks to the server's offset)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pos = 0
        self._block = os.urandom(BLOCK)

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def tell(self) -> int:
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        parts, left = [], n
        while left:
            start = self.pos % BLOCK
            piece = self._block[start : start + left]
            parts.append(piece)
            self.pos += len(piece)
            left -= len(piece)
        return b"".join(parts)


def tus_file(port: int, token: str, record_id: str, key: str, size: int, chunk: int) -> float:
    """Send ``size`` bytes with tuspy: half with one uploader, the rest resumed by a new one."""
    from tusclient import client as tus_client

    body = SeekableBody(size)
    client = tus_client.TusClient(
        f"http://127.0.0.1:{port}/api/records/{record_id}/draft/uploads",
        headers={"Authorization": f"Bearer {token}"},
    )
    start = time.perf_counter()
    first = client.uploader(file_stream=body, chunk_size=chunk, metadata={"filename": key})
    first.upload(stop_at=size // 2)
    # A new uploader knows only the URL: it asks the server for the offset (HEAD) and resumes.
    client.uploader(file_stream=body, chunk_size=chunk, url=first.url).upload()
    return time.perf_counter() - start


@contextlib.contextmanager
def throwaway_server(
    workdir: str | None, override: str | None, password: str = "bench-password", scopes: str = "deposit"
) -> Iterator[tuple[int, str, subprocess.Popen, str]]:
    """A migrated Alluvium instance in a temporary directory, served on a free port, with the
    producer ``bench@example.org`` (``password``) and a token for it (``scopes``); yields
    (port, token, server process, instance path). Stopped and removed on exit, Ctrl-C or SIGTERM."""
    cli = alluvium_command(override)
    # Turn SIGTERM into SystemExit so the finally clause below still stops the server.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="alluvium-bench-", dir=workdir) as instance:
        env = {**os.environ, "ALLUVIUM_INSTANCE_PATH": instance}

        def cli_run(*args: str) -> str:
            result = subprocess.run([*cli, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True)
            if result.returncode != 0:
                raise SystemExit(f"alluvium {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
            return result.stdout

        cli_run("db", "upgrade")
        cli_run("users", "create", "bench@example.org", "--role", "producer", "--password", password)
        lines = cli_run("tokens", "create", "bench@example.org", "--scopes", scopes).strip().splitlines()
        if not lines:
            raise SystemExit("alluvium tokens create printed no token")
        token = lines[-1].strip()

        port = free_port()
        server = subprocess.Popen(
            [*cli, "serve", "--port", str(port)], env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL
        )
        try:
            wait_for_port(port, server)
            yield port, token, server, instance
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def run_http(
    size: int, repeat: int, workdir: str | None, override: str | None, tus: bool = False, chunk: int = 0
) -> None:
    """Start a server, upload ``repeat`` times through the REST API (PUT, or tus) and report."""
    with throwaway_server(workdir, override) as (port, token, server, instance):
        print(f"server: pid {server.pid}, port {port}, instance {instance} ({_fs_type(Path(instance))})")
        baseline, _ = tree_peak_rss_kib(server.pid)
        seconds = []
        for i in range(repeat):
            record_id = create_record(port, token)
            if tus:
                seconds.append(tus_file(port, token, record_id, f"bench-{i + 1}.bin", size, chunk))
            else:
                seconds.append(put_file(port, token, record_id, f"bench-{i + 1}.bin", size))
        peak, peak_pid = tree_peak_rss_kib(server.pid)
    if tus:
        label = (
            f"tus (tuspy, {chunk // BLOCK} MiB PATCHes, resumed half-way) /api/records/{{id}}/draft/uploads"
        )
    else:
        label = "HTTP PUT /api/records/{id}/draft/files/{key}"
    report(f"{label} on port {port}", size, seconds)
    growth = (peak - baseline) * 1024 / MB
    print(f"  server peak RSS (VmHWM, pid {peak_pid}): {fmt_mib(peak)} (after start-up: {fmt_mib(baseline)})")
    print(f"  server RSS growth: {growth:.1f} MB ({'OK' if growth < 64 else 'FAIL'}: must stay under 64 MB)")
    if growth >= 64:
        raise SystemExit(1)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and run the chosen mode."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--direct", action="store_true", help="measure LocalObjectStore without HTTP")
    parser.add_argument("--size", type=parse_size, default=parse_size("2G"), help="body size (default 2G)")
    parser.add_argument("--repeat", type=int, default=1, help="number of uploads; the median is reported")
    parser.add_argument("--workdir", help="where to put the temporary store/instance (default: system temp)")
    parser.add_argument("--tus", action="store_true", help="resumable upload with tuspy, then PUT to compare")
    parser.add_argument(
        "--chunk", type=parse_size, default=parse_size("64M"), help="tus PATCH size (default 64M)"
    )
    parser.add_argument("--alluvium", help="command to run the CLI (default: the installed 'alluvium')")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.direct:
        run_direct(args.size, args.repeat, args.workdir)
    elif args.tus:
        run_http(args.size, args.repeat, args.workdir, args.alluvium, tus=True, chunk=args.chunk)
        run_http(args.size, args.repeat, args.workdir, args.alluvium)
    else:
        run_http(args.size, args.repeat, args.workdir, args.alluvium)


if __name__ == "__main__":
    main()
