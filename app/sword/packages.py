"""Reading deposited packages (SimpleZip, BagIt, Binary) without trusting them.

Everything is checked before any file is stored: entry names (zip-slip, absolute paths,
backslashes, the file-key rules of ``app.services.files.check_key``), symlinks, encrypted
entries, duplicate names, the number of files, the size of each file and of all of them
unpacked, and the compression ratio (zip bombs). A BagIt bag is then extracted to a private
temporary folder and validated with ``bagit`` (manifests, Payload-Oxum); ``fetch.txt`` is
refused (we never download what a package points at).
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from app.services.errors import InvalidInput, PayloadTooLarge, ServiceError
from app.services.files import check_key
from schemas import FieldError


@dataclass(frozen=True)
class Limits:
    max_file_size: int
    max_files: int
    max_unpacked: int
    max_ratio: int


@dataclass
class PackageFile:
    key: str
    size: int
    open: Any  # () -> binary stream


@dataclass
class Package:
    files: list[PackageFile]
    metadata_xml: bytes | None = None
    metadata_name: str | None = None
    notes: list[str] = field(default_factory=list)


def refuse(message: str, detail: str, field_name: str = "/package") -> InvalidInput:
    return InvalidInput(message, [FieldError(field_name, [detail])])


def _check_name(name: str) -> None:
    """Names a zip may not carry, whatever prefix is later stripped."""
    if "\\" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise refuse("unsafe path in the package", f"{name!r}: absolute paths and backslashes are refused")
    if any(p == ".." for p in name.split("/")):
        raise refuse("unsafe path in the package", f"{name!r}: '..' (zip-slip) is refused")


def _members(zf: zipfile.ZipFile, limits: Limits) -> list[zipfile.ZipInfo]:
    """Every regular file of the zip, after the checks that need only the central directory."""
    files: list[zipfile.ZipInfo] = []
    seen: set[str] = set()
    total = 0
    for info in zf.infolist():
        _check_name(info.filename)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise refuse("symbolic link in the package", f"{info.filename!r} is a symbolic link")
        if info.flag_bits & 0x1:
            raise refuse("encrypted entry in the package", f"{info.filename!r} is encrypted")
        normalised = unicodedata.normalize("NFC", info.filename.rstrip("/"))
        if normalised in seen:
            raise refuse("duplicate name in the package", f"{info.filename!r} appears more than once")
        seen.add(normalised)
        if info.is_dir():
            continue
        _keyed(normalised)  # the file-key rules (control, bidi, zero-width characters…)
        if info.file_size > limits.max_file_size:
            raise PayloadTooLarge(
                f"{info.filename!r} is {info.file_size} bytes unpacked; the limit is {limits.max_file_size}"
            )
        total += info.file_size
        if total > limits.max_unpacked:
            raise PayloadTooLarge(f"the package unpacks to more than {limits.max_unpacked} bytes (the limit)")
        # A zip bomb: a tiny compressed entry that inflates enormously. Small files are exempt
        # (a 1 KiB run of zeros compresses 100:1 legitimately and costs nothing).
        if info.file_size > 1024 * 1024 and info.file_size > limits.max_ratio * max(info.compress_size, 1):
            raise refuse(
                "compression ratio too high (zip bomb?)",
                f"{info.filename!r} inflates {info.file_size // max(info.compress_size, 1)}:1; "
                f"the limit is {limits.max_ratio}:1",
            )
        files.append(info)
    if len(files) > limits.max_files:
        raise refuse(
            "too many files in the package", f"{len(files)} files; a record may carry {limits.max_files}"
        )
    return files


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise refuse("the package is not a zip file", str(exc)) from None


class _Bounded:
    """Reads at most ``limit`` bytes from a zip member (whatever its header claims) and fails
    loudly beyond it, so a forged size cannot make an entry inflate past its checked size."""

    def __init__(self, stream: IO[bytes], limit: int, name: str) -> None:
        self._stream, self._left, self._name = stream, limit, name

    def close(self) -> None:
        self._stream.close()

    def read(self, n: int = -1) -> bytes:
        try:
            chunk = self._stream.read(n if n >= 0 else self._left + 1)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise refuse(f"corrupt entry {self._name!r} in the package", f"{self._name!r}: {exc}") from None
        self._left -= len(chunk)
        if self._left < 0:
            raise refuse(
                f"corrupt entry {self._name!r} in the package",
                f"{self._name!r} is larger than its header says",
            )
        return chunk


def _keyed(name: str) -> str:
    try:
        return check_key(name)
    except ServiceError as exc:
        detail = "; ".join(m for e in exc.errors for m in e.messages) or exc.message
        raise refuse("invalid file name in the package", detail) from None


@contextmanager
def read_simple_zip(path: Path, limits: Limits) -> Iterator[Package]:
    """Dataverse's SimpleZip: every file of the zip becomes a file of the record, under its path."""
    with _open_zip(path) as zf:
        members = _members(zf, limits)
        yield Package(
            [
                PackageFile(
                    _keyed(m.filename),
                    m.file_size,
                    (lambda m=m: _Bounded(zf.open(m), m.file_size, m.filename)),
                )
                for m in members
            ]
        )


