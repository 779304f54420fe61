"""Record files: streamed upload into the content-addressed store, listing, download access."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from datetime import date
from typing import Any, BinaryIO

from sqlalchemy import delete as delete_stmt
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Event, FileExtraction, FileObject, Record, RecordFile
from app.services import extraction as extraction_svc
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound, PayloadTooLarge, field_error
from app.services.records import context, get_record
from app.storage import (
    ChecksumMismatch,
    IncompleteUpload,
    ObjectStore,
    SizeMismatch,
    StoredObject,
    UploadTooLarge,
)
from curation import Action, Actor, InvalidTransition, State, authorize, can, next_state
from schemas import FieldError
from schemas.limits import forbidden_character

# Characters a file key may not contain: controls (Cc), invisible format characters such as
# the bidirectional overrides U+202A..U+202E, U+2066..U+2069 and the zero-width U+200B..U+200F
# and U+FEFF (Cf), lone surrogates (Cs), private use (Co) and line/paragraph separators. They
# let a name display as something it is not (``evil\u202ecsv.exe`` shows as ``evilexe.vsc``).
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})

#: Client-sent media types that say nothing about the file: form encodings (curl's
#: ``--data-binary`` default), and the catch-all binary types.
GENERIC_TYPES = frozenset(
    {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/octet-stream",
        "binary/octet-stream",
        "application/binary",
        "application/unknown",
        "application/x-unknown",
        "application/download",
        "application/force-download",
        "*/*",
    }
)
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
#: Extensions ``mimetypes`` does not know, or knows under a type we do not want.
EXTENSION_TYPES = {
    ".nc": "application/x-netcdf",
    ".nc4": "application/x-netcdf",
    ".cdf": "application/x-netcdf",
    ".h5": "application/x-hdf5",
    ".hdf5": "application/x-hdf5",
    ".he5": "application/x-hdf5",
    ".hdf": "application/x-hdf",
    ".gpkg": "application/geopackage+sqlite3",
    ".geojson": "application/geo+json",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".json": "application/json",
    ".jsonld": "application/ld+json",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".grib": "application/x-grib",
    ".grb": "application/x-grib",
    ".grb2": "application/x-grib",
    ".parquet": "application/vnd.apache.parquet",
    ".kml": "application/vnd.google-earth.kml+xml",
    ".kmz": "application/vnd.google-earth.kmz",
    ".gz": "application/gzip",
    ".tgz": "application/gzip",
    ".zip": "application/zip",
    ".md": "text/markdown",
    ".yaml": "text/yaml",
    ".yml": "text/yaml",
}
#: Leading bytes of the binary formats Earth-science deposits carry, and their media type.
MAGIC_NUMBERS: tuple[tuple[bytes, str], ...] = (
    (b"CDF\x01", "application/x-netcdf"),
    (b"CDF\x02", "application/x-netcdf"),
    (b"CDF\x05", "application/x-netcdf"),
    (b"\x89HDF\r\n\x1a\n", "application/x-hdf5"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),  # BigTIFF
    (b"MM\x00+", "image/tiff"),
    (b"SQLite format 3\x00", "application/vnd.sqlite3"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),  # empty archive
    (b"\x1f\x8b", "application/gzip"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"%PDF-", "application/pdf"),
    (b"GRIB", "application/x-grib"),
    (b"PAR1", "application/vnd.apache.parquet"),
)
#: How many leading bytes of an upload are kept for the sniff.
SNIFF_BYTES = 64


def check_key(key: str) -> str:
    """A file key is a relative path: no empty, '.' or '..' segments, no control, format
    (bidirectional, zero-width) or surrogate characters. Returns it normalised to NFC."""
    if not isinstance(key, str) or not key:
        raise field_error("/key", "must be 1 to 255 characters long")
    bad = next(
        (c for c in key if unicodedata.category(c) in _BAD_CATEGORIES or c == "\\" or forbidden_character(c)),
        None,
    )
    if bad is not None:
        raise field_error(
            "/key",
            f"must not contain U+{ord(bad):04X} ({unicodedata.name(bad, 'control or format character')}): "
            "file names may not carry control, invisible or text-direction characters",
        )
    key = unicodedata.normalize("NFC", key)
    if len(key) > 255:
        raise field_error("/key", "must be 1 to 255 characters long")
    if key.startswith("/") or any(p in ("", ".", "..") for p in key.split("/")):
        raise field_error(
            "/key", f"{key!r} is not a valid file name (relative path, no empty, '.' or '..' parts)"
        )
    return key


def prepare_upload(session: Session, actor: Actor, record_id: str, key: str) -> Record:
    """Check, before any byte is read, that the actor may upload this file to this draft.

    Only reads; the caller ends the transaction before streaming the body, and
    :func:`attach` checks again when it writes."""
    check_key(key)
    record = get_record(session, actor, record_id, action=Action.UPLOAD)
    next_state(record.state, Action.UPLOAD)
    return record


class _Sniffer:
    """Passes ``read`` through, keeping the first SNIFF_BYTES bytes for the media type sniff."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.head = b""

    def read(self, n: int = -1) -> bytes:
        chunk = self._stream.read(n)
        if chunk and len(self.head) < SNIFF_BYTES:
            self.head += bytes(chunk[: SNIFF_BYTES - len(self.head)])
        return chunk


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
    """Check, store and attach in the caller's transaction: for in-process callers with a
    body already at hand (the demo loader). HTTP views must not hold a transaction while a
    client streams; they call :func:`check_upload`, end the transaction, then
    :func:`store_body` and :func:`attach` (see ``app/api/files.py``)."""
    key = check_upload(
        session, actor, record_id, key, content_length=content_length, max_size=max_size, max_files=max_files
    )
    stored, mimetype = store_body(
        store,
        stream,
        key,
        content_length=content_length,
        content_type=content_type,
        max_size=max_size,
        expected_md5=expected_md5,
        expected_sha256=expected_sha256,
    )
    return attach(session, actor, record_id, key, stored, mimetype, max_files=max_files)


