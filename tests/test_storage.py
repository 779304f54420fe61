"""Tests for the content-addressed file store (app/storage.py)."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from app.storage import (
    CHUNK_SIZE,
    ChecksumMismatch,
    IncompleteUpload,
    LocalObjectStore,
    ObjectNotFound,
    ObjectStore,
    SizeMismatch,
    StorageError,
    UploadTooLarge,
    open_store,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024


class GeneratorStream:
    """File-like object over a generator of byte chunks.

    ``read(n)`` returns at most n bytes and keeps only the current leftover,
    so a body of any size can be produced without existing whole in memory.
    Counts what it delivered, so tests can check how far the store read.
    """

    def __init__(self, chunks: Iterable[bytes], max_read: int | None = None) -> None:
        self._chunks = iter(chunks)
        self._buffer = bytearray()
        self._max_read = max_read
        self.delivered = 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            raise AssertionError("the store must never ask for the whole stream")
        if self._max_read is not None:
            n = min(n, self._max_read)
        while len(self._buffer) < n:
            try:
                self._buffer += next(self._chunks)
            except StopIteration:
                break
        # Through a memoryview: one copy out of the buffer, not two.
        with memoryview(self._buffer) as view:
            out = bytes(view[:n])
        del self._buffer[:n]
        self.delivered += len(out)
        return out


def pattern(total: int, block: int = 64 * 1024) -> Iterator[bytes]:
    """Yield ``total`` deterministic, non-repeating bytes in blocks."""
    index = 0
    produced = 0
    while produced < total:
        # Each block differs (its index is in it) so the body is not periodic.
        data = (index.to_bytes(8, "big") * (block // 8))[: total - produced]
        yield data
        produced += len(data)
        index += 1


def failing_after(chunks: Iterable[bytes], exc: Exception) -> Iterator[bytes]:
    """Yield the chunks, then raise ``exc`` (a client disconnecting)."""
    yield from chunks
    raise exc


def files_under(root: Path) -> list[Path]:
    """Every non-directory entry below root: what a failed upload must not leave."""
    return sorted(p for p in root.rglob("*") if not p.is_dir())


@pytest.fixture
def store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "storage")


def test_multi_chunk_body_is_streamed_and_both_digests_are_right(store: LocalObjectStore) -> None:
    body = b"".join(pattern(3 * CHUNK_SIZE + 12_345))
    # Short reads (at most 100 kB per call) are what sockets really give.
    stream = GeneratorStream([body[i : i + 70_000] for i in range(0, len(body), 70_000)], max_read=100_000)

    stored = store.put_stream(stream)

    assert stored.sha256 == hashlib.sha256(body).hexdigest()
    assert stored.md5 == hashlib.md5(body).hexdigest()
    assert stored.size == len(body)
    assert stored.created is True
    path = store.local_path(stored.sha256)
    assert path == store.root / "objects" / stored.sha256[:2] / stored.sha256[2:4] / stored.sha256
    assert path.read_bytes() == body
    with store.open(stored.sha256) as f:
        assert f.read() == body
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert store.exists(stored.sha256)
    assert list(store.iter_objects()) == [stored.sha256]
    assert store.verify(stored.sha256)
    # Nothing left behind in the temporary area.
    assert files_under(store.temp_dir) == []


def test_empty_body(store: LocalObjectStore) -> None:
    stored = store.put_stream(io.BytesIO(b""), expected_size=0)
    assert stored.sha256 == hashlib.sha256(b"").hexdigest()
    assert stored.size == 0
    assert store.local_path(stored.sha256).read_bytes() == b""


def test_identical_content_is_stored_once(store: LocalObjectStore) -> None:
    body = b"same bytes, two deposits\n" * 1000
    first = store.put_stream(io.BytesIO(body))
    second = store.put_stream(io.BytesIO(body), expected_size=len(body))

    assert first.created is True
    assert second.created is False
    assert (second.sha256, second.md5, second.size) == (first.sha256, first.md5, first.size)
    assert files_under(store.root) == [store.local_path(first.sha256)]


def test_distinct_content_gives_distinct_objects(store: LocalObjectStore) -> None:
    a = store.put_stream(io.BytesIO(b"a"))
    b = store.put_stream(io.BytesIO(b"b"))
    assert a.sha256 != b.sha256
    assert sorted(store.iter_objects()) == sorted([a.sha256, b.sha256])


def test_max_size_exceeded_stops_reading_and_leaves_nothing(store: LocalObjectStore) -> None:
    limit = 2 * CHUNK_SIZE + 10
    stream = GeneratorStream(pattern(50 * CHUNK_SIZE))

    with pytest.raises(UploadTooLarge) as info:
        store.put_stream(stream, max_size=limit)

    assert info.value.limit == limit
    assert info.value.received > limit
    # "Stop as soon as the limit is crossed": not one byte more than needed to know.
    assert stream.delivered == limit + 1
    assert files_under(store.root) == []


def test_body_of_exactly_max_size_is_accepted(store: LocalObjectStore) -> None:
    body = b"x" * (CHUNK_SIZE + 1)
    stored = store.put_stream(io.BytesIO(body), max_size=len(body))
    assert stored.size == len(body)


def test_announced_size_over_limit_is_refused_before_reading(store: LocalObjectStore) -> None:
    stream = GeneratorStream(pattern(10 * CHUNK_SIZE))
    with pytest.raises(UploadTooLarge):
        store.put_stream(stream, max_size=CHUNK_SIZE, expected_size=10 * CHUNK_SIZE)
    assert stream.delivered == 0
    assert files_under(store.root) == []


def test_stream_raising_midway_leaves_nothing(store: LocalObjectStore) -> None:
    cause = ConnectionResetError("client went away")
    stream = GeneratorStream(failing_after(pattern(3 * CHUNK_SIZE), cause))

    with pytest.raises(IncompleteUpload) as info:
        store.put_stream(stream, expected_size=10 * CHUNK_SIZE)

    assert info.value.__cause__ is cause
    assert info.value.expected == 10 * CHUNK_SIZE
    assert info.value.received == 3 * CHUNK_SIZE
    assert files_under(store.root) == []


def test_stream_raising_without_announced_size_leaves_nothing(store: LocalObjectStore) -> None:
    stream = GeneratorStream(failing_after(pattern(CHUNK_SIZE + 5), OSError("disk of the client")))
    with pytest.raises(StorageError):
        store.put_stream(stream)
    assert files_under(store.root) == []


def test_short_stream_with_expected_size_is_incomplete(store: LocalObjectStore) -> None:
    body = b"".join(pattern(2 * CHUNK_SIZE + 7))

    with pytest.raises(IncompleteUpload) as info:
        store.put_stream(io.BytesIO(body), expected_size=len(body) + 1000)

    assert info.value.expected == len(body) + 1000
    assert info.value.received == len(body)
    assert files_under(store.root) == []


def test_nothing_past_expected_size_is_read(store: LocalObjectStore) -> None:
    body = b"".join(pattern(CHUNK_SIZE + 10))
    stream = GeneratorStream([body, b"first bytes of the next request"])
    stored = store.put_stream(stream, expected_size=len(body))
    assert stream.delivered == len(body)
    assert stored.sha256 == hashlib.sha256(body).hexdigest()


class Overgenerous:
    """A broken stream that ignores the n of read(n)."""

    def read(self, n: int) -> bytes:
        return b"y" * (n + 10)


def test_stream_returning_more_than_asked_is_refused(store: LocalObjectStore) -> None:
    with pytest.raises(SizeMismatch) as info:
        store.put_stream(Overgenerous(), expected_size=100)
    assert not isinstance(info.value, IncompleteUpload)
    assert (info.value.expected, info.value.received) == (100, 110)
    assert files_under(store.root) == []


def test_body_from_a_socket_that_stays_open(store: LocalObjectStore) -> None:
    # A keep-alive client sends exactly Content-Length bytes and then waits
    # for the answer: the store must not wait for an end of stream that will
    # not come (it did once, via http.server's rfile).
    body = b"".join(pattern(3 * CHUNK_SIZE + 1))
    client, server = socket.socketpair()
    with client, server:
        server.settimeout(10)  # a regression fails the test instead of hanging it
        sender = threading.Thread(target=client.sendall, args=(body,))
        sender.start()
        with server.makefile("rb") as rfile:
            stored = store.put_stream(rfile, expected_size=len(body))
        sender.join()
    assert stored.size == len(body)
    assert stored.md5 == hashlib.md5(body).hexdigest()


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_checksum_mismatch_stores_nothing(store: LocalObjectStore, algorithm: str) -> None:
    body = b"the body the client meant to send"
    wrong = hashlib.new(algorithm, b"something else").hexdigest()

    with pytest.raises(ChecksumMismatch) as info:
        store.put_stream(io.BytesIO(body), **{f"expected_{algorithm}": wrong})

    assert info.value.algorithm == algorithm
    assert info.value.actual == hashlib.new(algorithm, body).hexdigest()
    assert files_under(store.root) == []


def test_matching_checksums_in_any_case_are_accepted(store: LocalObjectStore) -> None:
    body = b"checked on the way in"
    stored = store.put_stream(
        io.BytesIO(body),
        expected_md5=hashlib.md5(body).hexdigest().upper(),
        expected_sha256=hashlib.sha256(body).hexdigest(),
    )
    assert stored.created


def test_malformed_expected_checksum_is_a_value_error(store: LocalObjectStore) -> None:
    with pytest.raises(ValueError):
        store.put_stream(io.BytesIO(b"x"), expected_md5="not-hex")
    assert files_under(store.root) == []


def test_verify_detects_a_corrupted_object(store: LocalObjectStore) -> None:
    good = store.put_stream(GeneratorStream(pattern(2 * CHUNK_SIZE + 3)))
    victim = store.put_stream(GeneratorStream(pattern(CHUNK_SIZE + 99, block=4096)))
    assert store.verify(victim.sha256)

    path = store.local_path(victim.sha256)
    os.chmod(path, 0o644)
    with path.open("r+b") as f:
        f.seek(CHUNK_SIZE + 50)
        byte = f.read(1)
        f.seek(CHUNK_SIZE + 50)
        f.write(bytes([byte[0] ^ 0x01]))

    assert store.verify(victim.sha256) is False
    assert store.verify(good.sha256) is True


def test_missing_object(store: LocalObjectStore) -> None:
    absent = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(absent)
    with pytest.raises(ObjectNotFound):
        store.open(absent)
    with pytest.raises(ObjectNotFound):
        store.local_path(absent)
    with pytest.raises(ObjectNotFound):
        store.verify(absent)
    with pytest.raises(ObjectNotFound):
        store.delete(absent)


def test_delete(store: LocalObjectStore) -> None:
    stored = store.put_stream(io.BytesIO(b"a discarded draft file"))
    store.delete(stored.sha256)
    assert not store.exists(stored.sha256)
    assert list(store.iter_objects()) == []
    # The same content can be deposited again afterwards.
    assert store.put_stream(io.BytesIO(b"a discarded draft file")).created is True


@pytest.mark.parametrize(
    "bad",
    [
        "../../../../etc/passwd",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "../" + "a" * 61,
        "",
    ],
)
@pytest.mark.parametrize("method", ["open", "local_path", "exists", "delete", "verify"])
def test_invalid_sha256_is_rejected_before_touching_the_disk(
    store: LocalObjectStore, method: str, bad: str
) -> None:
    with pytest.raises(ValueError):
        getattr(store, method)(bad)


def test_iter_objects_ignores_stray_files(store: LocalObjectStore) -> None:
    stored = store.put_stream(io.BytesIO(b"real"))
    misplaced = store.objects_dir / "00" / "00" / stored.sha256
    misplaced.parent.mkdir(parents=True)
    misplaced.write_bytes(b"real")
    (store.objects_dir / "README").write_text("not an object")
    assert list(store.iter_objects()) == [stored.sha256]


def _crash_during_upload(root: Path) -> None:
    """Run an upload in a child process that dies with os._exit mid-stream.

    That is what kill -9 does to a worker: no finally clause runs, so the
    temporary file stays behind for cleanup_temp() to find.
    """
    script = textwrap.dedent(
        f"""
        import os
        from app.storage import LocalObjectStore

        class Dying:
            calls = 0
            def read(self, n):
                self.calls += 1
                if self.calls > 2:
                    os._exit(9)
                return b"x" * n

        LocalObjectStore({str(root)!r}).put_stream(Dying())
        """
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, timeout=60)
    assert result.returncode == 9, result.stderr.decode()


def test_cleanup_temp_removes_stale_files_from_a_crash_but_not_fresh_ones(store: LocalObjectStore) -> None:
    _crash_during_upload(store.root)
    (stale,) = files_under(store.temp_dir)
    assert stale.stat().st_size == 2 * CHUNK_SIZE
    two_hours_ago = time.time() - 7200
    os.utime(stale, (two_hours_ago, two_hours_ago))
    _crash_during_upload(store.root)
    (fresh,) = set(files_under(store.temp_dir)) - {stale}
    unrelated = store.temp_dir / "operator-notes.txt"
    unrelated.write_text("not ours")
    os.utime(unrelated, (two_hours_ago, two_hours_ago))

    assert store.cleanup_temp(older_than_seconds=3600) == 1

    assert not stale.exists()
    assert fresh.exists()
    assert unrelated.exists()
    assert list(store.iter_objects()) == []
    assert store.cleanup_temp(older_than_seconds=0) == 1
    assert not fresh.exists()


@pytest.mark.slow
def test_memory_stays_bounded_for_a_200_mb_stream(store: LocalObjectStore) -> None:
    size = 200 * 1000 * 1000
    expected_sha256 = hashlib.sha256()
    for chunk in pattern(size):
        expected_sha256.update(chunk)
    stream = GeneratorStream(pattern(size))

    tracemalloc.start()
    try:
        stored = store.put_stream(stream, expected_size=size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert stored.size == size
    assert stored.sha256 == expected_sha256.hexdigest()
    # About 2 MiB in practice: the chunk in flight plus this test stream's own
    # buffer. A store that kept the body, or piled up chunks, would blow past it.
    assert peak < 4 * MiB, f"peak traced allocation {peak / MiB:.1f} MiB"


def test_open_store_builds_a_local_store(tmp_path: Path) -> None:
    store = open_store({"STORAGE_PATH": str(tmp_path / "s")})
    assert isinstance(store, LocalObjectStore)
    assert isinstance(store, ObjectStore)
    assert store.put_stream(io.BytesIO(b"hello")).size == 5
    assert isinstance(
        open_store({"STORAGE_BACKEND": "local", "STORAGE_PATH": tmp_path / "t"}), LocalObjectStore
    )


def test_open_store_rejects_bad_configuration(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        open_store({})
    with pytest.raises(ValueError):
        open_store({"STORAGE_BACKEND": "s3", "STORAGE_PATH": str(tmp_path)})
