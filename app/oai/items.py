"""OAI items: what harvesters see of each published or withdrawn record version, over time.

:func:`sync_records` is called in the transaction that publishes or withdraws a version (and
for the whole repository when an administrator changes a set). It writes a new item state only
when the record's disseminated payloads (the document rendered by each format's writer),
deletion status or set membership changed, so the datestamp moves exactly when a harvester has
something new to fetch — including after an upgrade that changes a writer (``Format.version``).

Harvest consistency rests on :class:`~app.models.OaiClock`: writers lock its row before taking
a datestamp, and a harvest locks it before taking its start time ``T0`` (:func:`harvest_start`).
Every item dated ``<= T0`` is therefore committed when the harvest reads it, and every later
writer dates its item after ``T0``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import OaiClock, OaiItem, OaiItemSet, OaiSet, Record
from app.oai.sets import AdminSet, record_sets
from app.services.documents import record_document
from curation.lifecycle import State
from exports.registry import Format, get_format, output_digest

VISIBLE = (State.PUBLISHED.value, State.WITHDRAWN.value)
TICK = timedelta(microseconds=1)
BATCH = 500


def disseminated() -> dict[str, Format]:
    """The export format of every OAI-PMH metadataPrefix, by prefix."""
    from app.oai.protocol import metadata_formats  # protocol imports this module

    return {prefix: get_format(f.export) for prefix, f in metadata_formats().items()}


def writer_versions() -> str:
    """``prefix=export:version`` of every disseminated format: part of each item's fingerprint."""
    return ";".join(f"{p}={f.name}:{f.version}" for p, f in sorted(disseminated().items()))


