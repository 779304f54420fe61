"""Archive stores: where Archival Information Packages (BagIt bags) are kept.

Separate from the working file store (``app/storage.py``). A package is a folder of files named
by paths relative to the package (``bagit.txt``, ``data/…``, ``metadata/…``, manifests); a
store holds packages side by side, so a ``fetch.txt`` URL ``../<package>/data/<path>`` names a
file of another package in the same store. Nothing in a store is ever deleted: a package is
written once (a rewrite of the same package after a crashed attempt replaces it whole), and a
file is only replaced by the fixity audit repairing it from another copy.

``ArchiveStore`` is the interface; :class:`LocalArchiveStore` implements it on a folder,
:class:`S3ArchiveStore` on an S3-compatible bucket with the same paths as object keys under a
prefix (see docs/preservation.md).
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


class _Body:
    """An S3 object body as a closable binary stream (``with store.open(...) as f``)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        return self._body.read() if size is None or size < 0 else self._body.read(size)

    def close(self) -> None:
        self._body.close()

    def __enter__(self) -> _Body:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class S3ArchiveStore:
    """Packages as objects in an S3-compatible bucket: ``<prefix><package>/<relpath>``.

    S3 has no rename, so a package is made visible by its ``bagit.txt``, written last
    (:meth:`has_package` looks for it): a rewrite first deletes ``bagit.txt`` (the package reads as
    absent), uploads every file (each with its Content-MD5, checked by the server), deletes the
    keys of an earlier partial copy that the new one does not have, and writes ``bagit.txt``.
    A file is replaced by a single PUT, which S3 makes atomic. Credentials and endpoint are the
    ``S3_*`` settings of the file store; the bucket and prefix are the archive's own.
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "", name: str = "primary") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.name = name

    @classmethod
    def from_config(cls, config: Mapping[str, Any], bucket: str, prefix: str, name: str) -> S3ArchiveStore:
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region_name=config.get("S3_REGION") or None,
            aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
            aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
            config=Config(signature_version="s3v4", retries={"max_attempts": 5, "mode": "standard"}),
        )
        return cls(client, bucket, prefix, name)

    def __repr__(self) -> str:
        return f"S3ArchiveStore({self.bucket!r}, {self.prefix!r}, {self.name!r})"

    def describe(self) -> str:
        return f"{self.name}: s3://{self.bucket}/{self.prefix}"

    def _key(self, package: str, relpath: str) -> str:
        return f"{self.prefix}{check_package_name(package)}/{check_relpath(relpath)}"

    def _keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys.extend(obj["Key"] for obj in page.get("Contents", []))
        return keys

    def _put(self, key: str, source: BinaryIO) -> None:
        import base64

        # Package files are read whole for the Content-MD5: bags are written from the working
        # store one file at a time, and S3 checks the body against it.
        data = source.read()
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentMD5=md5)
        except Exception as exc:  # botocore errors: one archive error for the caller
            raise ArchiveError(f"cannot write s3://{self.bucket}/{key}: {exc}") from exc

    def put_package(self, package: str, source: Path) -> None:
        base = f"{self.prefix}{check_package_name(package)}/"
        marker = base + "bagit.txt"
        before = set(self._keys(base))
        if marker in before:
            self.client.delete_object(Bucket=self.bucket, Key=marker)
        written: set[str] = set()
        files = sorted(p for p in source.rglob("*") if p.is_file())
        for path in files:
            rel = path.relative_to(source).as_posix()
            if rel == "bagit.txt":
                continue
            key = self._key(package, rel)
            with path.open("rb") as src:
                self._put(key, src)
            written.add(key)
        for stale in sorted(before - written - {marker}):
            self.client.delete_object(Bucket=self.bucket, Key=stale)
        bagit_txt = source / "bagit.txt"
        if bagit_txt.is_file():
            with bagit_txt.open("rb") as src:
                self._put(marker, src)

    def has_package(self, package: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(package, "bagit.txt"))
        except Exception as exc:
            if _s3_missing(exc):
                return False
            raise
        return True

    def list_packages(self) -> list[str]:
        names: set[str] = set()
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.add(common["Prefix"][len(self.prefix) :].rstrip("/"))
        return sorted(n for n in names if n and not n.startswith("."))

    def list_files(self, package: str) -> list[str]:
        base = f"{self.prefix}{check_package_name(package)}/"
        return sorted(k[len(base) :] for k in self._keys(base))

    def open(self, package: str, relpath: str) -> BinaryIO:
        key = self._key(package, relpath)
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
        except Exception as exc:
            if _s3_missing(exc):
                raise FileNotFoundError(f"s3://{self.bucket}/{key}") from None
            raise
        return _Body(answer["Body"])  # type: ignore[return-value]

    def replace_file(self, package: str, relpath: str, source: BinaryIO) -> None:
        self._put(self._key(package, relpath), source)


def _s3_missing(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def open_archive_stores(config: Mapping[str, Any]) -> list[ArchiveStore]:
    """The configured archive locations: the primary one, then the replica if configured.

    Primary: ``ARCHIVE_BACKEND`` ``local`` (folder ``ARCHIVE_PATH``) or ``s3`` (bucket
    ``ARCHIVE_S3_BUCKET`` under ``ARCHIVE_S3_PREFIX``). Replica: bucket
    ``ARCHIVE_REPLICA_S3_BUCKET`` (prefix ``ARCHIVE_REPLICA_S3_PREFIX``) if set, else folder
    ``ARCHIVE_REPLICA_PATH`` if set."""
    backend = config.get("ARCHIVE_BACKEND", "local")
    stores: list[ArchiveStore]
    if backend == "local":
        stores = [LocalArchiveStore(str(config.get("ARCHIVE_PATH") or "archive"), "primary")]
    elif backend == "s3":
        bucket = str(config.get("ARCHIVE_S3_BUCKET") or "")
        if not bucket:
            raise ValueError("ARCHIVE_BACKEND=s3 needs ARCHIVE_S3_BUCKET")
        stores = [
            S3ArchiveStore.from_config(config, bucket, str(config.get("ARCHIVE_S3_PREFIX") or ""), "primary")
        ]
    else:
        raise ValueError(f"ARCHIVE_BACKEND {backend!r} is not supported ('local' or 's3')")
    replica_bucket = str(config.get("ARCHIVE_REPLICA_S3_BUCKET") or "")
    replica = config.get("ARCHIVE_REPLICA_PATH") or ""
    if replica_bucket:
        stores.append(
            S3ArchiveStore.from_config(
                config, replica_bucket, str(config.get("ARCHIVE_REPLICA_S3_PREFIX") or ""), "replica"
            )
        )
    elif replica:
        stores.append(LocalArchiveStore(str(replica), "replica"))
    return stores
