"""Record files: streamed upload into the content-addressed store, listing, download access."""

from __future__ import annotations

import mimetypes
import re
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import FileObject, Record, RecordFile
from app.services import extraction as extraction_svc
from app.services.errors import Forbidden, InvalidInput, NotFound, PayloadTooLarge, field_error
from app.services.records import context, get_record
from app.storage import ChecksumMismatch, IncompleteUpload, ObjectStore, SizeMismatch, UploadTooLarge
from curation import Action, Actor, State, can, next_state

_BAD_KEY = re.compile(r"[\x00-\x1f\x7f\\]")


def check_key(key: str) -> str:
    """A file key is a relative path: no empty, '.' or '..' segments, no control characters."""
    if not key or len(key) > 255:
        raise field_error("/key", "must be 1 to 255 characters long")
    if _BAD_KEY.search(key) or key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
        raise field_error(
            "/key", f"{key!r} is not a valid file name (relative path, no '..', no control characters)"
        )
    return key


def prepare_upload(session: Session, actor: Actor, record_id: str, key: str) -> Record:
    """Check, before any byte is read, that the actor may upload this file to this draft."""
    check_key(key)
    record = get_record(session, actor, record_id, action=Action.UPLOAD)
    next_state(record.state, Action.UPLOAD)
    return record


def upload(
    session: Session,
    actor: Actor,
    store: ObjectStore,
    record_id: str,
    key: str,
    stream: BinaryIO,
    *,
    content_length: int | None,
    content_type: str | None,
    max_size: int,
    max_files: int,
    expected_md5: str | None = None,
    expected_sha256: str | None = None,
) -> tuple[RecordFile, bool]:
    """Stream ``stream`` into the store and attach it to the draft under ``key``.

    Returns the file row and whether it replaced an existing key. The body is never held in
    memory; oversized, interrupted or checksum-failing uploads store nothing.
    """
    record = prepare_upload(session, actor, record_id, key)
    existing = next((f for f in record.files if f.key == key), None)
    if existing is None and len(record.files) >= max_files:
        raise InvalidInput(f"a record may carry at most {max_files} files")
    if content_length is not None and content_length > max_size:
        raise PayloadTooLarge(f"the file is {content_length} bytes; the limit is {max_size} bytes")
    try:
        stored = store.put_stream(
            stream,
            max_size=max_size,
            expected_size=content_length,
            expected_md5=expected_md5,
            expected_sha256=expected_sha256,
        )
    except UploadTooLarge as exc:
        raise PayloadTooLarge(f"the file exceeds the limit of {max_size} bytes") from exc
    except IncompleteUpload as exc:
        raise InvalidInput(f"the upload was interrupted: {exc}") from exc
    except (ChecksumMismatch, SizeMismatch) as exc:
        raise InvalidInput(str(exc)) from exc
    obj = session.get(FileObject, stored.sha256)
    if obj is None:
        obj = FileObject(sha256=stored.sha256, md5=stored.md5, size=stored.size)
        session.add(obj)
    mimetype = _mimetype(key, content_type)
    if existing is not None:
        existing.object_sha256, existing.mimetype = obj.sha256, mimetype
        row = existing
    else:
        row = RecordFile(key=key, object_sha256=obj.sha256, mimetype=mimetype)
        record.files.append(row)
    session.flush()
    extraction_svc.after_upload(session, record, key, obj.sha256, mimetype)
    row.object = obj
    return row, existing is not None


def delete(session: Session, actor: Actor, record_id: str, key: str) -> None:
    """Detach a file from a draft. The stored body stays until garbage collection."""
    record = get_record(session, actor, record_id, action=Action.UPLOAD)
    next_state(record.state, Action.UPLOAD)
    row = _find(record, key)
    record.files.remove(row)
    session.flush()


def get_file(
    session: Session, actor: Actor, record_id: str, key: str, *, today: date | None = None
) -> RecordFile:
    """A file the actor may download, honouring the record's access level and embargo."""
    record = get_record(session, actor, record_id)
    row = _find(record, key)
    if not files_readable(record, actor, today=today):
        raise Forbidden(f"the files of record {record_id} are not openly accessible ({access_level(record)})")
    return row


def list_files(session: Session, actor: Actor, record_id: str) -> tuple[Record, list[RecordFile]]:
    record = get_record(session, actor, record_id)
    return record, list(record.files)


def files_readable(record: Record, actor: Actor, *, today: date | None = None) -> bool:
    """Owner, moderators and admins always; others only published open files (or ended embargo)."""
    if record.state == State.WITHDRAWN:
        return False
    if can(actor, Action.EDIT, context(record)) or can(actor, Action.ASSIGN, context(record)):
        return True
    if actor.user_id == record.owner_id or actor.is_admin:
        return True
    if record.state != State.PUBLISHED:
        return False
    level = access_level(record)
    if level == "open":
        return True
    if level == "embargoed":
        until = embargo_until(record)
        return until is not None and (today or date.today()) >= until
    return False


def access_level(record: Record) -> str:
    """open | embargoed | restricted | metadata-only (``metadata.rights.access_level``)."""
    rights = record.metadata_.get("rights") or {}
    return str(rights.get("access_level") or "open")


def embargo_until(record: Record) -> date | None:
    rights = record.metadata_.get("rights") or {}
    value = rights.get("embargo_until")
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def referenced_objects(session: Session) -> set[str]:
    return set(session.scalars(select(RecordFile.object_sha256).distinct()).all())


def total_size(session: Session, record: Record) -> int:
    return (
        session.scalar(
            select(func.coalesce(func.sum(FileObject.size), 0))
            .join(RecordFile, RecordFile.object_sha256 == FileObject.sha256)
            .where(RecordFile.record_id == record.id)
        )
        or 0
    )


def _find(record: Record, key: str) -> RecordFile:
    for f in record.files:
        if f.key == key:
            return f
    raise NotFound(f"record {record.id} has no file {key!r}")


def _mimetype(key: str, content_type: str | None) -> str:
    if content_type and content_type.split(";")[0].strip() not in ("", "application/octet-stream"):
        return content_type.split(";")[0].strip()[:255]
    guessed, _ = mimetypes.guess_type(key)
    return guessed or "application/octet-stream"


def describe(row: RecordFile) -> dict[str, Any]:
    return {
        "key": row.key,
        "size": row.object.size,
        "mimetype": row.mimetype,
        "checksum": {"md5": row.object.md5, "sha256": row.object.sha256},
        "created": row.created_at.isoformat(),
    }
