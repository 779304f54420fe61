"""Archive stores: where Archival Information Packages (BagIt bags) are kept.

Separate from the working file store (``app/storage.py``). A package is a folder of files named
by paths relative to the package (``bagit.txt``, ``data/…``, ``metadata/…``, manifests); a
store holds packages side by side, so a ``fetch.txt`` URL ``../<package>/data/<path>`` names a
file of another package in the same store. Nothing in a store is ever deleted: a package is
written once (a rewrite of the same package after a crashed attempt replaces it whole), and a
file is only replaced by the fixity audit repairing it from another copy.

``ArchiveStore`` is the interface; :class:`LocalArchiveStore` implements it on a folder. An
S3-compatible implementation keeps the same paths as object keys under a prefix (see
docs/preservation.md).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Protocol

CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """A package or package file is missing or cannot be written."""


def check_relpath(relpath: str) -> str:
    """A package-relative path: no absolute path, no ``..``, no empty segment."""
    path = PurePosixPath(relpath)
    if path.is_absolute() or not path.parts or any(p in ("", ".", "..") for p in path.parts):
        raise ArchiveError(f"not a package-relative path: {relpath!r}")
    return str(path)


def check_package_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ArchiveError(f"not a package name: {name!r}")
    return name


class ArchiveStore(Protocol):
    """Where packages live. ``name`` says which location it is (``primary``, ``replica``)."""

    name: str

    def put_package(self, package: str, source: Path) -> None:
        """Store the folder ``source`` as ``package``, replacing any earlier partial copy whole."""

    def has_package(self, package: str) -> bool: ...

    def list_packages(self) -> list[str]: ...

    def list_files(self, package: str) -> list[str]:
        """Every file of the package, as package-relative paths."""

    def open(self, package: str, relpath: str) -> BinaryIO:
        """Read one file; raises FileNotFoundError when it is missing."""

    def replace_file(self, package: str, relpath: str, source: BinaryIO) -> None:
        """Write one file of an existing package atomically (repair from another copy)."""

    def describe(self) -> str: ...


def hash_stream(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def file_digest(store: ArchiveStore, package: str, relpath: str) -> tuple[str, int] | None:
    """SHA-256 and size of a package file, or None when it is missing."""
    try:
        with store.open(package, relpath) as stream:
            return hash_stream(stream)
    except FileNotFoundError:
        return None


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalArchiveStore:
    """Packages as folders under ``root``: ``root/<package>/<relpath>``.

    A package is copied into ``root/.tmp-<random>/`` (each file fsynced), then renamed into place;
    an earlier partial copy of the same package is moved aside first and removed after the
    rename, so readers see either no package or a complete one.
    """

    def __init__(self, root: str | os.PathLike[str], name: str = "primary") -> None:
        self.root = Path(root)
        self.name = name

    def __repr__(self) -> str:
        return f"LocalArchiveStore({str(self.root)!r}, {self.name!r})"

    def describe(self) -> str:
        return f"{self.name}: folder {self.root}"

    def _dir(self, package: str) -> Path:
        return self.root / check_package_name(package)

    def _file(self, package: str, relpath: str) -> Path:
        return self._dir(package) / check_relpath(relpath)

    def put_package(self, package: str, source: Path) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        target = self._dir(package)
        temp = self.root / f".tmp-{uuid.uuid4().hex}"
        for path in sorted(source.rglob("*")):
            dest = temp / path.relative_to(source)
            if path.is_dir():
                dest.mkdir(parents=True, exist_ok=True)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            with path.open("rb") as src, dest.open("wb") as out:
                shutil.copyfileobj(src, out, CHUNK)
                out.flush()
                os.fsync(out.fileno())
        temp.mkdir(parents=True, exist_ok=True)  # an empty package still has its folder
        old = None
        if target.exists():
            old = self.root / f".old-{uuid.uuid4().hex}"
            target.rename(old)
        temp.rename(target)
        _fsync_dir(self.root)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def has_package(self, package: str) -> bool:
        return (self._dir(package) / "bagit.txt").is_file()

    def list_packages(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir() and not p.name.startswith("."))

    def list_files(self, package: str) -> list[str]:
        base = self._dir(package)
        if not base.is_dir():
            return []
        return sorted(str(p.relative_to(base).as_posix()) for p in base.rglob("*") if p.is_file())

    def open(self, package: str, relpath: str) -> BinaryIO:
        return self._file(package, relpath).open("rb")

    def local_path(self, package: str) -> Path:
        return self._dir(package)

    def replace_file(self, package: str, relpath: str, source: BinaryIO) -> None:
        target = self._file(package, relpath)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f".tmp-{uuid.uuid4().hex}"
        with temp.open("wb") as out:
            shutil.copyfileobj(source, out, CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
        _fsync_dir(target.parent)


def open_archive_stores(config: Mapping[str, Any]) -> list[ArchiveStore]:
    """The configured archive locations: the primary one, then the replica if configured."""
    backend = config.get("ARCHIVE_BACKEND", "local")
    if backend != "local":
        raise ValueError(f"ARCHIVE_BACKEND {backend!r} is not supported (only 'local' for now)")
    stores: list[ArchiveStore] = [LocalArchiveStore(str(config.get("ARCHIVE_PATH") or "archive"), "primary")]
    replica = config.get("ARCHIVE_REPLICA_PATH") or ""
    if replica:
        stores.append(LocalArchiveStore(str(replica), "replica"))
    return stores
