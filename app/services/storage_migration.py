"""Copying every stored object from one store to another (``alluvium storage migrate``).

Each object is streamed from the source into the target's ``put_stream`` with its known size
and SHA-256, so the target re-hashes what it receives and refuses (stores nothing for) a body
that is short or differs. Objects already in the target are skipped (their name is their
content), which makes an interrupted migration resumable: run it again and it copies what is
missing. ``verify_existing`` also re-hashes those already present.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import FileObject
from app.storage import ObjectStore, StorageError


@dataclass
class MigrationReport:
    copied: int = 0
    skipped: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def objects_to_migrate(session: Session) -> list[tuple[str, int]]:
    """(sha256, size) of every object the database knows, in a stable order."""
    return [
        (sha, size)
        for sha, size in session.execute(
            select(FileObject.sha256, FileObject.size).order_by(FileObject.sha256)
        )
    ]


def migrate_objects(
    objects: Iterable[tuple[str, int]],
    source: ObjectStore,
    target: ObjectStore,
    *,
    verify_existing: bool = False,
    progress: Callable[[str, str], None] | None = None,
) -> MigrationReport:
    """Copy each (sha256, size) from ``source`` to ``target``; never stops at one failure.

    ``progress(sha256, outcome)`` is called after each object with ``copied``, ``skipped``
    or ``failed: <reason>``.
    """
    report = MigrationReport()
    for sha256, size in objects:
        outcome = "skipped"
        try:
            if target.exists(sha256) and (not verify_existing or target.verify(sha256)):
                report.skipped += 1
            else:
                with source.open(sha256) as body:
                    target.put_stream(body, expected_size=size, expected_sha256=sha256)
                if not target.verify(sha256):
                    raise StorageError("the copy does not hash to its name")
                report.copied += 1
                outcome = "copied"
        except (StorageError, OSError) as exc:
            report.failed.append((sha256, str(exc)))
            outcome = f"failed: {exc}"
        if progress is not None:
            progress(sha256, outcome)
    return report