def document_fingerprint(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical record document alone."""
    return hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()


def fingerprint(document: dict[str, Any]) -> str:
    """The key of a record's OAI state and of its cached payloads: the canonical document and the
    version of every writer, so that a writer upgrade invalidates the cache and is examined by
    the next sync (:func:`_sync_batch`)."""
    text = document_fingerprint(document) + "\n" + writer_versions()
    return hashlib.sha256(text.encode()).hexdigest()


def payload_key(item_fingerprint: str, export: str) -> str:
    """The key a cached payload is valid for: the item state and the running version of the
    format's writer, so an upgraded writer's output is served at once, even before `oai sync`."""
    fmt = get_format(export)
    return hashlib.sha256(f"{item_fingerprint}|{fmt.name}:{fmt.version}".encode()).hexdigest()


def output_digests(document: dict[str, Any]) -> dict[str, str]:
    """SHA-256 of the payload of ``document`` in each disseminated format."""
    digests = {prefix: output_digest(fmt, document) for prefix, fmt in disseminated().items()}
    return {DOCUMENT_KEY: document_fingerprint(document), **digests}


#: Key of the document's own fingerprint in ``OaiItem.outputs`` (no metadataPrefix has a space).
DOCUMENT_KEY = "document fingerprint"


def admin_sets(session: Session) -> list[AdminSet]:
    return [
        AdminSet(s.spec, s.name, s.description, dict(s.criteria or {}))
        for s in session.scalars(select(OaiSet).order_by(OaiSet.spec))
    ]


def _lock_clock(session: Session) -> datetime | None:
    """Take the clock row's lock (a write: PostgreSQL row lock, SQLite database write lock) and
    return the last datestamp handed out."""
    session.execute(update(OaiClock).where(OaiClock.id == 1).values(harvests=OaiClock.harvests))
    return session.scalar(select(OaiClock.last).where(OaiClock.id == 1))


def next_datestamp(session: Session) -> datetime:
    """A datestamp later than every one handed out before, under the clock lock (held until commit)."""
    last = _lock_clock(session)
    now = utcnow()
    stamp = now if last is None or now > last else last + TICK
    session.execute(update(OaiClock).where(OaiClock.id == 1).values(last=stamp))
    return stamp


def harvest_start(session: Session) -> datetime:
    """The start time T0 of a new harvest: waits for in-flight OAI writers, then commits."""
    last = _lock_clock(session)
    session.execute(update(OaiClock).where(OaiClock.id == 1).values(harvests=OaiClock.harvests + 1))
    now = utcnow()
    session.commit()
    return now if last is None or now > last else last


def latest_flags(session: Session, records: list[Record]) -> dict[str, bool]:
    """record id -> is it the newest published-or-withdrawn version of its parent (one query)."""
    parents = {r.parent_id for r in records}
    if not parents:
        return {}
    # The state test sits in the aggregate, not in WHERE, so that the planner walks the
    # (parent_id, version_index) index: with a state filter, SQLite without statistics picked the
    # state index, which almost every row of a large repository matches (bench/oai_harvest.py).
    visible_version = case((Record.state.in_(VISIBLE), Record.version_index))
    rows = session.execute(
        select(Record.parent_id, func.max(visible_version))
        .where(Record.parent_id.in_(parents))
        .group_by(Record.parent_id)
    ).all()
    top = dict(rows)
    return {r.id: top.get(r.parent_id) == r.version_index for r in records}


def documents(session: Session, records: list[Record], base_url: str) -> dict[str, dict[str, Any]]:
    flags = latest_flags(session, records)
    return {r.id: record_document(session, r, base_url, latest=flags[r.id]) for r in records}


def sync_records(session: Session, record_ids: Iterable[str], base_url: str) -> int:
    """Bring these record versions' OAI items up to date; returns how many new item states."""
    ids = list(dict.fromkeys(record_ids))
    sets = admin_sets(session)
    written = 0
    for start in range(0, len(ids), BATCH):
        written += _sync_batch(session, ids[start : start + BATCH], sets, base_url)
    return written


def sync_parent(session: Session, parent_id: str, base_url: str) -> int:
    """Sync every visible version of a dataset: publishing v2 changes v1's "latest" flag."""
    ids = session.scalars(
        select(Record.id).where(Record.parent_id == parent_id, Record.state.in_(VISIBLE))
    ).all()
    return sync_records(session, ids, base_url)


def sync_all(session: Session, base_url: str, *, commit_every: int | None = None) -> Iterator[int]:
    """Sync every visible record version, yielding the count of records checked after each batch.

    With ``commit_every`` the caller's session is committed after each batch (CLI, jobs)."""
    sets = admin_sets(session)
    ids = session.scalars(select(Record.id).where(Record.state.in_(VISIBLE)).order_by(Record.id)).all()
    done = 0
    for start in range(0, len(ids), BATCH):
        batch = ids[start : start + BATCH]
        _sync_batch(session, batch, sets, base_url)
        done += len(batch)
        if commit_every:
            session.commit()
        yield done


def _sync_batch(session: Session, ids: list[str], sets: list[AdminSet], base_url: str) -> int:
    # State is tested here, not in SQL: with it in WHERE, SQLite without statistics walked the
    # state index (every published row) for each batch instead of the primary key.
    # A version whose DOI DataCite does not know yet (status reserved/pending) is not shown to
    # harvesters: its item appears once the doi-sync job registers the DOI (docs/dois.md).
    records = [
        r
        for r in session.scalars(select(Record).where(Record.id.in_(ids)))
        if r.state in VISIBLE and all(p.status == "registered" for p in r.pids)
    ]
    current = {
        item.record_id: item
        for item in session.scalars(
            select(OaiItem).where(OaiItem.record_id.in_(ids), OaiItem.superseded_at.is_(None))
        )
    }
    docs = documents(session, records, base_url)
    changes: list[tuple[Record, bool, list[str], str, dict[str, str] | None]] = []
    for record in records:
        doc = docs[record.id]
        deleted = record.state == State.WITHDRAWN.value
        specs = record_sets(doc, sets)
        fp = fingerprint(doc)
        item = current.get(record.id)
        if item is not None and (item.deleted, list(item.sets), item.fingerprint) == (deleted, specs, fp):
            continue
        if item is not None and item.fingerprint == fp:
            changes.append((record, deleted, specs, fp, item.outputs))  # only sets / deletion moved
            continue
        # The document or a writer changed. Any change of the document gives a new state, as
        # before; when only writer versions changed (an upgrade) the payloads are rendered and
        # compared, and if every one is what harvesters already have, the new key is recorded
        # in place without moving the datestamp.
        outputs = {DOCUMENT_KEY: document_fingerprint(doc)} if deleted else output_digests(doc)
        unchanged = item is not None and (item.deleted, list(item.sets), item.outputs) == (
            deleted,
            specs,
            outputs,
        )
        if unchanged and item is not None:
            item.fingerprint = fp
            continue
        changes.append((record, deleted, specs, fp, outputs))
    if not changes:
        session.flush()
        return 0
    stamp = next_datestamp(session)
    new_items = []
    for record, deleted, specs, fp, outputs in changes:
        old = current.get(record.id)
        if old is not None:
            old.superseded_at = stamp
        item = OaiItem(
            record_id=record.id, datestamp=stamp, deleted=deleted, sets=specs, fingerprint=fp, outputs=outputs
        )
        session.add(item)
        new_items.append(item)
    session.flush()
    session.add_all(
        OaiItemSet(item_id=item.id, set_spec=spec, datestamp=stamp)
        for item in new_items
        for spec in item.sets
    )
    session.flush()
    return len(new_items)


def prune(session: Session, retention: timedelta) -> int:
    """Delete item states superseded longer ago than ``retention`` (no live token can need them)."""
    cutoff = utcnow() - retention
    old = select(OaiItem.id).where(OaiItem.superseded_at.is_not(None), OaiItem.superseded_at < cutoff)
    session.execute(delete(OaiItemSet).where(OaiItemSet.item_id.in_(old)))
    return session.execute(delete(OaiItem).where(OaiItem.id.in_(old))).rowcount or 0
