"""Clean-up of the file store: stale temporary uploads and objects no record references.

The CLI (``alluvium storage cleanup``) is a thin adapter over :func:`cleanup`.

An object on disk is *unreferenced* when no ``record_files`` row points at it. That is also
the state of an upload that has been stored but whose row is not committed yet, so an
object is deleted only when it is older than the grace period (``STORAGE_CLEANUP_GRACE``):
its age is when it was stored or last deduplicated (an upload of identical content
refreshes it). Deletion order keeps the database right if cleanup is interrupted: first the
``file_objects`` row, in its own committed transaction and only if nothing references it
(the foreign key refuses otherwise), then the object, after checking again that no row
references it and that it is still old. An interruption leaves at worst unreferenced
objects, which the next run removes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import FileObject, RecordFile
from app.storage import ObjectNotFound, ObjectStore

#: Default grace period: objects younger than this are never deleted (seconds).
DEFAULT_GRACE_SECONDS = 24 * 3600


@dataclass
class CleanupReport:
    temp_removed: int = 0
    unreferenced: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    kept_recent: list[str] = field(default_factory=list)


def cleanup(
    make_session: Callable[[], Session],
    store: ObjectStore,
    *,
    delete_unreferenced: bool = False,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    temp_older_than: float = 3600,
    now: float | None = None,
) -> CleanupReport:
    """Remove stale temporary uploads; find (and with ``delete_unreferenced`` delete) the
    unreferenced objects older than ``grace_seconds``. Younger unreferenced objects are
    listed in ``kept_recent`` and never touched."""
    import time

    if grace_seconds < 0:
        raise ValueError("the grace period must be 0 or more seconds")
    report = CleanupReport(temp_removed=store.cleanup_temp(temp_older_than))
    cutoff = (time.time() if now is None else now) - grace_seconds
    with make_session() as session:
        referenced = set(session.scalars(select(RecordFile.object_sha256).distinct()).all())
        session.rollback()
    for sha in store.iter_objects():
        if sha in referenced:
            continue
        try:
            young = store.modified_at(sha) >= cutoff
        except ObjectNotFound:
            continue
        if young:
            report.kept_recent.append(sha)
            continue
        report.unreferenced.append(sha)
        if delete_unreferenced and _delete_object(make_session, store, sha, grace_seconds):
            report.deleted.append(sha)
    return report


def _delete_object(make_session: Callable[[], Session], store: ObjectStore, sha: str, grace: float) -> bool:
    """Delete one unreferenced object: its row first (committed), then the body."""
    with make_session() as session:
        try:
            session.execute(
                delete(FileObject).where(
                    FileObject.sha256 == sha,
                    ~exists().where(RecordFile.object_sha256 == sha),
                )
            )
            session.commit()
        except IntegrityError:
            # Referenced meanwhile (the foreign key refused the delete): keep it.
            session.rollback()
            return False
        still_referenced = session.scalar(select(exists().where(RecordFile.object_sha256 == sha)))
        session.rollback()
    if still_referenced:
        return False
    return store.delete_unless_recent(sha, grace)
