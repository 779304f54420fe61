"""Metadata proposed from uploaded files: the ``extract-file-metadata`` job and its results.

An upload calls :func:`after_upload` in its own transaction; that adds a ``pending``
FileExtraction row and queues the job, so both exist only if the upload commits. The job reads
the stored object (in place for a local store, through a temporary copy for a remote one) with
``extraction.extract``, which runs the reader in a child process bounded in time and memory,
and records the outcome. The proposal is never applied to the record by itself: the producer
reads it (``GET …/draft/files/{key}/metadata``) and merges what they want.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import tempfile
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import extraction
from app.models import FileExtraction, FileObject, Record
from app.services import files as files_svc
from app.services import jobs
from app.storage import CHUNK_SIZE, ObjectNotFound, ObjectStore
from curation import Actor

JOB = "extract-file-metadata"


def after_upload(session: Session, record: Record, key: str, sha256: str, mimetype: str | None) -> None:
    """Queue metadata extraction for a file just attached to ``record`` (same transaction).

    Content already extracted under this key is not read again. Does nothing when the app's
    ``EXTRACTION_ENABLED`` is false.
    """
    from flask import current_app, has_app_context

    if has_app_context() and not current_app.config.get("EXTRACTION_ENABLED", True):
        return
    existing = session.scalar(
        select(FileExtraction).where(
            FileExtraction.record_id == record.id,
            FileExtraction.key == key,
            FileExtraction.object_sha256 == sha256,
        )
    )
    if existing is not None:
        if existing.state != "failed":
            return
        existing.state, existing.reason = "pending", ""
        session.flush()
    else:
        try:
            # A savepoint: when a concurrent upload of the same content to the same key
            # inserted the row first, only this insert is undone, not the upload.
            with session.begin_nested():
                session.add(
                    FileExtraction(record_id=record.id, key=key, object_sha256=sha256, state="pending")
                )
        except IntegrityError:
            return  # the other upload queued the extraction
    jobs.enqueue(session, JOB, {"record_id": record.id, "key": key, "sha256": sha256, "mimetype": mimetype})


def proposal(session: Session, actor: Actor, record_id: str, key: str) -> dict[str, Any]:
    """The extraction state and proposed metadata of a draft's file; same access as downloading it."""
    row = files_svc.get_file(session, actor, record_id, key)
    found = session.scalar(
        select(FileExtraction).where(
            FileExtraction.record_id == record_id,
            FileExtraction.key == key,
            FileExtraction.object_sha256 == row.object_sha256,
        )
    )
    body: dict[str, Any] = {"key": key, "checksum": {"sha256": row.object_sha256}}
    if found is None:
        return {
            **body,
            "state": "none",
            "reason": "no extraction was requested for this file (it was uploaded before extraction "
            "was enabled, or carried over from an earlier version)",
            "fragment": {},
            "sources": {},
        }
    details = found.details or {}
    sources, reason = dict(found.sources or {}), found.reason
    # Notes name the file as it was called when read; after a rename they name it as it is now.
    read_as, now = details.get("filename"), posixpath.basename(key)
    if read_as and read_as != now:
        sources = {p: _renamed_note(n, read_as, now) for p, n in sources.items()}
        reason = re.sub(rf"(?<=\s){re.escape(read_as)}(?=$|[\s,])", lambda _: now, reason)
    return {
        **body,
        "state": found.state,
        "reason": reason,
        "format": details.get("format"),
        "fragment": found.fragment or {},
        "sources": sources,
        "dropped": details.get("dropped", []),
        "facts": details.get("facts", {}),
        "updated": found.updated_at.isoformat(),
    }


def _renamed_note(note: str, old: str, new: str) -> str:
    """``from old.csv: columns …`` -> ``from new.csv: columns …`` (the form every note takes)."""
    prefix = f"from {old}: "
    return f"from {new}: " + note[len(prefix) :] if note.startswith(prefix) else note


def run_extraction(
    session: Session,
    store: ObjectStore,
    payload: dict[str, Any],
    *,
    timeout: float,
    memory_mb: int,
    max_size: int,
) -> FileExtraction | None:
    """Extract metadata for the file named by a job payload and store the result."""
    row = session.scalar(
        select(FileExtraction).where(
            FileExtraction.record_id == payload["record_id"],
            FileExtraction.key == payload["key"],
            FileExtraction.object_sha256 == payload["sha256"],
        )
    )
    if row is None:
        # Renamed before the job ran: the row moved to the new key, with the same content.
        row = session.scalars(
            select(FileExtraction)
            .where(
                FileExtraction.record_id == payload["record_id"],
                FileExtraction.object_sha256 == payload["sha256"],
                FileExtraction.state == "pending",
            )
            .order_by(FileExtraction.id)
        ).first()
    if row is None or row.state != "pending":
        return row  # the draft was deleted, or an earlier attempt finished
    payload = {**payload, "key": row.key}  # read under the name the file has now
    obj = session.get(FileObject, payload["sha256"])
    if obj is not None and obj.size > max_size:
        result = {
            "state": "nothing",
            "reason": f"{payload['key']} is {obj.size} bytes; files over {max_size} bytes "
            "(EXTRACTION_MAX_SIZE) are not read",
        }
    else:
        try:
            result = _extract_object(store, payload, timeout=timeout, memory_mb=memory_mb)
        except ObjectNotFound:
            result = {"state": "failed", "reason": f"the stored object of {payload['key']} is missing"}
    row.state = result["state"]
    row.reason = str(result.get("reason", ""))[:2000]
    row.fragment = result.get("fragment") or {}
    row.sources = result.get("sources") or {}
    row.details = {k: result[k] for k in ("format", "dropped", "facts") if result.get(k)}
    row.details["filename"] = posixpath.basename(row.key)  # as the notes name it
    session.flush()
    return row


def _extract_object(
    store: ObjectStore, payload: dict[str, Any], *, timeout: float, memory_mb: int
) -> dict[str, Any]:
    sha256, key, mimetype = payload["sha256"], payload["key"], payload.get("mimetype")
    path = store.local_path(sha256)
    if path is not None:
        return extraction.extract(path, key, mimetype, timeout=timeout, memory_mb=memory_mb)
    # A remote store: the readers need a seekable local file, so copy the object first.
    suffix = os.path.splitext(key)[1][:16]
    with tempfile.NamedTemporaryFile(prefix="extract-", suffix=suffix) as temp:
        with store.open(sha256) as source:
            shutil.copyfileobj(source, temp, CHUNK_SIZE)
        temp.flush()
        return extraction.extract(temp.name, key, mimetype, timeout=timeout, memory_mb=memory_mb)


@jobs.handler(JOB)
def _extract_job(session: Session, payload: dict[str, Any]) -> None:
    from flask import current_app

    cfg = current_app.config
    run_extraction(
        session,
        current_app.extensions["alluvium.store"],
        payload,
        timeout=float(cfg["EXTRACTION_TIMEOUT"]),
        memory_mb=int(cfg["EXTRACTION_MEMORY_MB"]),
        max_size=int(cfg["EXTRACTION_MAX_SIZE"]),
    )