@contextmanager
def read_bag(path: Path, limits: Limits) -> Iterator[Package]:
    """A zipped BagIt bag (at the root of the zip or in its single top folder): validated with
    ``bagit``; ``data/`` holds the files, ``metadata/`` may hold one DataCite or ISO XML record."""

    with _open_zip(path) as zf:
        members = _members(zf, limits)
        yield from _bag_from_zip(zf, members)


def _bag_from_zip(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> Iterator[Package]:
    import bagit

    names = [m.filename for m in members]
    prefix = ""
    if "bagit.txt" not in names:
        tops = {n.split("/", 1)[0] for n in names}
        if len(tops) == 1 and f"{next(iter(tops))}/bagit.txt" in names:
            prefix = next(iter(tops)) + "/"
        else:
            raise refuse("not a BagIt bag", "no bagit.txt at the root of the zip or of its single top folder")
    with tempfile.TemporaryDirectory(prefix="alluvium-bag-") as tmp:
        root = Path(tmp) / "bag"
        root.mkdir()
        for m in members:
            relative = m.filename[len(prefix) :]
            if not m.filename.startswith(prefix) or not relative:
                raise refuse("not a BagIt bag", f"{m.filename!r} is outside the bag folder")
            target = root / relative
            if root.resolve() not in target.resolve().parents:  # belt and braces after _check_name
                raise refuse("unsafe path in the package", f"{m.filename!r} leaves the bag")
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(m) as src, open(target, "wb") as dst:
                shutil.copyfileobj(_Bounded(src, m.file_size, m.filename), dst, 1024 * 1024)
        fetch = root / "fetch.txt"
        if fetch.exists() and fetch.read_text(errors="replace").strip():
            raise refuse("BagIt fetch.txt is not supported", "send every payload file inside the bag")
        try:
            bag = bagit.Bag(str(root))
            bag.validate(processes=1)
        except bagit.BagError as exc:
            detail = str(exc)
            details = getattr(exc, "details", None) or []
            if details:
                detail += ": " + "; ".join(str(d) for d in details[:10])
            raise refuse("the BagIt bag is invalid", detail) from None
        package = Package([])
        for m in members:
            relative = m.filename[len(prefix) :]
            if relative.startswith("data/"):
                key = _keyed(relative[len("data/") :])
                local = root / relative
                package.files.append(PackageFile(key, m.file_size, lambda local=local: open(local, "rb")))
        xml = (
            sorted(p for p in (root / "metadata").glob("*.xml") if p.is_file())
            if (root / "metadata").is_dir()
            else []
        )
        if len(xml) > 1:
            raise refuse(
                "more than one metadata record in the bag",
                f"metadata/ holds {', '.join(p.name for p in xml)}; send one DataCite or ISO XML file",
            )
        if xml:
            package.metadata_xml = xml[0].read_bytes()
            package.metadata_name = "metadata/" + xml[0].name
        yield package


def read_binary(path: Path, filename: str | None, size: int) -> Package:
    """A single file (``Packaging: …/Binary``): its name comes from Content-Disposition."""
    if not filename:
        raise refuse(
            "no file name",
            "send Content-Disposition: attachment; filename=<name>",
            "/Content-Disposition",
        )
    key = _keyed(filename)
    return Package([PackageFile(key, size, lambda: open(path, "rb"))])
