"""Rebuild an empty database and working store from the archival packages alone.

For every package (in the order they were written): copy it out of the first archive location
whose copy is complete, fill the holes named by ``fetch.txt`` from the packages they point at,
validate the bag with the ``bagit`` library (manifests, tag manifests, Payload-Oxum), then read
``metadata/restore.json`` and ``metadata/history.json``. The last package of each version
(its tombstone, if withdrawn) gives its rows; file bodies go into the working store and are
checked against the manifests. Users and communities named in the packages are created (users
without a password: an administrator sets one, or they reset it). OAI-PMH items get back the
datestamps the packages recorded, so harvesters see the same answers.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import bagit
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.archive_store import ArchiveStore, check_package_name, check_relpath
from app.models import (
    ArchiveCopy,
    ArchivedObject,
    ArchivePackage,
    Community,
    Event,
    FileObject,
    OaiClock,
    OaiItem,
    OaiItemSet,
    PersistentIdentifier,
    Record,
    RecordFile,
    RecordParent,
    User,
)
from app.services.errors import Conflict


class RestoreError(Exception):
    """A package cannot be read back whole from any archive location."""


@dataclass
class RestoreReport:
    packages: int = 0
    versions: int = 0
    files: int = 0
    users: int = 0
    communities: int = 0
    used_replica: list[str] = field(default_factory=list)


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _copy_out(store: ArchiveStore, package: str, target: Path) -> None:
    # A bag always has its payload folder (RFC 8493 §2.1.2), even empty; an object store keeps
    # no empty folders, so it is made here.
    (target / "data").mkdir(parents=True, exist_ok=True)
    for relpath in store.list_files(package):
        dest = target / check_relpath(relpath)
        dest.parent.mkdir(parents=True, exist_ok=True)
        with store.open(package, relpath) as src, dest.open("wb") as out:
            shutil.copyfileobj(src, out, 1024 * 1024)


def _fetch_entries(bag_dir: Path) -> list[tuple[str, str]]:
    """(package, path) of each fetch.txt entry, as payload path → source."""
    fetch = bag_dir / "fetch.txt"
    if not fetch.is_file():
        return []
    out = []
    for line in fetch.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        url, _size, path = line.split(None, 2)
        parsed = urlparse(url)
        source = unquote(parsed.path)
        if parsed.scheme != "file" or not source.startswith("../"):
            raise RestoreError(f"{bag_dir.name}: fetch.txt URL {url!r} is not a reference into the archive")
        package, _, relpath = source[3:].partition("/")
        out.append((path, f"{check_package_name(package)}/{check_relpath(relpath)}"))
    return out


def materialise(stores: list[ArchiveStore], package: str, target: Path) -> str:
    """Copy a package out whole (holes filled) and validate it; returns the location used."""
    problems = []
    for store in stores:
        if not store.has_package(package):
            problems.append(f"{store.name}: missing")
            continue
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        try:
            _copy_out(store, package, target)
            (target / "data").mkdir(exist_ok=True)  # an empty payload (tombstone) has no file there
            for path, source in _fetch_entries(target):
                src_package, _, src_path = source.partition("/")
                dest = target / check_relpath(path)
                dest.parent.mkdir(parents=True, exist_ok=True)
                for candidate in [store] + [s for s in stores if s is not store]:
                    try:
                        with candidate.open(src_package, src_path) as src, dest.open("wb") as out:
                            shutil.copyfileobj(src, out, 1024 * 1024)
                        break
                    except FileNotFoundError:
                        continue
            bagit.Bag(str(target)).validate()
            return store.name
        except (bagit.BagError, FileNotFoundError, RestoreError) as exc:
            problems.append(f"{store.name}: {exc}")
            continue
    raise RestoreError(f"package {package} cannot be restored: {'; '.join(problems)}")


def database_is_empty(session: Session) -> bool:
    return not any(
        session.scalar(select(func.count()).select_from(model))
        for model in (Record, RecordParent, FileObject)
    )


def restore(
    session: Session,
    stores: list[ArchiveStore],
    file_store: Any,
    base_url: str,
    *,
    progress: Callable[[str], None] | None = None,
) -> RestoreReport:
    """Rebuild every archived version into an empty database (committed at the end, so a
    failure leaves the database empty) and the working store."""
    if not database_is_empty(session):
        raise Conflict("restore needs an empty database: it already holds records or files")
    names = sorted({name for store in stores for name in store.list_packages()})
    report = RestoreReport()
    latest: dict[str, tuple[str, dict[str, Any], list[dict[str, Any]]]] = {}
    parents: dict[str, list[dict[str, Any]]] = {}
    bodies: dict[str, Path] = {}  # sha256 -> a copy of the body (restore's temporary folder)
    holders: dict[str, tuple[str, str]] = {}  # sha256 -> (package, payload path) storing it
    packaged: list[tuple[str, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory(prefix="alluvium-restore-") as tmp:
        for name in names:
            bag_dir = Path(tmp) / name
            used = materialise(stores, name, bag_dir)
            if used != stores[0].name:
                report.used_replica.append(name)
            rows = json.loads((bag_dir / "metadata" / "restore.json").read_text(encoding="utf-8"))
            events = json.loads((bag_dir / "metadata" / "history.json").read_text(encoding="utf-8"))
            kind = "tombstone" if name.endswith("-tombstone") else "version"
            packaged.append((rows["packaged_at"], name, {"kind": kind, "rows": rows, "dir": bag_dir}))
            fetched = {path for path, _ in _fetch_entries(bag_dir)}
            for f in rows["files"]:
                path = f"data/{f['key']}"
                if (bag_dir / path).is_file():
                    bodies.setdefault(f["sha256"], bag_dir / path)
                    if path not in fetched:
                        holders.setdefault(f["sha256"], (name, path))
            rid = rows["record"]["id"]
            if rid not in latest or latest[rid][1]["packaged_at"] < rows["packaged_at"]:
                latest[rid] = (name, rows, events)
            parents.setdefault(rows["record"]["parent_id"], []).append(rows)
            report.packages += 1
            if progress:
                progress(name)

        users: dict[str, User] = {}
        communities: dict[str, Community] = {}

        def user(person: dict[str, Any] | None) -> User | None:
            if person is None:
                return None
            email = person["email"]
            if email not in users:
                found = session.scalar(select(User).where(User.email == email))
                if found is None:
                    found = User(email=email, name=person.get("name") or "", password_hash=None)
                    session.add(found)
                    session.flush()
                    report.users += 1
                users[email] = found
            return users[email]

        def community(data: dict[str, Any] | None) -> Community | None:
            if data is None:
                return None
            slug = data["slug"]
            if slug not in communities:
                found = session.scalar(select(Community).where(Community.slug == slug))
                if found is None:
                    found = Community(slug=slug, title=data["title"], description=data.get("description", ""))
                    session.add(found)
                    session.flush()
                    report.communities += 1
                communities[slug] = found
            return communities[slug]

        # Parents, then versions in the order they were first published.
        ordered = sorted(
            latest.values(), key=lambda v: (v[1]["record"]["published_at"] or "", v[1]["record"]["id"])
        )
        for _, rows, _ in ordered:
            p = rows["parent"]
            if session.get(RecordParent, p["id"]) is None:
                owner = user(p["owner"])
                assert owner is not None
                session.add(RecordParent(id=p["id"], owner_id=owner.id, created_at=_dt(p["created_at"])))
        session.flush()
        for _, rows, _ in ordered:
            for f in rows["files"]:
                if f["sha256"] not in bodies:
                    raise RestoreError(f"{rows['record']['id']}: no package holds the body of {f['key']!r}")
        # Objects are named by their content: one already in the store (an interrupted restore
        # run again) is the same body, and storing it again is a no-op.
        for sha, path in bodies.items():
            with path.open("rb") as stream:
                stored = file_store.put_stream(stream, expected_sha256=sha)
            if stored.sha256 != sha:
                raise RestoreError(f"file {sha} does not match its manifest")
        for _, rows, events in ordered:
            r = rows["record"]
            owner = user(r["owner"])
            assert owner is not None
            record = Record(
                id=r["id"],
                parent_id=r["parent_id"],
                version_index=r["version_index"],
                owner_id=owner.id,
                community=community(r["community"]),
                state=r["state"],
                metadata_=r["metadata"],
                created_at=_dt(r["created_at"]),
                updated_at=_dt(r["updated_at"]),
                submitted_at=_dt(r["submitted_at"]),
                published_at=_dt(r["published_at"]),
                publication_date=_date(r["publication_date"]),
                tombstone=r["tombstone"],
            )
            for f in rows["files"]:
                if session.get(FileObject, f["sha256"]) is None:
                    session.add(FileObject(sha256=f["sha256"], md5=f["md5"], size=f["size"]))
                    session.flush()
                record.files.append(
                    RecordFile(
                        key=f["key"],
                        object_sha256=f["sha256"],
                        mimetype=f["mimetype"],
                        created_at=_dt(f["created_at"]),
                    )
                )
                report.files += 1
            for p in rows["pids"]:
                record.pids.append(
                    PersistentIdentifier(
                        scheme=p["scheme"],
                        value=p["value"],
                        provider=p["provider"],
                        status=p["status"],
                        created_at=_dt(p["created_at"]),
                    )
                )
            session.add(record)
            session.flush()
            for e in events:
                actor = user(e["actor"])
                session.add(
                    Event(
                        record_id=record.id,
                        actor_id=actor.id if actor else None,
                        action=e["action"],
                        from_state=e["from_state"],
                        to_state=e["to_state"],
                        comment=e["comment"],
                        as_admin=e["as_admin"],
                        data=e["data"],
                        created_at=_dt(e["created_at"]),
                    )
                )
            report.versions += 1
        session.flush()
        # The restored rows must not look edited now: put back the recorded update times and
        # revisions (the ORM sets both itself on insert).
        for _, rows, _ in ordered:
            r = rows["record"]
            session.execute(
                update(Record)
                .where(Record.id == r["id"])
                .values(updated_at=_dt(r["updated_at"]), revision=r["revision"])
            )
        _restore_oai(session, parents, base_url)
        _register_packages(session, stores, packaged, holders)
        session.commit()
    return report


def _restore_oai(session: Session, parents: dict[str, list[dict[str, Any]]], base_url: str) -> None:
    """Write OAI items as they are now computed, dated as the newest package of each dataset says."""
    from app.oai.items import sync_parent

    stamps: dict[str, datetime] = {}
    firsts: dict[str, datetime] = {}
    for versions in parents.values():
        newest = max(versions, key=lambda rows: rows["packaged_at"])
        for item in newest["oai"]:
            stamps[item["record_id"]] = _dt(item["datestamp"])  # type: ignore[assignment]
            if item.get("first_datestamp"):
                firsts[item["record_id"]] = _dt(item["first_datestamp"])  # type: ignore[assignment]
    for parent_id in sorted(parents):
        sync_parent(session, parent_id, base_url)
    session.flush()
    last = None
    for item in session.scalars(select(OaiItem).where(OaiItem.superseded_at.is_(None))).all():
        stamp = stamps.get(item.record_id)
        if stamp is None:
            continue
        item.datestamp = stamp
        session.execute(update(OaiItemSet).where(OaiItemSet.item_id == item.id).values(datestamp=stamp))
        last = stamp if last is None or stamp > last else last
        first = firsts.get(item.record_id)
        if first is not None and first < stamp:
            # The version's first OAI state (its publication), superseded by the current one: the
            # repository's earliestDatestamp and harvests "until" a past date stay as they were.
            earlier = OaiItem(
                record_id=item.record_id,
                datestamp=first,
                superseded_at=stamp,
                deleted=False,
                sets=item.sets,
                fingerprint=item.fingerprint,
            )
            session.add(earlier)
            session.flush()
            for spec in item.sets:
                session.add(OaiItemSet(item_id=earlier.id, set_spec=spec, datestamp=first))
    if last is not None:
        session.execute(update(OaiClock).where(OaiClock.id == 1).values(last=last))
    session.flush()


def _register_packages(
    session: Session,
    stores: list[ArchiveStore],
    packaged: list[tuple[str, str, dict[str, Any]]],
    holders: dict[str, tuple[str, str]],
) -> None:
    """Record the packages and their copies again, so the audit carries on after a restore."""
    from app.services.archive import bag_files

    for _, name, info in sorted(packaged):
        if session.scalar(select(ArchivePackage).where(ArchivePackage.name == name)) is not None:
            continue
        bag_dir: Path = info["dir"]
        fetched = {path for path, _ in _fetch_entries(bag_dir)}
        files = {k: v for k, v in bag_files(bag_dir).items() if k not in fetched}
        package = ArchivePackage(
            name=name,
            record_id=info["rows"]["record"]["id"],
            kind=info["kind"],
            files=files,
            size=sum(size for _, size in files.values()),
            created_at=_dt(info["rows"]["packaged_at"]),
        )
        session.add(package)
        session.flush()
        for store in stores:
            # Never checked yet: the next audit takes these first and marks them verified.
            session.add(
                ArchiveCopy(
                    package_id=package.id, location=store.name, state="unchecked", last_checked_at=None
                )
            )
    for sha, (name, payload_path) in holders.items():
        if session.get(ArchivedObject, sha) is None:
            session.add(ArchivedObject(sha256=sha, package_name=name, path=payload_path))
    session.flush()