def check_upload(
    session: Session,
    actor: Actor,
    record_id: str,
    key: str,
    *,
    content_length: int | None,
    max_size: int,
    max_files: int,
) -> str:
    """Everything that can be refused before a byte of the body is read (key, permission,
    state, file count, announced size); only reads. Returns the key normalised to NFC.

    The state is checked again by :func:`attach`: the record may be submitted while the
    body streams."""
    key = check_key(key)
    record = prepare_upload(session, actor, record_id, key)
    existing = next((f for f in record.files if f.key == key), None)
    if existing is None and len(record.files) >= max_files:
        raise InvalidInput(f"a record may carry at most {max_files} files")
    if content_length is not None and content_length > max_size:
        raise PayloadTooLarge(
            f"the file is {content_length} bytes; the upload size limit (MAX_FILE_SIZE) is {max_size} bytes",
            [
                FieldError(
                    "/size", [f"exceeds the upload size limit (MAX_FILE_SIZE): at most {max_size} bytes"]
                )
            ],
        )
    return key


def store_body(
    store: ObjectStore,
    stream: BinaryIO,
    key: str,
    *,
    content_length: int | None,
    content_type: str | None,
    max_size: int,
    expected_md5: str | None = None,
    expected_sha256: str | None = None,
) -> tuple[StoredObject, str]:
    """Stream the body into the store (no database access) and determine its media type
    from its first bytes as they pass. The body is never held in memory; oversized,
    interrupted or checksum-failing uploads store nothing. A stored body nothing references
    (the attach failed) is removed by ``storage cleanup`` after the grace period."""
    sniffer = _Sniffer(stream)
    try:
        stored = store.put_stream(
            sniffer,
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
    return stored, media_type(key, content_type, sniffer.head)


def attach(
    session: Session,
    actor: Actor,
    record_id: str,
    key: str,
    stored: StoredObject,
    mimetype: str,
    *,
    max_files: int,
) -> tuple[RecordFile, bool]:
    """Reference a stored body as file ``key`` of the draft, in the caller's transaction.

    The record is locked first (:func:`lock_editable`), so a concurrent submit either
    commits before (→ 409 here) or waits until this transaction ends."""
    record = lock_editable(session, actor, record_id)
    existing = next((f for f in record.files if f.key == key), None)
    if existing is None and len(record.files) >= max_files:
        raise InvalidInput(f"a record may carry at most {max_files} files")
    obj = ensure_object(session, stored)
    if existing is not None:
        previous = existing.object_sha256
        existing.object_sha256, existing.mimetype = obj.sha256, mimetype
        row = existing
        _file_event(session, actor, record, "file_replace", key, obj, previous=previous)
    else:
        row = RecordFile(key=key, object_sha256=obj.sha256, mimetype=mimetype)
        record.files.append(row)
        _file_event(session, actor, record, "file_add", key, obj)
    session.flush()
    extraction_svc.after_upload(session, record, key, obj.sha256, mimetype)
    row.object = obj
    return row, existing is not None


def ensure_object(session: Session, stored: StoredObject) -> FileObject:
    """The FileObject row for a stored body, inserted if absent; safe when many requests
    store the same content at once (an upsert, so no UNIQUE violation). On PostgreSQL the
    upsert also locks the row, so a concurrent ``storage cleanup`` cannot delete it before
    this transaction references it."""
    values = {"sha256": stored.sha256, "md5": stored.md5, "size": stored.size, "created_at": utcnow()}
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(FileObject).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=["sha256"], set_={"size": stmt.excluded.size})
    session.execute(stmt)
    return session.scalars(
        select(FileObject).where(FileObject.sha256 == stored.sha256).execution_options(populate_existing=True)
    ).one()


