"""Content-addressed file store behind deposits and archiving.

Every stored body is named by its SHA-256 and written once: uploads are
streamed into a temporary file inside the store, hashed (MD5 and SHA-256) in
the same pass, fsynced and atomically renamed into
``objects/<sha256[:2]>/<sha256[2:4]>/<sha256>``. A crash or a failed upload
therefore never leaves a half-written object visible, and identical content is
kept once however many records reference it.

This module is plain Python: no Flask, no database. The application decides
which record owns which object; the store only keeps bytes safe.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

__all__ = [
    "CHUNK_SIZE",
    "ChecksumMismatch",
    "IncompleteUpload",
    "LocalObjectStore",
    "ObjectNotFound",
    "ObjectStore",
    "SizeMismatch",
    "StorageError",
    "StoredObject",
    "UploadTooLarge",
    "open_store",
]

#: Bytes requested from the input stream per read. Large enough that hashing
#: and the write syscall dominate (hashlib releases the GIL above 2 KiB), small
#: enough that memory per concurrent upload stays bounded.
CHUNK_SIZE = 1024 * 1024

_SHA256_RE = re.compile(r"[0-9a-f]{64}")
_HEX_RE = re.compile(r"[0-9a-fA-F]+")

# Temporary upload files carry this prefix and suffix so cleanup_temp() only
# ever removes files this module created.
_TEMP_PREFIX = "upload-"
_TEMP_SUFFIX = ".part"

# Published files must never change; the mode is a guard against accidental
# writes by tools and people, not a security boundary (root ignores it).
_OBJECT_MODE = 0o444


class StorageError(Exception):
    """Base class for every error raised by the file store."""


class UploadTooLarge(StorageError):
    """The body is larger than the caller's ``max_size``.

    ``received`` is how many bytes were read before the store stopped reading
    (at most ``limit + 1``), or 0 when the announced size alone exceeded the
    limit and nothing was read.
    """

    def __init__(self, limit: int, received: int) -> None:
        self.limit = limit
        self.received = received
        if received:
            message = f"upload exceeds the limit of {limit} bytes (stopped after {received} bytes)"
        else:
            message = f"announced upload size exceeds the limit of {limit} bytes"
        super().__init__(message)


class SizeMismatch(StorageError):
    """The stream did not deliver the announced ``expected_size`` bytes.

    Raised as such when a stream returns more than it was asked for; the
    common case, too few bytes, is the subclass IncompleteUpload.
    """

    def __init__(self, expected: int | None, received: int, message: str | None = None) -> None:
        self.expected = expected
        self.received = received
        super().__init__(message or f"expected {expected} bytes, the stream delivered {received}")


class IncompleteUpload(SizeMismatch):
    """The stream ended early or failed before the body was complete.

    ``expected`` is the announced size, or None when none was announced (the
    stream then raised part-way). The original exception, if any, is chained
    as ``__cause__``.
    """

    def __init__(self, expected: int | None, received: int, reason: str | None = None) -> None:
        if expected is None:
            message = f"upload interrupted after {received} bytes"
        else:
            message = f"upload incomplete: expected {expected} bytes, received {received}"
        if reason:
            message = f"{message}: {reason}"
        super().__init__(expected, received, message)


class ObjectNotFound(StorageError):
    """No object with this SHA-256 is stored."""

    def __init__(self, sha256: str) -> None:
        self.sha256 = sha256
        super().__init__(f"no stored object {sha256}")


class ChecksumMismatch(StorageError):
    """The digest computed while storing differs from the one the client sent."""

    def __init__(self, algorithm: str, expected: str, actual: str) -> None:
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        super().__init__(f"{algorithm} mismatch: client sent {expected}, body hashes to {actual}")


@dataclass(frozen=True)
class StoredObject:
    """Result of storing a body: its digests, its size and whether it is new.

    ``created`` is False when identical content was already stored and the
    upload was deduplicated.
    """

    sha256: str
    md5: str
    size: int
    created: bool


@runtime_checkable
class ObjectStore(Protocol):
    """What the application needs from a file store, local or remote."""

    def put_stream(
        self,
        stream: Any,
        *,
        max_size: int | None = None,
        expected_size: int | None = None,
        expected_md5: str | None = None,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        """Store everything ``stream.read(n)`` yields; see LocalObjectStore.put_stream."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored object for binary reading; raise ObjectNotFound."""
        ...

    def local_path(self, sha256: str) -> Path | None:
        """Return the object's file path for send_file, or None for remote stores."""
        ...

    def exists(self, sha256: str) -> bool:
        """Say whether an object is stored."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove a stored object; raise ObjectNotFound."""
        ...

    def iter_objects(self) -> Iterator[str]:
        """Yield the SHA-256 of every stored object."""
        ...

    def modified_at(self, sha256: str) -> float:
        """When the object was stored or last deduplicated (epoch seconds)."""
        ...

    def delete_unless_recent(self, sha256: str, older_than_seconds: float) -> bool:
        """Remove the object unless stored or deduplicated recently; say whether removed."""
        ...

    def verify(self, sha256: str) -> bool:
        """Re-hash a stored object and say whether it still matches its name."""
        ...

    def cleanup_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove stale temporary files left by a crash; return how many."""
        ...


def validate_sha256(sha256: str) -> str:
    """Return ``sha256`` if it is 64 lowercase hex digits, else raise ValueError.

    Called before any path is built from an identifier, so that a crafted
    value such as ``../../etc/passwd`` can never reach the file system.
    """
    if not isinstance(sha256, str) or not _SHA256_RE.fullmatch(sha256):
        raise ValueError(f"not a SHA-256 hex digest (64 lowercase hex digits): {sha256!r}")
    return sha256


def _normalise_digest(value: str | None, length: int, name: str) -> str | None:
    # Clients send hex in either case; base64 forms (Content-MD5, Digest) are
    # decoded by the HTTP layer, which knows which header it read.
    if value is None:
        return None
    if not isinstance(value, str) or len(value) != length or not _HEX_RE.fullmatch(value):
        raise ValueError(f"{name} must be {length} hex digits, got {value!r}")
    return value.lower()


def _check_size_argument(value: int | None, name: str) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise ValueError(f"{name} must be a non-negative integer or None, got {value!r}")


def _fsync_dir(path: Path) -> None:
    # A rename is durable only once the directory holding the new entry is
    # flushed; without this a power cut can lose a file we reported as stored.
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BodyReader:
    """One upload body, read in CHUNK_SIZE pieces with its limits enforced and its MD5 and
    SHA-256 computed in the same pass. Every store writes what :meth:`chunks` yields and
    calls :meth:`finish`; the arguments are those of ``put_stream``.

    With an announced size, exactly that much is read: on a raw socket (http.server's rfile,
    a keep-alive connection) asking for one byte more would block until the client gives up,
    and any later bytes belong to the next request anyway (RFC 9112 section 6.3). Without
    one, one byte past ``max_size`` is read: enough to know it was crossed, and no more of an
    oversized body is consumed. An announced size over ``max_size`` is refused before a byte
    is read, so the HTTP layer can answer 413 without accepting a body it would throw away.
    """

    def __init__(
        self,
        stream: Any,
        *,
        max_size: int | None,
        expected_size: int | None,
        expected_md5: str | None,
        expected_sha256: str | None,
    ) -> None:
        _check_size_argument(max_size, "max_size")
        _check_size_argument(expected_size, "expected_size")
        self.want_md5 = _normalise_digest(expected_md5, 32, "expected_md5")
        self.want_sha256 = _normalise_digest(expected_sha256, 64, "expected_sha256")
        if max_size is not None and expected_size is not None and expected_size > max_size:
            raise UploadTooLarge(max_size, 0)
        self.stream = stream
        self.max_size = max_size
        self.expected_size = expected_size
        if expected_size is not None:
            self.read_limit: int | None = expected_size
        elif max_size is not None:
            self.read_limit = max_size + 1
        else:
            self.read_limit = None
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha256 = hashlib.sha256()
        self.received = 0

    def chunks(self) -> Iterator[bytes]:
        """Yield the body chunk by chunk; any failure of ``stream.read`` is IncompleteUpload."""
        expected_size, max_size = self.expected_size, self.max_size
        while True:
            want = CHUNK_SIZE if self.read_limit is None else min(CHUNK_SIZE, self.read_limit - self.received)
            if want <= 0:
                return
            try:
                chunk = self.stream.read(want)
            except Exception as exc:
                raise IncompleteUpload(expected_size, self.received, reason=repr(exc)) from exc
            if chunk is None:
                # A non-blocking raw stream with no data yet; we have no way to wait for it,
                # so treat it as a failure.
                raise IncompleteUpload(expected_size, self.received, reason="stream returned None")
            if not chunk:
                return
            self.received += len(chunk)
            if max_size is not None and self.received > max_size:
                raise UploadTooLarge(max_size, self.received)
            if expected_size is not None and self.received > expected_size:
                # Only a stream ignoring the n of read(n) gets here.
                raise SizeMismatch(expected_size, self.received)
            self.md5.update(chunk)
            self.sha256.update(chunk)
            yield chunk

    def finish(self) -> tuple[str, str]:
        """The body's (md5, sha256) hex digests, once it was read whole and matched what the
        client announced (size, digests)."""
        if self.expected_size is not None and self.received < self.expected_size:
            raise IncompleteUpload(self.expected_size, self.received)
        md5_hex, sha256_hex = self.md5.hexdigest(), self.sha256.hexdigest()
        if self.want_md5 is not None and self.want_md5 != md5_hex:
            raise ChecksumMismatch("md5", self.want_md5, md5_hex)
        if self.want_sha256 is not None and self.want_sha256 != sha256_hex:
            raise ChecksumMismatch("sha256", self.want_sha256, sha256_hex)
        return md5_hex, sha256_hex


class LocalObjectStore:
    """Content-addressed store in a local directory.

    Layout under ``root``::

        objects/ab/cd/abcd...   one read-only file per distinct body
        tmp/upload-*.part       uploads in progress (same file system, so the
                                final os.replace is atomic)

    An object's modification time is when it was stored or last deduplicated
    (an upload of the same content refreshes it); ``delete_unless_recent``
    spares young objects, which uploads in progress may be about to reference.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.objects_dir = self.root / "objects"
        self.temp_dir = self.root / "tmp"
        self.objects_dir.mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self.root)!r})"

    def _path(self, sha256: str) -> Path:
        validate_sha256(sha256)
        return self.objects_dir / sha256[:2] / sha256[2:4] / sha256

    def put_stream(
        self,
        stream: Any,
        *,
        max_size: int | None = None,
        expected_size: int | None = None,
        expected_md5: str | None = None,
        expected_sha256: str | None = None,
    ) -> StoredObject:
        """Store the body read from ``stream`` and return its digests and size.

        ``stream`` is any object with ``read(n)`` returning bytes-like data
        (``b""`` at the end); it is read in chunks of CHUNK_SIZE and never held
        whole in memory. Short reads are fine.

        - ``max_size``: raise UploadTooLarge as soon as more bytes than this
          arrive (at most ``max_size + 1`` bytes are read), or at once if
          ``expected_size`` is already larger.
        - ``expected_size`` (e.g. Content-Length): the body is exactly that
          many bytes. Raise IncompleteUpload if the stream ends or fails
          before; never read past it (see BodyReader).
        - ``expected_md5`` / ``expected_sha256`` (hex, e.g. decoded from a
          Content-MD5 or Digest header): raise ChecksumMismatch if the body
          hashes differently.

        Any exception raised by ``stream.read`` becomes IncompleteUpload, with
        the original chained. On every failure nothing is stored and the
        temporary file is removed. Identical content already stored is not
        written again: the result then has ``created=False``.
        """
        body = BodyReader(
            stream,
            max_size=max_size,
            expected_size=expected_size,
            expected_md5=expected_md5,
            expected_sha256=expected_sha256,
        )
        fd, temp_name = tempfile.mkstemp(prefix=_TEMP_PREFIX, suffix=_TEMP_SUFFIX, dir=self.temp_dir)
        temp_path = Path(temp_name)
        placed = False
        try:
            with open(fd, "wb") as out:
                for chunk in body.chunks():
                    out.write(chunk)
                    # Let go of the chunk before the next read, so only one is alive per upload.
                    del chunk
                out.flush()
                os.fsync(out.fileno())

            md5_hex, sha256_hex = body.finish()
            received = body.received

            result = self._place(temp_path, sha256_hex, md5_hex, received)
            placed = result.created
            return result
        finally:
            if not placed:
                temp_path.unlink(missing_ok=True)

    def _place(self, temp_path: Path, sha256_hex: str, md5_hex: str, size: int) -> StoredObject:
        """Rename a hashed, fsynced file of this store's file system to its final name, or
        leave it where it is when identical content is already stored (``created=False``)."""
        final = self._path(sha256_hex)
        # Shared with other uploads, exclusive against delete_unless_recent(): an
        # object cleanup judged old cannot be taken by a deduplicated upload while
        # it is being removed.
        with self._gc_lock(shared=True):
            try:
                # Same name means same content. Refresh its age: it is about to be
                # referenced, and cleanup spares recent objects. The caller drops the
                # temporary file.
                os.utime(final)
                return StoredObject(sha256=sha256_hex, md5=md5_hex, size=size, created=False)
            except FileNotFoundError:
                pass
            self._make_fanout_dirs(final.parent)
            os.chmod(temp_path, _OBJECT_MODE)
            # Two concurrent uploads of the same body may both get here; the
            # second replace swaps in an identical file, which is harmless.
            os.replace(temp_path, final)
            _fsync_dir(final.parent)
        return StoredObject(sha256=sha256_hex, md5=md5_hex, size=size, created=True)

    def adopt_file(self, path: str | os.PathLike[str], *, sha256: str, md5: str, size: int) -> StoredObject:
        """Store a complete file that its writer already hashed and fsynced (a finished
        resumable upload), by renaming it into place: no byte is read again. ``path`` must be
        on the store's file system (under ``tmp/``); it is gone afterwards either way."""
        path = Path(path)
        validate_sha256(sha256)
        md5_hex = _normalise_digest(md5, 32, "md5")
        assert md5_hex is not None
        if path.stat().st_size != size:
            raise SizeMismatch(size, path.stat().st_size)
        try:
            return self._place(path, sha256, md5_hex, size)
        finally:
            path.unlink(missing_ok=True)

    def _make_fanout_dirs(self, leaf: Path) -> None:
        # Create objects/ab/ and objects/ab/cd/ and flush each new entry into
        # its parent, so the object's path survives a power cut too.
        for directory in (leaf.parent, leaf):
            if not directory.is_dir():
                directory.mkdir(exist_ok=True)
                _fsync_dir(directory.parent)

    @contextmanager
    def _gc_lock(self, *, shared: bool) -> Iterator[None]:
        # An flock on the objects directory itself: no lock file to leave around.
        fd = os.open(self.objects_dir, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def modified_at(self, sha256: str) -> float:
        """When the object was stored or last deduplicated (epoch seconds); ObjectNotFound."""
        try:
            return self._path(sha256).stat().st_mtime
        except FileNotFoundError:
            raise ObjectNotFound(sha256) from None

    def delete_unless_recent(self, sha256: str, older_than_seconds: float) -> bool:
        """Remove the object if it was stored (or deduplicated) more than
        ``older_than_seconds`` ago; return whether it was removed.

        The age check and the removal happen under the store's exclusive lock, so an
        upload of the same content either refreshed the age before (the object stays) or
        finds it gone after and stores it again."""
        path = self._path(sha256)
        with self._gc_lock(shared=False):
            try:
                if path.stat().st_mtime >= time.time() - older_than_seconds:
                    return False
                path.unlink()
            except FileNotFoundError:
                return False
            _fsync_dir(path.parent)
        return True

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored object for binary reading; raise ObjectNotFound if absent."""
        path = self._path(sha256)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(sha256) from None

    def local_path(self, sha256: str) -> Path:
        """Return the object's path on disk (for send_file); raise ObjectNotFound if absent."""
        path = self._path(sha256)
        if not path.is_file():
            raise ObjectNotFound(sha256)
        return path

    def exists(self, sha256: str) -> bool:
        """Say whether an object with this SHA-256 is stored."""
        return self._path(sha256).is_file()

    def delete(self, sha256: str) -> None:
        """Remove a stored object; raise ObjectNotFound if absent.

        Only for content no record references any more (discarded drafts).
        The fan-out directories are kept: removing them could race with a
        concurrent upload about to rename into them.
        """
        path = self._path(sha256)
        try:
            path.unlink()
        except FileNotFoundError:
            raise ObjectNotFound(sha256) from None
        _fsync_dir(path.parent)

    def iter_objects(self) -> Iterator[str]:
        """Yield the SHA-256 of every stored object, in sorted order.

        Stray files that do not sit where their name says are ignored.
        """
        for first in sorted(os.scandir(self.objects_dir), key=lambda e: e.name):
            if not first.is_dir(follow_symlinks=False):
                continue
            for second in sorted(os.scandir(first.path), key=lambda e: e.name):
                if not second.is_dir(follow_symlinks=False):
                    continue
                for entry in sorted(os.scandir(second.path), key=lambda e: e.name):
                    name = entry.name
                    if (
                        _SHA256_RE.fullmatch(name)
                        and name[:2] == first.name
                        and name[2:4] == second.name
                        and entry.is_file(follow_symlinks=False)
                    ):
                        yield name

    def verify(self, sha256: str) -> bool:
        """Fixity check: re-hash the stored object and compare with its name.

        Reads in CHUNK_SIZE pieces. Returns False if the content changed
        (bit rot, tampering); raises ObjectNotFound if the object is gone.
        """
        digest = hashlib.sha256()
        with self.open(sha256) as f:
            while chunk := f.read(CHUNK_SIZE):
                digest.update(chunk)
        return digest.hexdigest() == sha256

    def cleanup_temp(self, older_than_seconds: float = 3600) -> int:
        """Remove temporary upload files older than ``older_than_seconds``.

        Failed uploads clean up after themselves; these are what a killed
        process (kill -9, power cut) leaves behind. Age is the file's last
        modification, which a live upload refreshes with every chunk, so only
        uploads stalled for longer than the threshold are at risk. Returns the
        number of files removed.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        for entry in os.scandir(self.temp_dir):
            if not (entry.name.startswith(_TEMP_PREFIX) and entry.name.endswith(_TEMP_SUFFIX)):
                continue
            try:
                st = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(st.st_mode) and st.st_mtime < cutoff:
                    os.unlink(entry.path)
                    removed += 1
            except FileNotFoundError:
                # Another cleaner (or the upload itself) got there first.
                continue
        return removed


def open_store(config: Mapping[str, Any]) -> ObjectStore:
    """Build the configured store from an app config mapping.

    Reads ``STORAGE_BACKEND`` ("local", the default) and ``STORAGE_PATH``
    (required for "local"; the app sets it to ``<instance>/storage``).
    """
    backend = config.get("STORAGE_BACKEND") or "local"
    if backend == "local":
        path = config.get("STORAGE_PATH")
        if not path:
            raise ValueError("STORAGE_PATH must be set for the local storage backend")
        return LocalObjectStore(path)
    if backend == "s3":
        from app.storage_s3 import S3ObjectStore

        return S3ObjectStore.from_config(config)
    raise ValueError(f"unknown STORAGE_BACKEND {backend!r} (supported: 'local', 's3')")
