"""Resumable uploads (tus 1.0): create, append, finish, terminate, expire; and the size quotas
shared with the single-``PUT`` upload.

An upload is an ``uploads`` row (offset, length, key, owner, record, expiry) and a partial file
``<uploads dir>/<id>.part``. It is never part of a draft: only when its last byte is stored does
:func:`append` hand the file to the same path as a ``PUT`` (``files.attach`` under the record
lock, events, extraction job), content-addressed exactly like it.

**Hash state.** MD5 and SHA-256 are computed as the bytes arrive, in one pass. ``hashlib``
objects cannot be saved, so the state of each open upload is kept in this process (a small
dict: two hash objects and the offset they cover). A ``PATCH`` served by a process whose state
covers exactly the stored offset re-reads nothing. After a server restart, or when the previous
``PATCH`` went to another process, the state is rebuilt by reading the partial file once
(sequentially, 1 MiB at a time): that is the bounded cost of a resume after a restart, never
paid on an ordinary resume after a network cut.

**No transaction while a body streams.** Each step opens its own short transaction: check and
end it, stream into the partial file (under an ``flock`` on it, so two ``PATCH`` requests on
one upload cannot interleave: the second gets 423), then a conditional ``UPDATE … WHERE offset
= <old offset>``.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import FileObject, Record, RecordFile, Upload
from app.services import files as files_svc
from app.services.errors import (
    Conflict,
    Gone,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    field_error,
)
from app.storage import CHUNK_SIZE, ObjectStore, StoredObject
from curation import Actor, State

#: Checksum algorithms of the tus checksum extension we accept in ``Upload-Checksum``.
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "md5": hashlib.md5, "sha256": hashlib.sha256}
#: Records whose files count against a user's quota: everything not yet published or closed.
_CLOSED_STATES = (State.PUBLISHED.value, State.WITHDRAWN.value, State.REJECTED.value)


class Locked(ServiceError):
    """Another request is appending to this upload."""

    status = 423


class UnsupportedMediaType(ServiceError):
    status = 415


class ChecksumFailed(ServiceError):
    """tus checksum extension: the ``PATCH`` body does not match ``Upload-Checksum``."""

    status = 460


# ---------------------------------------------------------------------------------------------
# Quotas (tus creation and single PUT)


@dataclass(frozen=True)
class Room:
    """The most bytes a new file may have, and the setting that imposes it."""

    limit: int
    name: str
    description: str


def room(
    session: Session,
    record: Record,
    owner_id: int,
    key: str,
    config: Any,
    *,
    exclude_upload: str | None = None,
) -> list[Room]:
    """How large a file ``key`` of ``record`` may be under the upload size limit, the per-draft
    quota and the per-user quota (0 disables a quota), in that order. A file replacing ``key``
    frees its old size; uploads in progress count with their announced length."""
    now = utcnow()
    rooms = [Room(config["MAX_FILE_SIZE"], "MAX_FILE_SIZE", "the upload size limit")]
    replaced = next((f.object.size for f in record.files if f.key == key), 0)
    open_uploads = select(func.coalesce(func.sum(Upload.length), 0)).where(
        Upload.state == "open", Upload.expires_at > now
    )
    if config["MAX_DRAFT_SIZE"]:
        used = int(files_svc.total_size(session, record)) - replaced
        # int(): PostgreSQL's SUM over BIGINT is NUMERIC (a Decimal in Python).
        used += int(session.scalar(open_uploads.where(Upload.record_id == record.id)) or 0)
        rooms.append(Room(max(0, config["MAX_DRAFT_SIZE"] - used), "MAX_DRAFT_SIZE", "the per-draft quota"))
    if config["MAX_USER_UPLOAD_SIZE"]:
        used = (
            int(
                session.scalar(
                    select(func.coalesce(func.sum(FileObject.size), 0))
                    .join(RecordFile, RecordFile.object_sha256 == FileObject.sha256)
                    .join(Record, Record.id == RecordFile.record_id)
                    .where(Record.owner_id == owner_id, Record.state.not_in(_CLOSED_STATES))
                )
                or 0
            )
            - replaced
        )
        used += int(session.scalar(open_uploads.where(Upload.owner_id == owner_id)) or 0)
        rooms.append(
            Room(max(0, config["MAX_USER_UPLOAD_SIZE"] - used), "MAX_USER_UPLOAD_SIZE", "the per-user quota")
        )
    return rooms


def check_room(size: int | None, rooms: list[Room]) -> Room:
    """413 naming the first limit ``size`` exceeds; else the tightest limit (for a body of
    unknown length, cut off as soon as it crosses it)."""
    if size is not None:
        for limit in rooms:
            if size > limit.limit:
                raise too_large(size, limit)
    return min(rooms, key=lambda r: r.limit)


def too_large(size: int | None, limit: Room) -> PayloadTooLarge:
    said = f"the file is {size} bytes; " if size is not None else "the file is too large: "
    return PayloadTooLarge(
        f"{said}{limit.description} ({limit.name}) leaves room for {limit.limit} bytes",
        [_field("/size", f"exceeds {limit.description} ({limit.name}): at most {limit.limit} bytes")],
    )


def _field(field: str, message: str) -> Any:
    from schemas import FieldError

    return FieldError(field, [message])


# ---------------------------------------------------------------------------------------------
# The partial files and their hash state


def uploads_dir(config: Any, store: ObjectStore, instance_path: str) -> Path:
    """Where partial uploads live: ``UPLOADS_PATH``, else ``tmp/tus`` inside a local store (same
    file system, so a finished upload is renamed into place), else ``<instance>/uploads``."""
    if config.get("UPLOADS_PATH"):
        path = Path(config["UPLOADS_PATH"])
    elif hasattr(store, "temp_dir"):
        path = Path(store.temp_dir) / "tus"
    else:
        path = Path(instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def part_path(directory: Path, upload_id: str) -> Path:
    return directory / f"{upload_id}.part"


@dataclass
class _HashState:
    offset: int
    md5: Any
    sha256: Any


class HashStates:
    """The hash states of the open uploads this process served last (one per app: a new app,
    like a restarted server, starts empty and rebuilds a state from the partial file)."""

    def __init__(self) -> None:
        self._states: dict[str, _HashState] = {}
        self._lock = threading.Lock()
        #: How many bytes were re-read to rebuild states (after a restart); for operators.
        self.bytes_reread = 0

    def state(self, upload_id: str, path: Path, offset: int) -> _HashState:
        """The hash state covering the first ``offset`` bytes: this process's own, or rebuilt
        by reading the partial file once (after a restart, or when another process took the
        last ``PATCH``)."""
        with self._lock:
            state = self._states.get(upload_id)
        if state is not None and state.offset == offset:
            return state
        md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        remaining = offset
        with path.open("rb") as f:
            while remaining:
                chunk = f.read(min(CHUNK_SIZE, remaining))
                if not chunk:
                    raise Gone(f"the partial data of upload {upload_id} is incomplete; start a new upload")
                md5.update(chunk)
                sha.update(chunk)
                remaining -= len(chunk)
        with self._lock:
            self.bytes_reread += offset
        return _HashState(offset, md5, sha)

    def keep(self, upload_id: str, state: _HashState) -> None:
        with self._lock:
            self._states[upload_id] = state

    def forget(self, upload_id: str) -> None:
        with self._lock:
            self._states.pop(upload_id, None)


@contextmanager
def _exclusive(path: Path, *, create: bool = False) -> Iterator[int]:
    """An exclusive, non-blocking ``flock`` on a partial file: 423 if another request holds it."""
    try:
        fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    except FileNotFoundError:
        raise Gone("the partial data of this upload is gone; start a new upload") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Locked("another request is appending to this upload; retry when it ends") from None
        yield fd
    finally:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# The use cases


def expires_at(config: Any, now: datetime | None = None) -> datetime:
    return (now or utcnow()) + timedelta(seconds=config["UPLOAD_EXPIRY_SECONDS"])


def create(
    session: Session,
    actor: Actor,
    record_id: str,
    *,
    key: str,
    length: int,
    content_type: str,
    config: Any,
    directory: Path,
) -> Upload:
    """A new upload of ``length`` bytes as file ``key`` of the draft: same checks as a ``PUT``
    (key, permission, state, file count), then the size limit and quotas, all before a byte is
    stored. The empty partial file is created here; the caller commits."""
    key = files_svc.check_upload(
        session,
        actor,
        record_id,
        key,
        content_length=None,
        max_size=config["MAX_FILE_SIZE"],
        max_files=config["MAX_FILES_PER_RECORD"],
    )
    record = session.get(Record, record_id)
    assert record is not None and actor.user_id is not None
    check_room(length, room(session, record, record.owner_id, key, config))
    upload = Upload(
        id=secrets.token_hex(16),
        record_id=record_id,
        owner_id=actor.user_id,
        key=key,
        length=length,
        offset=0,
        content_type=content_type[:255],
        state="open",
        expires_at=expires_at(config),
    )
    session.add(upload)
    session.flush()
    part_path(directory, upload.id).touch(mode=0o600)
    return upload


def get(session: Session, actor: Actor, record_id: str, upload_id: str) -> Upload:
    """The actor's own upload to this record; 404 for anyone else's or an unknown one, 410 once
    expired."""
    upload = session.get(Upload, upload_id) if len(upload_id) <= 32 else None
    if upload is None or upload.record_id != record_id or upload.owner_id != actor.user_id:
        raise NotFound(f"no upload {upload_id!r} of yours on record {record_id!r}")
    if upload.state == "open" and upload.expires_at <= utcnow():
        raise Gone(f"upload {upload_id} expired at {upload.expires_at.isoformat()}")
    return upload


@dataclass(frozen=True)
class Appended:
    offset: int
    expires_at: datetime
    file: dict[str, Any] | None  # the attached file (files.describe) once complete


def append(
    make_session: Callable[[], Session],
    actor: Actor,
    store: ObjectStore,
    record_id: str,
    upload_id: str,
    stream: BinaryIO,
    *,
    offset: int,
    content_length: int | None,
    checksum: tuple[str, bytes] | None,
    config: Any,
    directory: Path,
    states: HashStates,
    commit: Callable[[Session], None],
) -> Appended:
    """Append a ``PATCH`` body at ``offset``; finish the upload when its last byte is stored.

    Without ``Upload-Checksum`` whatever arrives before a broken connection is kept (the client
    resumes from there); with one, the body is kept only if complete and matching (460)."""
    with make_session() as session:
        upload = get(session, actor, record_id, upload_id)
        # Permission and state now, before a byte is read (attach checks again under the lock).
        files_svc.prepare_upload(session, actor, record_id, upload.key)
        if upload.state != "open":
            raise Conflict(
                f"upload {upload_id} is complete", [_field("/Upload-Offset", "the upload is complete")]
            )
        if offset != upload.offset:
            raise Conflict(
                f"Upload-Offset {offset} does not match the upload's offset {upload.offset}",
                [_field("/Upload-Offset", f"must be {upload.offset}, the bytes stored so far")],
            )
        if content_length is not None and offset + content_length > upload.length:
            raise PayloadTooLarge(
                f"the body would take the upload past its Upload-Length of {upload.length} bytes",
                [_field("/Content-Length", f"at most {upload.length - offset} bytes remain")],
            )
        length, key, content_type = upload.length, upload.key, upload.content_type
    path = part_path(directory, upload_id)
    with _exclusive(path) as fd:
        size = os.fstat(fd).st_size
        if size < offset:
            raise Gone(f"the partial data of upload {upload_id} is incomplete; start a new upload")
        if size > offset:
            os.ftruncate(fd, offset)  # bytes written by a process that died before recording them
        state = states.state(upload_id, path, offset)
        if checksum is not None:
            saved = (state.md5.copy(), state.sha256.copy())
            body_digest = CHECKSUM_ALGORITHMS[checksum[0]]()
        want = length - offset if content_length is None else content_length
        received, broken = 0, None
        os.lseek(fd, offset, os.SEEK_SET)
        with os.fdopen(os.dup(fd), "wb", buffering=0) as out:
            while received < want:
                try:
                    chunk = stream.read(min(CHUNK_SIZE, want - received))
                except Exception as exc:  # noqa: BLE001 - a broken connection: keep what came
                    broken = exc
                    break
                if not chunk:
                    break
                out.write(chunk)
                state.md5.update(chunk)
                state.sha256.update(chunk)
                if checksum is not None:
                    body_digest.update(chunk)
                received += len(chunk)
                del chunk
            os.fsync(out.fileno())
        new_offset = offset + received
        if checksum is not None and (broken is not None or body_digest.digest() != checksum[1]):
            os.ftruncate(fd, offset)
            state.md5, state.sha256 = saved
            if broken is None:
                raise ChecksumFailed(
                    f"the body does not match Upload-Checksum ({checksum[0]}); nothing was stored",
                    [_field("/Upload-Checksum", "does not match the body")],
                )
            new_offset = offset
        state.offset = new_offset
        states.keep(upload_id, state)
        with make_session() as session:
            moved = session.execute(
                update(Upload)
                .where(Upload.id == upload_id, Upload.offset == offset, Upload.state == "open")
                .values(offset=new_offset, expires_at=expires_at(config))
                .execution_options(synchronize_session=False)
            ).rowcount
            session.commit()
        if moved != 1:
            states.forget(upload_id)
            raise Conflict(f"upload {upload_id} was changed or terminated meanwhile")
        if broken is not None:
            raise broken
        if new_offset < length:
            return Appended(new_offset, expires_at(config), None)
        with path.open("rb") as f:
            head = f.read(files_svc.SNIFF_BYTES)
        stored = _store_complete(store, path, state, length)
    states.forget(upload_id)
    mimetype = files_svc.media_type(key, content_type, head)
    with make_session() as session:
        row, _ = files_svc.attach(
            session, actor, record_id, key, stored, mimetype, max_files=config["MAX_FILES_PER_RECORD"]
        )
        described = files_svc.describe(row)
        session.execute(
            update(Upload)
            .where(Upload.id == upload_id)
            .values(state="complete", sha256=stored.sha256)
            .execution_options(synchronize_session=False)
        )
        commit(session)
    return Appended(new_offset, expires_at(config), described)


def _store_complete(store: ObjectStore, path: Path, state: _HashState, length: int) -> StoredObject:
    """Hand the finished partial file to the store. A local store renames it into place (no byte
    read again); a remote one is sent the file, which it checks against the digests computed
    while the upload arrived."""
    sha, md5 = state.sha256.hexdigest(), state.md5.hexdigest()
    adopt = getattr(store, "adopt_file", None)
    if adopt is not None:
        return adopt(path, sha256=sha, md5=md5, size=length)  # type: ignore[no-any-return]
    with path.open("rb") as f:
        stored = store.put_stream(f, expected_size=length, expected_md5=md5, expected_sha256=sha)
    path.unlink(missing_ok=True)
    return stored


def terminate(
    session: Session, actor: Actor, record_id: str, upload_id: str, directory: Path, states: HashStates
) -> None:
    """tus termination: drop the upload and its partial data (423 while a ``PATCH`` runs)."""
    upload = get(session, actor, record_id, upload_id)
    path = part_path(directory, upload.id)
    if path.exists():
        with _exclusive(path):
            path.unlink(missing_ok=True)
    session.delete(upload)
    states.forget(upload_id)


@dataclass(frozen=True)
class ExpiryReport:
    expired: int
    orphans: int


def expire(
    make_session: Callable[[], Session],
    directory: Path,
    *,
    grace_seconds: float,
    states: HashStates | None = None,
) -> ExpiryReport:
    """Remove uploads past their expiry (open ones with their partial data, finished ones'
    rows), and partial files no row names that are older than ``grace_seconds``. A partial file
    a ``PATCH`` is writing is skipped (its expiry moves on when the ``PATCH`` ends)."""
    now = utcnow()
    expired = 0
    with make_session() as session:
        rows = session.scalars(select(Upload.id).where(Upload.expires_at <= now)).all()
        for upload_id in rows:
            path = part_path(directory, upload_id)
            try:
                if path.exists():
                    with _exclusive(path):
                        path.unlink(missing_ok=True)
            except (Locked, Gone):
                continue
            session.execute(delete(Upload).where(Upload.id == upload_id, Upload.expires_at <= now))
            if states is not None:
                states.forget(upload_id)
            expired += 1
        session.commit()
        known = set(session.scalars(select(Upload.id)).all())
    orphans = 0
    cutoff = now.timestamp() - grace_seconds
    for entry in os.scandir(directory):
        name = entry.name
        if not name.endswith(".part") or name[:-5] in known:
            continue
        try:
            if entry.stat().st_mtime < cutoff:
                with _exclusive(Path(entry.path)):
                    os.unlink(entry.path)
                orphans += 1
        except (FileNotFoundError, Locked, Gone):
            continue
    return ExpiryReport(expired, orphans)


def parse_metadata(value: str | None) -> dict[str, str]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional)."""
    result: dict[str, str] = {}
    for part in (value or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, _, encoded = part.partition(" ")
        if not name or name in result:
            raise field_error("/Upload-Metadata", f"{name!r}: keys must be non-empty and unique")
        try:
            result[name] = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            raise field_error(
                "/Upload-Metadata", f"the value of {name!r} is not base64-encoded UTF-8"
            ) from None
    return result


def parse_checksum(value: str | None) -> tuple[str, bytes] | None:
    """``Upload-Checksum: <algorithm> <base64 digest>`` (tus checksum extension)."""
    if value is None:
        return None
    algorithm, _, encoded = value.strip().partition(" ")
    algorithm = algorithm.lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise InvalidInput(
            f"unsupported checksum algorithm {algorithm!r}",
            [_field("/Upload-Checksum", f"the algorithm must be one of {', '.join(CHECKSUM_ALGORITHMS)}")],
        )
    try:
        digest = base64.b64decode(encoded.strip(), validate=True)
    except ValueError:
        raise field_error("/Upload-Checksum", "the digest must be base64") from None
    if len(digest) != CHECKSUM_ALGORITHMS[algorithm]().digest_size:
        raise field_error("/Upload-Checksum", f"not a {algorithm} digest (wrong length)")
    return algorithm, digest