def lock_editable(session: Session, actor: Actor, record_id: str) -> Record:
    """Lock the record's row for the rest of the transaction and return it, fresh, if the
    actor may still change its files; 409 if it is no longer editable.

    A conditional UPDATE (``WHERE state IN editable``) is the lock on both engines: it takes
    SQLite's write lock and PostgreSQL's row lock, and its WHERE is evaluated against the
    latest committed state, so a submit cannot slip in between the check and the write."""
    editable = [s.value for s in State if _may_upload(s)]
    result = session.execute(
        update(Record)
        .where(Record.id == record_id, Record.state.in_(editable))
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    record = session.scalars(
        select(Record).where(Record.id == record_id).execution_options(populate_existing=True)
    ).one_or_none()
    if record is None:
        raise NotFound(f"no record {record_id!r}")
    authorize(actor, Action.UPLOAD, context(record))
    if result.rowcount != 1:
        # Raises InvalidTransition (409) naming the state the record is in now.
        next_state(record.state, Action.UPLOAD)
        raise Conflict(f"record {record_id} is not editable")
    return record


def _may_upload(state: State) -> bool:
    try:
        next_state(state, Action.UPLOAD)
    except InvalidTransition:
        return False
    return True


def _file_event(
    session: Session,
    actor: Actor,
    record: Record,
    action: str,
    key: str,
    obj: FileObject | None,
    *,
    previous: str | None = None,
    previous_key: str | None = None,
) -> None:
    data: dict[str, Any] = {"key": key}
    if previous_key is not None:
        data["previous_key"] = previous_key
    if obj is not None:
        data |= {"sha256": obj.sha256, "size": obj.size}
    if previous is not None:
        data["previous_sha256"] = previous
    state = State(record.state)
    session.add(
        Event(
            record_id=record.id,
            actor_id=actor.user_id,
            action=action,
            from_state=state.value,
            to_state=state.value,
            as_admin=actor.is_admin and actor.user_id != record.owner_id,
            data=data,
        )
    )


def delete(session: Session, actor: Actor, record_id: str, key: str) -> None:
    """Detach a file from a draft (recorded in its history). The stored body stays until
    ``storage cleanup``. The record is locked like for an upload, so a concurrent submit
    cannot see the file disappear after it."""
    get_record(session, actor, record_id, action=Action.UPLOAD)
    record = lock_editable(session, actor, record_id)
    row = _find(record, key)
    _file_event(session, actor, record, "file_delete", row.key, None, previous=row.object_sha256)
    record.files.remove(row)
    session.flush()


def rename(session: Session, actor: Actor, record_id: str, key: str, new_key: Any) -> RecordFile:
    """Give a draft's file another key, in one transaction: the same content-addressed object
    under the new key (no byte is copied), its metadata proposals carried over, and a
    ``file_rename`` event in the history. Same permission and states as an upload.

    A bad name is a 400 naming ``/key``; a key another file of the draft already has is a 409
    naming ``/key`` (nothing is replaced: delete that file first)."""
    get_record(session, actor, record_id, action=Action.UPLOAD)
    if not isinstance(new_key, str):
        raise field_error("/key", "must be the new file name, as a string")
    new_key = check_key(new_key.strip())
    record = lock_editable(session, actor, record_id)
    row = _find(record, key)
    if new_key == row.key:
        return row
    if any(f.key == new_key for f in record.files):
        raise Conflict(
            "invalid key",
            [FieldError("/key", [f"the draft already has a file named {new_key!r}; delete it first"])],
        )
    old_key = row.key
    # Proposals read from this content follow the file; stale ones under the new name go.
    session.execute(
        delete_stmt(FileExtraction).where(
            FileExtraction.record_id == record.id, FileExtraction.key == new_key
        )
    )
    session.execute(
        update(FileExtraction)
        .where(FileExtraction.record_id == record.id, FileExtraction.key == old_key)
        .values(key=new_key)
        .execution_options(synchronize_session=False)
    )
    row.key = new_key
    _file_event(session, actor, record, "file_rename", new_key, row.object, previous_key=old_key)
    session.flush()
    return row


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
    # int(): on PostgreSQL SUM over BIGINT is NUMERIC (a Decimal).
    return int(
        session.scalar(
            select(func.coalesce(func.sum(FileObject.size), 0))
            .join(RecordFile, RecordFile.object_sha256 == FileObject.sha256)
            .where(RecordFile.record_id == record.id)
        )
        or 0
    )


def _find(record: Record, key: str) -> RecordFile:
    key = unicodedata.normalize("NFC", key)
    for f in record.files:
        if f.key == key:
            return f
    raise NotFound(f"record {record.id} has no file {key!r}")


def media_type(key: str, content_type: str | None, head: bytes = b"") -> str:
    """The media type of an uploaded file, from its first bytes, its name and what the client
    said, in that order of trust.

    A recognised magic number wins (a netCDF file is netCDF whatever its name), except that
    a name can refine a container (``.nc`` on HDF5 is netCDF-4, ``.gpkg`` on SQLite is a
    GeoPackage, ``.xlsx`` on ZIP is a spreadsheet). Then a specific type sent by the client,
    then the extension. Generic types (form encodings, ``application/octet-stream``) are
    ignored, and ``text/plain`` is used only when the name says nothing more precise."""
    by_name = _type_from_name(key)
    sniffed = next((t for magic, t in MAGIC_NUMBERS if head.startswith(magic)), None)
    if sniffed is not None:
        if by_name and _refines(sniffed, by_name):
            return by_name
        return sniffed
    sent = (content_type or "").split(";")[0].strip().lower()
    if not _MEDIA_TYPE.fullmatch(sent) or sent in GENERIC_TYPES:
        sent = ""
    if sent and sent != "text/plain":
        return sent
    if by_name:
        return by_name
    return sent or "application/octet-stream"


def _type_from_name(key: str) -> str | None:
    name = key.rsplit("/", 1)[-1].lower()
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix in EXTENSION_TYPES:
        return EXTENSION_TYPES[suffix]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if encoding == "gzip":
        return "application/gzip"
    return guessed


def _refines(sniffed: str, by_name: str) -> bool:
    """Whether the type the name gives is a more precise reading of the sniffed container."""
    if sniffed == "application/zip":
        return (
            by_name.endswith("+zip")
            or by_name in _ZIP_BASED
            or by_name.startswith(("application/vnd.openxmlformats", "application/vnd.oasis.opendocument"))
        )
    if sniffed == "application/x-hdf5":
        return by_name in ("application/x-netcdf", "application/x-hdf5")
    if sniffed == "application/vnd.sqlite3":
        return by_name == "application/geopackage+sqlite3"
    return False


_ZIP_BASED = frozenset(
    {"application/vnd.google-earth.kmz", "application/java-archive", "application/epub+zip"}
)


def describe(row: RecordFile) -> dict[str, Any]:
    return {
        "key": row.key,
        "size": row.object.size,
        "mimetype": row.mimetype,
        "checksum": {"md5": row.object.md5, "sha256": row.object.sha256},
        "created": row.created_at.isoformat(),
    }
