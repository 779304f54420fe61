"""Archival Information Packages (BagIt bags), their replication and their fixity audit.

The ``archive-version`` job (queued when a version is published or withdrawn) writes one bag
per published version (``<record id>-v<index>``) and one per withdrawal
(``<record id>-tombstone``) into every configured archive location (``app/archive_store.py``),
re-reads each copy and records the package, its copies and the SHA-256 of every file it holds.
A file body archived by an earlier package is not stored again: the bag's ``fetch.txt`` names
it (``file:../<package>/data/<path>``) and its manifests still list it (a "holey" bag,
RFC 8493 §2.2.3). docs/preservation.md describes the layout; ``archive_restore`` reads it back.

The bag is written by this module rather than by ``bagit.make_bag``, which changes the
process's working directory (unsafe in a threaded server) and cannot write a holey bag; the
``bagit`` library validates the bags at restore and in the tests.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.archive_store import ArchiveStore, file_digest, hash_stream, open_archive_stores
from app.db import utcnow
from app.models import (
    ArchiveCopy,
    ArchivedObject,
    ArchivePackage,
    Event,
    FixityCheck,
    OaiItem,
    Record,
    User,
)
from app.services import jobs
from app.services.documents import record_document
from curation.lifecycle import State
from exports import registry

log = logging.getLogger(__name__)

FORMAT_VERSION = "1"
#: The metadata exports written into every package (format name → file under metadata/).
METADATA_EXPORTS = {
    "datacite": "datacite.xml",
    "iso19139": "iso19139.xml",
    "iso19115-3": "iso19115-3.xml",
}
ALGORITHMS = ("sha256", "md5")


def package_name(record: Record | str, kind: str, version_index: int | None = None) -> str:
    record_id = record if isinstance(record, str) else record.id
    if kind == "tombstone":
        return f"{record_id}-tombstone"
    index = version_index if version_index is not None else record.version_index  # type: ignore[union-attr]
    return f"{record_id}-v{index}"


def enqueue_archive(session: Session, record: Record, kind: str) -> None:
    """Queue the package of a version just published (``version``) or withdrawn (``tombstone``)."""
    jobs.enqueue(session, "archive-version", {"record_id": record.id, "kind": kind})


# --- what goes into a package -------------------------------------------------------------


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: User | None) -> dict[str, Any] | None:
    return {"email": user.email, "name": user.name} if user is not None else None


def history(session: Session, record: Record) -> list[dict[str, Any]]:
    events = session.scalars(select(Event).where(Event.record_id == record.id).order_by(Event.id)).all()
    return [
        {
            "action": e.action,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "actor": _person(e.actor),
            "as_admin": e.as_admin,
            "comment": e.comment,
            "data": e.data,
            "created_at": _iso(e.created_at),
        }
        for e in events
    ]


def restore_rows(session: Session, record: Record) -> dict[str, Any]:
    """Everything restore needs to rebuild the rows of this version (metadata/restore.json)."""
    siblings = session.scalars(select(Record.id).where(Record.parent_id == record.parent_id)).all()
    items = session.scalars(
        select(OaiItem)
        .where(OaiItem.record_id.in_(siblings), OaiItem.superseded_at.is_(None))
        .order_by(OaiItem.id)
    ).all()
    first = dict(
        session.execute(
            select(OaiItem.record_id, func.min(OaiItem.datestamp))
            .where(OaiItem.record_id.in_(siblings))
            .group_by(OaiItem.record_id)
        ).all()
    )
    community = record.community
    return {
        "format": FORMAT_VERSION,
        "packaged_at": utcnow().isoformat(),
        "parent": {
            "id": record.parent.id,
            "owner": _person(session.get(User, record.parent.owner_id)),
            "created_at": _iso(record.parent.created_at),
        },
        "record": {
            "id": record.id,
            "parent_id": record.parent_id,
            "version_index": record.version_index,
            "owner": _person(record.owner),
            "community": (
                {"slug": community.slug, "title": community.title, "description": community.description}
                if community
                else None
            ),
            "state": record.state,
            "revision": record.revision,
            "metadata": record.metadata_,
            "created_at": _iso(record.created_at),
            "updated_at": _iso(record.updated_at),
            "submitted_at": _iso(record.submitted_at),
            "published_at": _iso(record.published_at),
            "publication_date": _iso(record.publication_date),
            "tombstone": record.tombstone,
        },
        "files": [
            {
                "key": f.key,
                "sha256": f.object.sha256,
                "md5": f.object.md5,
                "size": f.object.size,
                "mimetype": f.mimetype,
                "created_at": _iso(f.created_at),
            }
            for f in record.files
        ],
        "pids": [
            {
                "scheme": p.scheme,
                "value": p.value,
                "provider": p.provider,
                "status": p.status,
                "created_at": _iso(p.created_at),
            }
            for p in record.pids
        ],
        # What OAI-PMH harvesters see of every version of the dataset now (datestamps kept).
        "oai": [
            {
                "record_id": i.record_id,
                "datestamp": _iso(i.datestamp),
                "first_datestamp": _iso(first.get(i.record_id)),
                "deleted": i.deleted,
                "sets": i.sets,
            }
            for i in items
        ],
    }


def _dump(value: Any) -> bytes:
    return (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _bag_path(path: str) -> str:
    # CR and LF are percent-encoded in manifest paths (file keys cannot hold them anyway). "%" is
    # left as it is: the bagit library decodes only %0D and %0A, and it validates our bags.
    return path.replace("\r", "%0D").replace("\n", "%0A")


@dataclass
class _Hashed:
    sha256: str
    md5: str
    size: int


def _hash_file(path: Path) -> _Hashed:
    sha, md5, size = hashlib.sha256(), hashlib.md5(), 0  # noqa: S324 - BagIt manifest, not security
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            sha.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    return _Hashed(sha.hexdigest(), md5.hexdigest(), size)


def build_bag(
    session: Session, record: Record, kind: str, name: str, bag: Path, file_store: Any, base_url: str
) -> dict[str, str]:
    """Write the bag of ``record`` into the empty folder ``bag``. Returns the data files it
    stores itself, {sha256: payload path} (the others are in fetch.txt)."""
    (bag / "data").mkdir(parents=True)
    (bag / "metadata").mkdir()
    payload: dict[str, _Hashed] = {}  # payload path → hashes (present or fetched)
    fetch: list[tuple[str, int, str]] = []
    stored: dict[str, str] = {}
    if kind == "version":
        for f in record.files:
            path = f"data/{f.key}"
            earlier = session.get(ArchivedObject, f.object_sha256)
            payload[path] = _Hashed(f.object.sha256, f.object.md5, f.object.size)
            if earlier is not None and earlier.package_name != name:
                url = "file:../" + quote(f"{earlier.package_name}/{earlier.path}")
                fetch.append((url, f.object.size, path))
                continue
            target = bag / path
            target.parent.mkdir(parents=True, exist_ok=True)
            with file_store.open(f.object_sha256) as src, target.open("wb") as out:
                while chunk := src.read(1024 * 1024):
                    out.write(chunk)
            written = _hash_file(target)
            if written.sha256 != f.object_sha256:
                raise RuntimeError(f"working store object {f.object_sha256} does not match its hash")
            stored.setdefault(f.object_sha256, path)
    document = record_document(session, record, base_url)
    (bag / "metadata" / "record.json").write_bytes(_dump(document))
    (bag / "metadata" / "history.json").write_bytes(_dump(history(session, record)))
    (bag / "metadata" / "restore.json").write_bytes(_dump(restore_rows(session, record)))
    if kind == "tombstone":
        (bag / "metadata" / "tombstone.json").write_bytes(_dump(record.tombstone))
    else:
        for fmt_name, filename in METADATA_EXPORTS.items():
            body = registry.get_format(fmt_name).writer(document)
            (bag / "metadata" / filename).write_bytes(body.encode() if isinstance(body, str) else body)
    (bag / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    for alg in ALGORITHMS:
        lines = [f"{getattr(h, alg)}  {_bag_path(p)}\n" for p, h in sorted(payload.items())]
        (bag / f"manifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")
    if fetch:
        lines = [f"{url} {size} {_bag_path(path)}\n" for url, size, path in fetch]
        (bag / "fetch.txt").write_text("".join(lines), encoding="utf-8")
    pids = {p.scheme: p.value for p in record.pids}
    info = {
        "Bagging-Date": utcnow().date().isoformat(),
        "Bag-Software-Agent": "Alluvium archive-version",
        "External-Identifier": [f"{scheme}:{value}" for scheme, value in sorted(pids.items())],
        "Internal-Sender-Identifier": record.id,
        "Alluvium-Package-Kind": kind,
        "Alluvium-Parent-Id": record.parent_id,
        "Alluvium-Version-Index": str(record.version_index),
        "Alluvium-Publication-Date": _iso(record.publication_date) or "",
        "Alluvium-Published-At": _iso(record.published_at) or "",
        "Payload-Oxum": f"{sum(h.size for h in payload.values())}.{len(payload)}",
    }
    if record.tombstone:
        info["Alluvium-Withdrawn-At"] = str(record.tombstone.get("removal_date", ""))
    lines = []
    for key, values in info.items():
        for value in values if isinstance(values, list) else [values]:
            lines.append(f"{key}: {' '.join(str(value).split())}\n")
    (bag / "bag-info.txt").write_text("".join(lines), encoding="utf-8")
    tag_files = sorted(
        p.relative_to(bag).as_posix()
        for p in bag.rglob("*")
        if p.is_file() and not p.relative_to(bag).as_posix().startswith(("data/", "tagmanifest-"))
    )
    hashed = {p: _hash_file(bag / p) for p in tag_files}
    for alg in ALGORITHMS:
        lines = [f"{getattr(hashed[p], alg)}  {_bag_path(p)}\n" for p in tag_files]
        (bag / f"tagmanifest-{alg}.txt").write_text("".join(lines), encoding="utf-8")
    return stored


def bag_files(bag: Path) -> dict[str, list[Any]]:
    """{relpath: [sha256, size]} of every file in a bag folder."""
    out: dict[str, list[Any]] = {}
    for path in sorted(bag.rglob("*")):
        if path.is_file():
            h = _hash_file(path)
            out[path.relative_to(bag).as_posix()] = [h.sha256, h.size]
    return out


def write_package(
    session: Session, config: Any, file_store: Any, record_id: str, kind: str
) -> ArchivePackage | None:
    """Write (or finish writing) the package of a version or withdrawal into every archive
    location, verify each copy, and record it. Idempotent: a recorded package is left alone."""
    record = session.get(Record, record_id)
    if record is None:
        return None
    if kind == "version" and record.state not in (State.PUBLISHED, State.WITHDRAWN):
        return None
    if kind == "tombstone" and record.state != State.WITHDRAWN:
        return None
    name = package_name(record, kind)
    existing = session.scalar(select(ArchivePackage).where(ArchivePackage.name == name))
    if existing is not None:
        return existing
    stores = open_archive_stores(config)
    with tempfile.TemporaryDirectory(prefix="alluvium-bag-") as tmp:
        bag = Path(tmp) / name
        stored = build_bag(session, record, kind, name, bag, file_store, config["BASE_URL"])
        files = bag_files(bag)
        for store in stores:
            store.put_package(name, bag)
            bad = _damaged(store, name, files)
            if bad["missing"] or bad["mismatch"]:
                raise RuntimeError(f"package {name} in {store.describe()} does not read back: {bad}")
            jobs.heartbeat()
    now = utcnow()
    package = ArchivePackage(
        name=name,
        record_id=record.id,
        kind=kind,
        files=files,
        size=sum(size for _, size in files.values()),
        created_at=now,
    )
    session.add(package)
    session.flush()
    for store in stores:
        copy = ArchiveCopy(
            package_id=package.id, location=store.name, state="verified", last_checked_at=now, last_ok_at=now
        )
        session.add(copy)
        session.flush()
        session.add(
            FixityCheck(
                copy_id=copy.id,
                checked_at=now,
                result="ok",
                details={"written": True},
                bytes_read=package.size,
            )
        )
    for sha, path in stored.items():
        if session.get(ArchivedObject, sha) is None:
            session.add(ArchivedObject(sha256=sha, package_name=name, path=path))
    session.flush()
    return package


@jobs.handler("archive-version")
def _archive_job(session: Session, payload: dict[str, Any]) -> None:
    from flask import current_app

    write_package(
        session,
        current_app.config,
        current_app.extensions["alluvium.store"],
        payload["record_id"],
        payload.get("kind", "version"),
    )


# --- fixity audit ------------------------------------------------------------------------


def _damaged(store: ArchiveStore, package: str, files: dict[str, list[Any]]) -> dict[str, list[str]]:
    bad: dict[str, list[str]] = {"missing": [], "mismatch": []}
    for relpath, (sha, size) in sorted(files.items()):
        got = file_digest(store, package, relpath)
        if got is None:
            bad["missing"].append(relpath)
        elif got != (sha, size):
            bad["mismatch"].append(relpath)
    return bad


@dataclass
class AuditReport:
    checked: int = 0
    bytes_read: int = 0
    ok: int = 0
    repaired: list[tuple[str, str, list[str]]] = field(default_factory=list)
    failed: list[tuple[str, str, list[str]]] = field(default_factory=list)


def default_audit_limit(session: Session, period_days: float) -> int:
    """Copies to check per daily run so that every copy is checked within ``period_days``."""
    total = session.scalar(select(func.count()).select_from(ArchiveCopy)) or 0
    return max(1, math.ceil(total / max(period_days, 1)))


def audit(
    session: Session,
    config: Any,
    *,
    limit: int | None = None,
    max_bytes: int | None = None,
    max_seconds: float | None = None,
    progress: Callable[[Iterable[ArchiveCopy]], Iterable[ArchiveCopy]] | None = None,
) -> AuditReport:
    """Re-hash the package copies least recently checked, bounded by count, bytes and time.

    Each check is recorded (``fixity_checks``); a damaged or missing file is replaced from
    another copy whose file still matches, and the repair is recorded as an event. The caller
    commits (the CLI commits after each copy)."""
    stores = {s.name: s for s in open_archive_stores(config)}
    query = (
        select(ArchiveCopy)
        .join(ArchivePackage)
        .order_by(ArchiveCopy.last_checked_at.is_not(None), ArchiveCopy.last_checked_at, ArchiveCopy.id)
    )
    if limit is not None:
        query = query.limit(limit)
    copies = session.scalars(query).all()
    report = AuditReport()
    started = time.monotonic()
    for copy in progress(copies) if progress else copies:
        if max_seconds is not None and time.monotonic() - started >= max_seconds:
            break
        package = copy.package
        if max_bytes is not None and report.checked and report.bytes_read + package.size > max_bytes:
            break
        check_copy(session, stores, copy)
        report.checked += 1
        report.bytes_read += package.size
        last = session.scalar(
            select(FixityCheck).where(FixityCheck.copy_id == copy.id).order_by(FixityCheck.id.desc())
        )
        assert last is not None
        if last.result == "ok":
            report.ok += 1
        elif last.result == "repaired":
            report.repaired.append((package.name, copy.location, last.details.get("repaired", [])))
        else:
            report.failed.append((package.name, copy.location, last.details.get("unrepaired", [])))
        session.commit()
    return report


def check_copy(session: Session, stores: dict[str, ArchiveStore], copy: ArchiveCopy) -> FixityCheck:
    package = copy.package
    now = utcnow()
    store = stores.get(copy.location)
    files = package.files
    if store is None:
        bad = {"missing": sorted(files), "mismatch": []}
        details: dict[str, Any] = {"error": f"archive location {copy.location!r} is not configured"}
    else:
        bad = _damaged(store, package.name, files)
        details = {}
    details.update(bad)
    damaged = sorted(bad["missing"] + bad["mismatch"])
    repaired: list[str] = []
    if damaged and store is not None:
        others = [s for name, s in stores.items() if name != copy.location]
        for relpath in damaged:
            if _repair(store, others, package.name, relpath, files[relpath]):
                repaired.append(relpath)
    unrepaired = [p for p in damaged if p not in repaired]
    details["repaired"] = repaired
    details["unrepaired"] = unrepaired
    result = "ok" if not damaged else ("repaired" if not unrepaired else "failed")
    check = FixityCheck(
        copy_id=copy.id,
        checked_at=now,
        result=result,
        details=details,
        bytes_read=package.size,
    )
    session.add(check)
    copy.last_checked_at = now
    if result == "failed":
        copy.state = "failed"
        log.error("archive: package %s, copy %s damaged: %s", package.name, copy.location, details)
    else:
        copy.state = "verified"
        copy.last_ok_at = now
    if damaged:
        session.add(
            Event(
                record_id=None,
                actor_id=None,
                action="archive-repair" if result == "repaired" else "archive-damage",
                comment=f"package {package.name}, copy {copy.location}",
                data={
                    "record_id": package.record_id,
                    "package": package.name,
                    "copy": copy.location,
                    **details,
                },
            )
        )
    session.flush()
    return check


def _repair(
    store: ArchiveStore, others: list[ArchiveStore], package: str, relpath: str, expected: list[Any]
) -> bool:
    for other in others:
        if file_digest(other, package, relpath) != (expected[0], expected[1]):
            continue
        with other.open(package, relpath) as source:
            store.replace_file(package, relpath, source)
        if file_digest(store, package, relpath) == (expected[0], expected[1]):
            log.warning("archive: %s/%s repaired in %s from %s", package, relpath, store.name, other.name)
            return True
    return False


def repair_object(session: Session, config: Any, file_store: Any, sha256: str) -> str | None:
    """Put back a damaged or missing working-store object from the archive: the package file
    that first archived it, from the first location where it still matches. Returns the
    package name, or None when no archived copy matches."""
    archived = session.get(ArchivedObject, sha256)
    if archived is None:
        return None
    for store in open_archive_stores(config):
        got = file_digest(store, archived.package_name, archived.path)
        if got is None or got[0] != sha256:
            continue
        if file_store.exists(sha256):
            file_store.delete(sha256)  # the damaged body: content addressing would keep it
        with store.open(archived.package_name, archived.path) as source:
            file_store.put_stream(source, expected_sha256=sha256)
        return f"{archived.package_name} ({store.name})"
    return None


# --- status ------------------------------------------------------------------------------


def status(session: Session, config: Any) -> dict[str, Any]:
    """Counts for `alluvium archive status` (and an admin page later)."""
    locations = [s.name for s in open_archive_stores(config)]
    packages = session.scalars(select(ArchivePackage).order_by(ArchivePackage.id)).all()
    preserved = [
        p
        for p in packages
        if {c.location for c in p.copies if c.state == "verified"} >= set(locations) and len(locations) > 1
    ]
    failed = [(p.name, c.location) for p in packages for c in p.copies if c.state == "failed"]
    checks = [c.last_checked_at for p in packages for c in p.copies if c.last_checked_at]
    overdue_before = utcnow() - timedelta(days=float(config["ARCHIVE_AUDIT_PERIOD_DAYS"]))
    unarchived = session.scalar(
        select(func.count())
        .select_from(Record)
        .where(
            Record.state.in_([State.PUBLISHED, State.WITHDRAWN]),
            ~select(ArchivePackage.id)
            .where(ArchivePackage.record_id == Record.id, ArchivePackage.kind == "version")
            .exists(),
        )
    )
    return {
        "locations": [s.describe() for s in open_archive_stores(config)],
        "packages": len(packages),
        "bytes": sum(p.size for p in packages),
        "preserved": len(preserved),
        "not_preserved": [p.name for p in packages if p not in preserved],
        "failed_copies": failed,
        "oldest_check": min(checks).isoformat() if checks else None,
        "overdue_copies": sum(1 for c in checks if c < overdue_before),
        "versions_without_package": unarchived,
    }


def hash_of(store: ArchiveStore, package: str, relpath: str) -> str | None:
    got = file_digest(store, package, relpath)
    return got[0] if got else None


__all__ = [
    "audit",
    "enqueue_archive",
    "hash_stream",
    "package_name",
    "status",
    "write_package",
]
